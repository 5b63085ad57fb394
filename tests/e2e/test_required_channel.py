"""REQUIRED_CHANNEL end to end: the bot's own polling loop against the Telegram emulator,
whose channel answers getChatMember; start-up refuses when the bot is not an admin."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from aiogram.client.telegram import TelegramAPIServer
from pydantic import SecretStr

from bot.app import Application
from bot.clock import FakeClock
from bot.config import Config, ConfigError
from bot.i18n import create_i18n
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.telegram import TelegramEmulator
from bot.sandbox.telegram.models import OPERATORS_CHAT_ID, GroupChat
from tests.e2e.conftest import QuickCloseSession

TOKEN = "123456:SANDBOX"
KEY = "e2e-key"
ALICE = 1001
CHANNEL = GroupChat(-1005550001, "Shop news", username="shop_news", type="channel")


async def _app(tmp_path: Path, emu: TelegramEmulator, base: str, provider_url: str) -> Application:
    settings = Config(
        bot_token=SecretStr(TOKEN),
        telegram_api_url=base,
        provider_url=provider_url,
        provider_key=SecretStr(KEY),
        database_url=f"sqlite+aiosqlite:///{tmp_path}/e2e.db",
        required_channel="@shop_news",
        _env_file=None,  # type: ignore[call-arg]
    )
    return await Application.create(
        settings,
        bot_session=QuickCloseSession(api=TelegramAPIServer.from_base(base)),
        clock=FakeClock(),
        throttling=ThrottlingMiddleware(create_i18n(), rate=1000, burst=1000),
        jobs=False,
    )


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[TelegramEmulator, ProviderSimulator]]:
    sim = ProviderSimulator(key=KEY, clock=FakeClock(), balance=Decimal("1000"))
    await sim.start()
    emu = TelegramEmulator(token=TOKEN, groups=[GroupChat(OPERATORS_CHAT_ID, "Ops"), CHANNEL])
    await emu.start()
    try:
        yield emu, sim
    finally:
        await emu.stop()
        await sim.stop()


async def _say(emu: TelegramEmulator, text: str) -> str:
    mark = emu.mark()
    await emu.send_text(ALICE, text)
    return (await emu.wait_for_bot_message(ALICE, since=mark, timeout=15)).text or ""


async def test_join_first_then_shop(
    tmp_path: Path, world: tuple[TelegramEmulator, ProviderSimulator]
) -> None:
    emu, sim = world
    assert emu.base_url is not None and sim.url is not None
    app = await _app(tmp_path, emu, emu.base_url, sim.url)
    await app.startup()
    polling = asyncio.create_task(
        app.dp.start_polling(
            app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        assert (await _say(emu, "/start")).startswith("📢 To use the shop, please join")
        assert "Balance" in await _say(emu, "/balance")  # never held back
        prompt = next(m for m in emu.bot_messages(ALICE) if (m.text or "").startswith("📢"))
        assert prompt.buttons[0]["url"] == "https://t.me/shop_news"
        check = next(b for b in prompt.buttons if "Check again" in b["text"])
        update = await emu.click(ALICE, prompt.message_id, check["callback_data"])
        answer = await emu.wait_for_callback_answer(update, timeout=15)
        assert answer.show_alert and "We do not see you in @shop_news" in (answer.text or "")
        emu.add_group(GroupChat(**{**CHANNEL.__dict__, "member_ids": (ALICE,)}))
        mark = emu.mark()
        await emu.click(ALICE, prompt.message_id, check["callback_data"])
        welcome = await emu.wait_for_bot_message(ALICE, since=mark, timeout=15)
        assert welcome.text == "✅ Thank you for joining! The shop is open to you."
        assert "Hi, Alice" in await _say(emu, "/start")
    finally:
        await app.dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await app.close()


async def test_start_up_refuses_when_the_bot_is_not_an_admin(
    tmp_path: Path, world: tuple[TelegramEmulator, ProviderSimulator]
) -> None:
    emu, sim = world
    assert emu.base_url is not None and sim.url is not None
    emu.add_group(GroupChat(**{**CHANNEL.__dict__, "bot_status": "member"}))
    app = await _app(tmp_path, emu, emu.base_url, sim.url)
    try:
        with pytest.raises(ConfigError) as info:
            await app.startup()
        assert info.value.lines == [
            "REQUIRED_CHANNEL: the bot is not an admin of @shop_news (it is member); "
            "add it as an administrator of the channel"
        ]
    finally:
        await app.close()
