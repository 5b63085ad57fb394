"""Polling mode (no WEBHOOK_URL): getUpdates, with /healthz and /metrics on METRICS_PORT
(0: no server). Exactly one process per bot token."""

from __future__ import annotations

from bot import heap
from bot.app import Application
from bot.web import WebServer, create_web_app


async def run_polling(app: Application) -> None:
    """Start `app`, poll until SIGINT or SIGTERM, then close it."""
    settings = app.settings
    server: WebServer | None = None
    try:
        if settings.metrics_port:
            server = WebServer(
                create_web_app(app.monitor), settings.webhook_host, settings.metrics_port
            )
            await server.start()
        # A webhook left from webhook mode would make getUpdates fail with 409.
        await app.bot.delete_webhook(drop_pending_updates=False)
        await app.startup()
        heap.settle()  # start-up's objects are out of the collector's walks from now on
        # aiogram stops polling gracefully on SIGINT and SIGTERM.
        await app.dp.start_polling(app.bot, close_bot_session=False)
    finally:
        if server is not None:
            await server.stop()
        await app.close()


__all__ = ["run_polling"]
