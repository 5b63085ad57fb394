"""Webhook mode (WEBHOOK_URL set): the web app of /healthz and /metrics with the webhook's
route added (bot/webhook.py checks and handles each POST), on WEBHOOK_PORT.

Graceful shutdown (SIGTERM/SIGINT): refuse new updates with 503 and close the listening
socket, let the updates in flight finish (up to the `add` timeout and a margin), stop the
jobs, close the sessions. The webhook itself stays set: other replicas keep serving it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from urllib.parse import urlsplit

from aiohttp import web

from bot import heap
from bot.app import Application
from bot.config import Config
from bot.health import Monitor
from bot.timeouts import add_timeout
from bot.web import WebServer, create_web_app
from bot.webhook import WebhookHandler

log = logging.getLogger(__name__)

DRAIN_MARGIN_SECONDS = 15.0


def webhook_path(settings: Config) -> str:
    """WEBHOOK_PATH, else the path of WEBHOOK_URL, else /webhook."""
    if settings.webhook_path:
        return settings.webhook_path
    path = urlsplit(settings.webhook_url or "").path
    return path if path and path != "/" else "/webhook"


def drain_timeout(settings: Config) -> float:
    """How long shutdown waits for updates in flight: the slowest is a placement."""
    return add_timeout(settings) + DRAIN_MARGIN_SECONDS


def create_webhook_app(
    monitor: Monitor, handler: WebhookHandler, path: str = "/webhook"
) -> web.Application:
    """/healthz and /metrics, and POST `path` to `handler`."""
    app = create_web_app(monitor, max_body=handler.max_body)
    app.router.add_post(path, handler.handle)
    return app


def _stop_event() -> tuple[asyncio.Event, list[signal.Signals]]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            continue
        installed.append(sig)
    return stop, installed


async def run_webhook(app: Application, *, stop: asyncio.Event | None = None) -> None:
    """Run `app` in webhook mode until `stop` is set (default: SIGTERM or SIGINT)."""
    settings = app.settings
    assert settings.webhook_url and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    installed: list[signal.Signals] = []
    if stop is None:
        stop, installed = _stop_event()
    handler = WebhookHandler(app.dp, app.bot, secret, rejected=app.monitor.rejected)
    app.monitor.watch_webhook(lambda: handler.in_flight)
    path = webhook_path(settings)
    server = WebServer(
        create_webhook_app(app.monitor, handler, path),
        settings.webhook_host,
        settings.webhook_port,
    )
    dp, bot = app.dp, app.bot
    workflow = {"dispatcher": dp, "bots": [bot], **dp.workflow_data}
    started = False
    try:
        await app.startup()
        heap.settle()  # start-up's objects are out of the collector's walks from now on
        await server.start()
        await dp.emit_startup(bot=bot, **workflow)
        started = True
        handler.accepting = True
        # Every replica sets the same webhook; Telegram keeps one, so this is idempotent.
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info(
            "webhook mode: Telegram posts to %s; serving %s on %s:%s",
            settings.webhook_url,
            path,
            settings.webhook_host,
            server.port,
        )
        await stop.wait()
        log.info("stopping: no new updates, finishing those in flight")
    finally:
        handler.accepting = False
        await server.stop_listening()
        await handler.drain(drain_timeout(settings))
        if started:
            with contextlib.suppress(Exception):
                await dp.emit_shutdown(bot=bot, **workflow)
        loop = asyncio.get_running_loop()
        for sig in installed:
            loop.remove_signal_handler(sig)
        await server.stop()
        await app.close()


__all__ = ["create_webhook_app", "drain_timeout", "run_webhook", "webhook_path"]
