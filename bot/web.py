"""The bot's HTTP server: GET /healthz and GET /metrics, plus the webhook route in webhook
mode (on WEBHOOK_PORT); in polling mode the same two endpoints on METRICS_PORT.

Put only the webhook path behind the public reverse proxy: /metrics shows the shop's
figures and is meant for Prometheus on the private network.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.health import Monitor
from bot.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from bot.webhook import WebhookHandler

log = logging.getLogger(__name__)

# Larger bodies are refused with 413 before they are read in full. A Telegram update is a
# few kilobytes; the largest (a message with a long caption, entities and a keyboard)
# stay far below this.
MAX_BODY_BYTES = 1 << 20


def create_web_app(
    monitor: Monitor,
    *,
    webhook: WebhookHandler | None = None,
    webhook_path: str = "/webhook",
    max_body: int = MAX_BODY_BYTES,
) -> web.Application:
    app = web.Application(client_max_size=max_body)

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
    if webhook is not None:
        app.router.add_post(webhook_path, webhook.handle)
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


__all__ = ["MAX_BODY_BYTES", "WebServer", "create_web_app"]
