"""Webhook mode end to end: the Telegram emulator POSTs updates to the bot's own webhook
server (secret header, retries) over real HTTP; bad requests are refused before anything
runs; shutdown finishes the updates in flight."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiogram import Dispatcher, Router
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message
from aiohttp.test_utils import TestServer
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app import Application
from bot.clock import FakeClock
from bot.config import Config
from bot.i18n import create_i18n
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.runners.polling import run_polling
from bot.runners.webhook import run_webhook
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.telegram import TelegramEmulator
from bot.shop.enums import OrderState
from bot.webhook import SECRET_HEADER, WebhookHandler
from db.models import Order, User
from db.session import create_engine, create_session_factory
from tests.e2e.conftest import QuickCloseSession
from tests.e2e.live import (
    ALICE,
    Chat,
    credit,
    free_port,
    metric,
    order_service,
    shop_service_id,
    wait_until,
)

TOKEN = "123456:WEBHOOK"
KEY = "webhook-key"
SECRET = "s3cret-Token_for-tests"
# --- the bot in webhook mode, in this process -------------------------------------------


@dataclass
class WebhookShop:
    app: Application
    emu: TelegramEmulator
    sim: ProviderSimulator
    clock: FakeClock
    url: str  # the webhook URL
    base: str  # http://127.0.0.1:port
    stop: asyncio.Event
    serving: asyncio.Task[None]


@pytest.fixture
async def webhook_shop(app_database: str) -> AsyncIterator[WebhookShop]:
    clock = FakeClock()
    sim = ProviderSimulator(key=KEY, clock=clock, balance=Decimal("1000"))
    provider_url = await sim.start()
    emu = TelegramEmulator(token=TOKEN)
    telegram = await emu.start()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Config(
        bot_token=SecretStr(TOKEN),
        telegram_api_url=telegram,
        provider_url=provider_url,
        provider_key=SecretStr(KEY),
        database_url=app_database,
        webhook_url=f"{base}/tg/hook",
        webhook_secret=SecretStr(SECRET),
        webhook_port=port,
        webhook_host="127.0.0.1",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = await Application.create(
        settings,
        bot_session=QuickCloseSession(api=TelegramAPIServer.from_base(telegram)),
        clock=clock,
        throttling=ThrottlingMiddleware(create_i18n(), rate=1000, burst=1000),
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(run_webhook(app, stop=stop))
    try:
        await wait_until(
            lambda: serving.done() or emu.webhook is not None,
            30,
            "setWebhook",
        )
        if serving.done():
            serving.result()
        yield WebhookShop(app, emu, sim, clock, settings.webhook_url or "", base, stop, serving)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, 60)
        await emu.stop()
        await sim.stop()


async def test_updates_arrive_through_the_webhook(webhook_shop: WebhookShop) -> None:
    shop = webhook_shop
    config = shop.emu.webhook
    assert config is not None
    assert config.url == shop.url and config.secret_token == SECRET
    # The dispatcher's update types, payments included.
    assert config.allowed_updates is not None
    assert {"message", "callback_query", "pre_checkout_query"} <= set(config.allowed_updates)

    chat = Chat(shop.emu)
    assert "Hi, Alice" in await chat.say("/start")
    await chat.say("🛒 New order")  # the persistent menu the welcome set
    await chat.click("Instagram")
    assert shop.emu.counters.webhook_deliveries >= 3
    assert shop.emu.counters.webhook_failures == 0

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{shop.base}/healthz") as response:
            assert response.status == 200
            report = await response.json()
        async with http.get(f"{shop.base}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    assert report["status"] == "ok" and report["mode"] == "webhook"
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["redis"] == {"ok": True, "configured": False}
    assert report["webhook"] == {"in_flight": 0}
    assert metric(text, "bot_updates_total", type="message", outcome="ok") == 2
    assert metric(text, "bot_updates_total", type="callback_query", outcome="ok") == 1
    assert metric(text, "bot_update_seconds_count", type="message") == 2
    assert metric(text, "bot_panel_calls_total", action="services", outcome="ok") == 1


BAD_REQUESTS: list[tuple[str, dict[str, str], bytes, int]] = [
    ("no secret", {}, b'{"update_id": 1}', 401),
    ("wrong secret", {SECRET_HEADER: "not-the-secret"}, b'{"update_id": 1}', 401),
    ("secret of another length", {SECRET_HEADER: SECRET + "x"}, b'{"update_id": 1}', 401),
    ("not JSON", {SECRET_HEADER: SECRET}, b"<html>hello</html>", 400),
    ("not UTF-8", {SECRET_HEADER: SECRET}, b"\xff\xfe{", 400),
    ("a JSON list", {SECRET_HEADER: SECRET}, b"[1, 2]", 400),
    ("no update_id", {SECRET_HEADER: SECRET}, b'{"message": {"text": "hi"}}', 400),
    ("update_id not a number", {SECRET_HEADER: SECRET}, b'{"update_id": "7"}', 400),
    (
        "a malformed message",
        {SECRET_HEADER: SECRET},
        json.dumps({"update_id": 9, "message": {"message_id": "x", "text": 5}}).encode(),
        400,
    ),
    (
        "oversized",
        {SECRET_HEADER: SECRET},
        b'{"update_id": 1, "x": "' + b"a" * (2 << 20) + b'"}',
        413,
    ),
]


async def test_bad_requests_are_refused_logged_once_and_change_nothing(
    webhook_shop: WebhookShop, caplog: pytest.LogCaptureFixture
) -> None:
    shop = webhook_shop
    before_messages = len(shop.emu.chat(ALICE))
    async with aiohttp.ClientSession() as http:
        for name, headers, body, status in BAD_REQUESTS:
            caplog.clear()
            with caplog.at_level(logging.INFO):
                async with http.post(
                    shop.url, data=body, headers={"Content-Type": "application/json", **headers}
                ) as response:
                    assert response.status == status, name
                    await response.read()
            refusals = [r for r in caplog.records if r.name == "bot.webhook"]
            assert len(refusals) == 1, (name, [r.getMessage() for r in caplog.records])
            assert refusals[0].levelno == logging.WARNING
            assert SECRET not in refusals[0].getMessage()
            # Nothing else complained (no traceback from aiohttp or aiogram).
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR], name

        # Oversized without a Content-Length (chunked): cut off while reading.
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"update_id": 1, "x": "'
            for _ in range(40):
                yield b"a" * 65536
            yield b'"}'

        caplog.clear()
        async with http.post(shop.url, data=chunks(), headers={SECRET_HEADER: SECRET}) as response:
            assert response.status == 413
        assert len([r for r in caplog.records if r.name == "bot.webhook"]) == 1
        async with http.get(f"{shop.base}/metrics") as response:
            text = await response.text()
    assert metric(text, "bot_updates_total", type="message", outcome="ok") is None
    assert metric(text, "bot_webhook_rejected_total", reason="wrong or missing secret token") == 3
    assert len(shop.emu.chat(ALICE)) == before_messages
    async with shop.app.deps.session_factory() as session, session.begin():
        assert await session.scalar(select(func.count()).select_from(User)) == 0

    # An update of a kind the bot never asked for is acknowledged and ignored.
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            shop.url,
            json={"update_id": 77, "some_future_update": {"x": 1}},
            headers={SECRET_HEADER: SECRET},
        ) as response,
    ):
        assert response.status == 200
    # The emulator's own deliveries (right secret) still work.
    assert "Hi, Alice" in await Chat(shop.emu).say("/start")


async def test_shutdown_finishes_the_placement_in_flight(webhook_shop: WebhookShop) -> None:
    shop = webhook_shop
    app, emu, sim = shop.app, shop.emu, shop.sim
    user_id = await credit(app.deps, ALICE, "50")
    service = order_service(sim)
    chat = Chat(emu)
    summary = await chat.open_order_form(
        service, await shop_service_id(app.deps.session_factory, service.service_id)
    )
    assert "Check your order" in summary

    sim.faults.latency = 1.0  # the panel takes a second to answer `add`
    message, data = chat.button("Confirm")
    in_flight = shop.app.monitor.in_flight
    assert in_flight is not None
    # The form's last update may still be finishing after its reply went out.
    await wait_until(lambda: in_flight() == 0, 10, "the form's updates to finish")
    mark = emu.mark()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{shop.base}/healthz") as response:  # a kept-alive connection
            assert response.status == 200
        click = await emu.click(ALICE, message.message_id, data)
        await emu.wait_for_callback_answer(click, timeout=10)  # the handler is running
        assert in_flight() == 1
        shop.stop.set()  # SIGTERM while the placement waits for the panel

        async def refused() -> bool:
            try:
                async with aiohttp.ClientSession() as fresh, fresh.get(f"{shop.base}/healthz"):
                    return False
            except aiohttp.ClientConnectorError:
                return True

        await wait_until(refused, 5, "the listening socket to close")
        # A request on a connection opened before: refused, Telegram will send it again.
        async with http.post(
            shop.url, json={"update_id": 1}, headers={SECRET_HEADER: SECRET}
        ) as response:
            assert response.status == 503
        assert not shop.serving.done()  # still finishing the placement
    await asyncio.wait_for(shop.serving, 30)

    placed = await emu.wait_for_bot_message(ALICE, since=mark, timeout=1)
    assert "placed" in (placed.text or "")
    assert sim.calls["add"] == 1
    # The app is closed: check the database through a fresh engine.
    db = create_engine(app.settings.database_url)
    try:
        async with create_session_factory(db)() as session:
            orders = (await session.scalars(select(Order).where(Order.user_id == user_id))).all()
            assert [o.state for o in orders] == [OrderState.ACTIVE]
    finally:
        await db.dispose()


# --- the handler alone: in flight, draining ---------------------------------------------


async def test_drain_waits_for_updates_in_flight_and_refuses_new_ones() -> None:
    from aiogram import Bot

    from bot.runners.webhook import create_webhook_app
    from bot.sandbox.recording import RecordingSession

    release = asyncio.Event()
    finished: list[int] = []
    router = Router()

    @router.message()
    async def slow(message: Message) -> None:
        await release.wait()
        finished.append(message.message_id)

    dp = Dispatcher()
    dp.include_router(router)
    bot = Bot("42:TEST", session=RecordingSession())
    handler = WebhookHandler(dp, bot, SECRET)
    handler.accepting = True

    class _Monitor:  # the routes /healthz and /metrics are not used here
        async def health(self) -> tuple[bool, dict[str, Any]]:
            return True, {}

        async def render_metrics(self) -> bytes:
            return b""

    server = TestServer(create_webhook_app(_Monitor(), handler))  # type: ignore[arg-type]
    await server.start_server()
    update = {
        "update_id": 5,
        "message": {
            "message_id": 11,
            "date": 0,
            "chat": {"id": 7, "type": "private"},
            "from": {"id": 7, "is_bot": False, "first_name": "Z"},
            "text": "hello",
        },
    }
    try:
        async with aiohttp.ClientSession() as http:
            url = str(server.make_url("/webhook"))
            headers = {SECRET_HEADER: SECRET}
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200  # answered before the handler finished
            assert handler.in_flight == 1 and finished == []
            draining = asyncio.create_task(handler.drain(timeout=10))
            await asyncio.sleep(0)
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 503
                assert response.headers["Retry-After"] == "1"
            assert not draining.done()
            release.set()
            assert await draining == 0
            assert finished == [11]

            # A handler that outlives the drain timeout is cancelled and counted.
            release.clear()
            handler.accepting = True
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200
            assert await handler.drain(timeout=0.05) == 1
            assert handler.in_flight == 0
    finally:
        await server.close()
        await bot.session.close()


async def test_polling_mode_serves_health_on_metrics_port(app_database: str) -> None:
    """Without WEBHOOK_URL: getUpdates (a webhook left from webhook mode is removed first),
    and /healthz and /metrics on METRICS_PORT."""
    from bot.sandbox.telegram import WebhookConfig

    sim = ProviderSimulator(key=KEY, clock=FakeClock(), balance=Decimal("1000"))
    provider_url = await sim.start()
    emu = TelegramEmulator(token=TOKEN)
    telegram = await emu.start()
    emu.set_webhook(WebhookConfig("http://127.0.0.1:9/old", SECRET), drop_pending=False)
    port = free_port()
    settings = Config(
        bot_token=SecretStr(TOKEN),
        telegram_api_url=telegram,
        provider_url=provider_url,
        provider_key=SecretStr(KEY),
        database_url=app_database,
        metrics_port=port,
        webhook_host="127.0.0.1",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = await Application.create(
        settings, bot_session=QuickCloseSession(api=TelegramAPIServer.from_base(telegram))
    )
    running = asyncio.create_task(run_polling(app))
    health = f"http://127.0.0.1:{port}/healthz"

    async def up() -> bool:
        if running.done():
            running.result()
        try:
            async with aiohttp.ClientSession() as http, http.get(health) as response:
                return response.status == 200
        except aiohttp.ClientConnectorError:
            return False

    try:
        await wait_until(up, 30, "/healthz on METRICS_PORT")
        await wait_until(lambda: emu.webhook is None, 10, "deleteWebhook")
        assert "Hi, Alice" in await Chat(emu).say("/start")
        async with aiohttp.ClientSession() as http:
            async with http.get(health) as response:
                report = await response.json()
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                text = await response.text()
        assert report["mode"] == "polling" and report["status"] == "ok"
        assert metric(text, "bot_updates_total", type="message", outcome="ok") == 1
    finally:
        with contextlib.suppress(RuntimeError):
            await app.dp.stop_polling()
        await asyncio.wait_for(running, 30)
        await emu.stop()
        await sim.stop()
    assert not await up()  # the server stopped with the bot
