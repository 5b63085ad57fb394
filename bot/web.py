"""The bot's HTTP server: GET /healthz and GET /metrics. In polling mode it listens on
METRICS_PORT; in webhook mode on WEBHOOK_PORT, where the webhook runner
(bot/runners/webhook.py) adds its route to the same app.

Put only the webhook path behind the public reverse proxy: /metrics shows the shop's
figures and is meant for Prometheus on the private network.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from bot.health import Monitor
from bot.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)


def create_web_app(monitor: Monitor, *, max_body: int | None = None) -> web.Application:
    """/healthz and /metrics of `monitor`. `max_body` bounds the request bodies of routes
    added later (larger ones are refused with 413); None: aiohttp's default."""
    app = web.Application() if max_body is None else web.Application(client_max_size=max_body)

    async def healthz(request: web.Request) -> web.Response:
        ok, report = await monitor.health()
        return web.Response(
            text=json.dumps(report),
            status=200 if ok else 503,
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def metrics(request: web.Request) -> web.Response:
        body = await monitor.render_metrics()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


class WebServer:
    """An aiohttp runner on host:port (port 0: any free port, see `.port`)."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    async def start(self) -> int:
        # No access log: every update would be a line; refusals are logged once each.
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner, self._site = runner, site
        self.port = runner.addresses[0][1]
        log.info("HTTP server on %s:%s", self.host, self.port)
        return self.port

    async def stop_listening(self) -> None:
        """Close the listening socket: new connections are refused (a load balancer sends
        them elsewhere); requests already read go on."""
        site, self._site = self._site, None
        if site is not None:
            await site.stop()

    async def stop(self) -> None:
        await self.stop_listening()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


__all__ = ["WebServer", "create_web_app"]
