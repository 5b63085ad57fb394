"""The driver API the bot's e2e tests stand on, with a real aiogram Dispatcher on the other
side: polling, webhook (aiogram's own SimpleRequestHandler), payments, the CLI."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    PreCheckoutQuery,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.sandbox.telegram import TelegramEmulator, build_app

from .conftest import PollingRunner, make_bot

ALICE, BORIS = 1001, 1002
REPO_ROOT = Path(__file__).resolve().parents[2]


def shop_router() -> Router:
    router = Router(name="shop")

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            "Welcome to the <b>shop</b>!",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Catalogue", callback_data="cat")]]
            ),
        )

    @router.callback_query(F.data == "cat")
    async def catalogue(query: CallbackQuery) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text("Catalogue: <i>Instagram followers</i>")
        await query.answer("Loading the catalogue")

    @router.message(Command("topup"))
    async def topup(message: Message) -> None:
        await message.answer_invoice(
            title="Top up",
            description="100 Stars",
            payload=f"topup:{message.chat.id}",
            currency="XTR",
            prices=[LabeledPrice(label="Top up", amount=100)],
        )

    @router.pre_checkout_query()
    async def pre_checkout(query: PreCheckoutQuery) -> None:
        if query.from_user.id == BORIS:
            await query.answer(ok=False, error_message="Top-ups are paused")
        else:
            await query.answer(ok=True)

    @router.message(F.successful_payment)
    async def paid(message: Message) -> None:
        assert message.successful_payment
        await message.answer(f"Credited {message.successful_payment.total_amount} Stars")

    @router.message(Command("slow"))
    async def slow(message: Message) -> None:
        await message.answer("first")
        await message.answer("second")

    return router


@pytest.fixture
async def shop(
    tg_emulator: TelegramEmulator, tg_bot: Bot, tg_polling: PollingRunner
) -> AsyncIterator[TelegramEmulator]:
    dispatcher = Dispatcher()
    dispatcher.include_router(shop_router())
    await tg_polling(dispatcher, tg_bot)
    yield tg_emulator


async def test_conversation_through_polling(shop: TelegramEmulator) -> None:
    await shop.send_text(ALICE, "/start")
    welcome = await shop.wait_for_bot_message(ALICE)
    assert welcome.text == "Welcome to the shop!"
    assert [b["text"] for b in welcome.buttons] == ["Catalogue"]

    click = await shop.click_button(ALICE, "Catalogue")
    edited = await shop.wait_for_bot_message(ALICE)
    assert edited.message_id == welcome.message_id
    assert edited.text == "Catalogue: Instagram followers" and edited.edit_date is not None
    assert edited.buttons == []  # editMessageText without reply_markup drops the keyboard
    answer = await shop.wait_for_callback_answer(click)
    assert answer.text == "Loading the catalogue" and not answer.show_alert
    assert [a.text for a in shop.callback_answers(ALICE)] == ["Loading the catalogue"]

    history = shop.chat(ALICE)
    assert [(m.from_bot, m.text) for m in history] == [
        (False, "/start"),
        (True, "Catalogue: Instagram followers"),
    ]
    assert shop.counters.calls["editMessageText"] == 1
    assert shop.counters.calls["answerCallbackQuery"] == 1


async def test_wait_for_bot_message_predicate_since_and_timeout(shop: TelegramEmulator) -> None:
    await shop.send_text(ALICE, "/slow")
    second = await shop.wait_for_bot_message(ALICE, lambda m: m.text == "second")
    first = await shop.wait_for_bot_message(ALICE)
    assert first.text == "first" and second.message_id == first.message_id + 1
    mark = shop.mark()
    with pytest.raises(TimeoutError, match="no matching bot message"):
        await shop.wait_for_bot_message(ALICE, since=mark, timeout=0.05)
    assert shop.last_bot_message(ALICE) is second
    assert shop.bot_messages(BORIS) == []


async def test_concurrent_users_each_get_their_reply(shop: TelegramEmulator) -> None:
    await shop.send_text(ALICE, "/start")
    await shop.send_text(BORIS, "/slow")
    await shop.wait_for_bot_message(BORIS, lambda m: m.text == "second")
    # Alice's reply may well have come before Boris wrote: it is still found.
    assert (await shop.wait_for_bot_message(ALICE)).text == "Welcome to the shop!"
    assert (await shop.wait_for_bot_message(BORIS)).text == "first"


async def test_payment_through_polling(shop: TelegramEmulator) -> None:
    await shop.send_text(ALICE, "/topup")
    invoice = await shop.wait_for_bot_message(ALICE)
    assert invoice.invoice and invoice.invoice["total_amount"] == 100
    outcome = await shop.pay(ALICE, invoice.message_id)
    assert outcome.ok and outcome.telegram_payment_charge_id
    thanks = await shop.wait_for_bot_message(ALICE)
    assert thanks.text == "Credited 100 Stars"
    again = await shop.pay(ALICE, invoice.message_id)
    assert not again.ok and again.error_message == "This invoice has already been paid"

    await shop.send_text(BORIS, "/topup")
    boris_invoice = await shop.wait_for_bot_message(BORIS)
    declined = await shop.pay(BORIS, boris_invoice.message_id)
    assert not declined.ok and declined.error_message == "Top-ups are paused"
    assert [p.user_id for p in shop.payments.values()] == [ALICE]


async def test_blocked_user_and_unblock_by_writing(shop: TelegramEmulator, tg_bot: Bot) -> None:
    shop.block(ALICE)
    assert shop.is_blocked(ALICE)
    await shop.send_text(ALICE, "/start")  # writing to the bot again unblocks it
    assert not shop.is_blocked(ALICE)
    assert (await shop.wait_for_bot_message(ALICE)).text == "Welcome to the shop!"


async def test_unknown_user_becomes_a_persona(shop: TelegramEmulator) -> None:
    await shop.send_text(777, "/start")
    assert (await shop.wait_for_bot_message(777)).text == "Welcome to the shop!"
    assert shop.persona(777).first_name == "User 777"


async def test_webhook_mode_with_aiogram_request_handler(tg_emulator: TelegramEmulator) -> None:
    assert tg_emulator.base_url
    bot = make_bot(tg_emulator.base_url, tg_emulator.token)
    dispatcher = Dispatcher()
    dispatcher.include_router(shop_router())
    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token="hook-secret").register(app, path="/tg")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
        await bot.set_webhook(url, secret_token="hook-secret")
        await tg_emulator.send_text(ALICE, "/start")
        assert (await tg_emulator.wait_for_bot_message(ALICE)).text == "Welcome to the shop!"
        await tg_emulator.click_button(ALICE, "Catalogue")
        edited = await tg_emulator.wait_for_bot_message(ALICE)
        assert edited.text == "Catalogue: Instagram followers"

        await bot.set_webhook(url, secret_token="wrong-secret")  # aiogram answers 401
        await tg_emulator.send_text(ALICE, "/start")
        await tg_emulator.wait_for_counters(lambda c: c.webhook_failures >= 1)
        info = await bot.get_webhook_info()
        assert info.pending_update_count == 1
        assert info.last_error_message and "401" in info.last_error_message
        await bot.delete_webhook()
    finally:
        await runner.cleanup()
        await bot.session.close()


async def test_build_app_embeds_in_another_runner() -> None:
    emulator = TelegramEmulator()
    outer = web.Application()

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    outer.router.add_get("/health", health)
    runner_a = web.AppRunner(outer)
    runner_b = web.AppRunner(emulator.build_app())
    await runner_a.setup()
    await runner_b.setup()
    site_a = web.TCPSite(runner_a, "127.0.0.1", 0)
    site_b = web.TCPSite(runner_b, "127.0.0.1", 0)
    await site_a.start()
    await site_b.start()
    base = f"http://127.0.0.1:{runner_b.addresses[0][1]}"
    try:
        bot = make_bot(base, emulator.token)
        assert (await bot.get_me()).username == emulator.bot_username
        poll = asyncio.ensure_future(bot.get_updates(timeout=30))
        await emulator.wait_for_counters(lambda c: c.polls >= 1)
        await bot.session.close()
        poll.cancel()
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{runner_a.addresses[0][1]}/health") as r:
                assert await r.text() == "ok"
            async with http.get(base + "/") as r:
                assert r.status == 200 and "Sandbox Telegram" in await r.text()
        assert build_app is not None
    finally:
        await runner_b.cleanup()  # returns promptly: the long poll is released
        await runner_a.cleanup()


async def test_stop_releases_long_polls_quickly(tg_bot: Bot) -> None:
    emulator = TelegramEmulator()
    base = await emulator.start()
    bot = make_bot(base, emulator.token)
    poll = asyncio.ensure_future(bot.get_updates(timeout=50))
    await emulator.wait_for_counters(lambda c: c.polls >= 1)  # the long poll is waiting
    await emulator.stop()
    # Answered with no updates, not cut off by the server's shutdown timeout (an error).
    assert await asyncio.wait_for(poll, 10) == []
    await bot.session.close()


async def test_cli_runs_prints_urls_and_stops_on_ctrl_c() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox.telegram",
        "--port",
        "0",
        "--token",
        "42:CLI",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
        cwd=REPO_ROOT,
    )
    assert process.stdout is not None
    lines: list[str] = []
    base = None
    # Bounds, not waits: a fresh interpreter on a loaded machine may take a while to start.
    try:
        while base is None:
            line = (await asyncio.wait_for(process.stdout.readline(), 90)).decode()
            assert line, "the CLI exited early"
            lines.append(line)
            if "web chat:" in line:
                base = line.split("web chat:", 1)[1].strip().rstrip("/")
        async with aiohttp.ClientSession() as http, http.get(f"{base}/bot42:CLI/getMe") as r:
            assert (await r.json())["result"]["id"] == 42
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 90)
        assert process.returncode == 0, err.decode()
        assert "stopped" in out.decode()
        assert "Traceback" not in err.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
