"""The shop owner's tools end to end (the bot's polling loop and its jobs, the Telegram
emulator, over real HTTP): /credit and /debit ask first and the customer hears of both
through the outbox; /export uploads a CSV document the emulator receives."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from aiogram.client.telegram import TelegramAPIServer
from pydantic import SecretStr

from bot.app import Application
from bot.clock import FakeClock
from bot.config import Config
from bot.i18n import create_i18n
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.telegram import TelegramEmulator
from bot.sandbox.telegram.models import OPERATORS_CHAT_ID, StoredMessage
from tests.e2e.conftest import QuickCloseSession
from tests.e2e.live import credit

TOKEN = "123456:SANDBOX"
KEY = "e2e-key"
ADMIN = 1000
ALICE = 1001


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[tuple[Application, TelegramEmulator]]:
    clock = FakeClock()
    sim = ProviderSimulator(key=KEY, clock=clock, balance=Decimal("1000"))
    provider_url = await sim.start()
    emu = TelegramEmulator(token=TOKEN)
    base = await emu.start()
    settings = Config(
        bot_token=SecretStr(TOKEN),
        telegram_api_url=base,
        provider_url=provider_url,
        provider_key=SecretStr(KEY),
        database_url=f"sqlite+aiosqlite:///{tmp_path}/e2e.db",
        admin_ids=frozenset({ADMIN}),
        operator_chat_id=OPERATORS_CHAT_ID,
        _env_file=None,  # type: ignore[call-arg]
    )
    app = await Application.create(
        settings,
        bot_session=QuickCloseSession(api=TelegramAPIServer.from_base(base)),
        clock=clock,
        throttling=ThrottlingMiddleware(create_i18n(), rate=1000, burst=1000),
    )
    await app.startup()
    polling = asyncio.create_task(
        app.dp.start_polling(
            app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        yield app, emu
    finally:
        await app.dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await app.close()
        await emu.stop()
        await sim.stop()


async def _say(emu: TelegramEmulator, user: int, text: str) -> StoredMessage:
    mark = emu.mark()
    await emu.send_text(user, text)
    return await emu.wait_for_bot_message(user, since=mark, timeout=15)


async def _confirm(emu: TelegramEmulator, proposal: StoredMessage) -> StoredMessage:
    mark = emu.mark()
    button = next(b for b in proposal.buttons if "Confirm" in b["text"])
    await emu.click(ADMIN, proposal.message_id, button["callback_data"])
    return await emu.wait_for_bot_message(ADMIN, since=mark, timeout=15)


async def test_money_commands_ask_first_and_the_customer_hears(
    shop: tuple[Application, TelegramEmulator],
) -> None:
    app, emu = shop
    await _say(emu, ALICE, "/start")
    await credit(app.deps, ALICE, "10")
    proposal = await _say(emu, ADMIN, "/credit 1001 5 public: a welcome gift")
    assert "Credit 5.00 USD to Alice @alice 1001?" in (proposal.text or "")
    assert "Balance: 10.00 USD → 15.00 USD" in (proposal.text or "")
    assert not [m for m in emu.bot_messages(ALICE) if "added to your balance" in (m.text or "")]
    done = await _confirm(emu, proposal)
    assert "Credited 5.00 USD" in (done.text or "")
    notice = await emu.wait_for_bot_message(
        ALICE, lambda m: "added to your balance" in (m.text or ""), timeout=15
    )
    assert "15.00 USD" in (notice.text or "") and "a welcome gift" in (notice.text or "")

    proposal = await _say(emu, ADMIN, "/debit 1001 2 typo in the gift")
    done = await _confirm(emu, proposal)
    assert "Debited 2.00 USD" in (done.text or "")
    notice = await emu.wait_for_bot_message(
        ALICE, lambda m: "taken from your balance" in (m.text or ""), timeout=15
    )
    assert "13.00 USD" in (notice.text or "") and "typo" not in (notice.text or "")

    export = await _say(emu, ADMIN, "/export ledger")
    assert export.document is not None and export.document.filename is not None
    assert export.document.filename.startswith("ledger_start_")
    assert export.document.data is not None
    rows = list(csv.reader(io.StringIO(export.document.data.decode("utf-8-sig"))))
    assert [(r[4], r[5]) for r in rows[1:]] == [
        ("promo", "10.00"),
        ("adjustment", "5.00"),
        ("adjustment", "-2.00"),
    ]
    assert not emu.counters.violations
