"""ProviderSimulator: a local SMM panel speaking API v2, controllable from tests."""

from __future__ import annotations

from aiohttp import web

from .app import create_app
from .panel import Panel


class ProviderSimulator(Panel):
    """A Panel served over HTTP: API v2 at `url`, the /sandbox/* controls at `base_url`."""

    url: str | None = None
    _runner: web.AppRunner | None = None

    def __repr__(self) -> str:  # the key stays out of logs
        return f"<ProviderSimulator url={self.url} orders={len(self.book.orders)}>"

    def app(self) -> web.Application:
        return create_app(self)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: any free port); returns the API v2 endpoint URL."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = f"http://{shown}:{bound_port}/api/v2"
        return self.url

    @property
    def base_url(self) -> str:
        """The server root (for /sandbox/* controls); the simulator must be started."""
        if self.url is None:
            raise RuntimeError("the simulator is not running")
        return self.url.removesuffix("/api/v2")

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self.url = None
