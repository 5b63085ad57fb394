"""A whole order through the sandbox: the bot's own polling loop, the Telegram emulator
and the provider simulator, all over real HTTP."""

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
from bot.config import Config
from bot.i18n import create_i18n
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.telegram import TelegramEmulator
from bot.shop.enums import LedgerKind, OrderState
from bot.shop.money import to_micro
from bot.shop.services import Shop
from tests.e2e.conftest import QuickCloseSession

TOKEN = "123456:SANDBOX"
KEY = "e2e-key"
ALICE = 1001


async def click(emu: TelegramEmulator, label: str) -> None:
    """Press the newest button whose label contains `label`, then wait for the answer."""
    mark = emu.mark()
    for message in reversed(emu.bot_messages(ALICE)):
        for button in message.buttons:
            if label in button["text"] and "callback_data" in button:
                await emu.click(ALICE, message.message_id, button["callback_data"])
                try:
                    await emu.wait_for_bot_message(ALICE, since=mark, timeout=15)
                except TimeoutError:
                    raise AssertionError(f"{label}: {emu.callback_answers(ALICE)[-3:]}") from None
                return
    raise AssertionError(f"no button {label!r}")


async def _shop_id(app: Application, provider_service_id: int) -> int:
    from db.repositories.storefront import StorefrontRepo

    async with app.deps.session_factory() as session, session.begin():
        rows = await StorefrontRepo(session, [t.value for t in ServiceType]).for_provider(1)
        return next(r.id for r in rows if r.provider_service_id == str(provider_service_id))


async def say(emu: TelegramEmulator, text: str) -> str:
    mark = emu.mark()
    await emu.send_text(ALICE, text)
    return (await emu.wait_for_bot_message(ALICE, since=mark, timeout=15)).text or ""


@pytest.fixture
async def sandbox(
    tmp_path: Path,
) -> AsyncIterator[tuple[Application, TelegramEmulator, ProviderSimulator]]:
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
        _env_file=None,  # type: ignore[call-arg]
    )
    app = await Application.create(
        settings,
        bot_session=QuickCloseSession(api=TelegramAPIServer.from_base(base)),
        clock=clock,
        # A test taps faster than a person; throttling has its own tests.
        throttling=ThrottlingMiddleware(create_i18n(), rate=1000, burst=1000),
    )
    await app.startup()
    polling = asyncio.create_task(
        app.dp.start_polling(
            app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        yield app, emu, sim
    finally:
        await app.dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await app.close()
        await emu.stop()
        await sim.stop()


async def test_whole_order_through_the_sandbox(
    sandbox: tuple[Application, TelegramEmulator, ProviderSimulator],
) -> None:
    app, emu, sim = sandbox
    assert "Hi, Alice" in await say(emu, "/start")
    async with app.deps.session_factory() as session, session.begin():
        shop = Shop(session, app.deps)
        user, _ = await shop.users.enter(ALICE, username="alice", first_name="Alice", language="en")
        await shop.wallet.credit(user.id, to_micro("50"), LedgerKind.PROMO, "e2e:gift")
    service = sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await say(emu, "🛒 New order")  # the persistent menu the welcome set
    await click(emu, "Instagram")
    await click(emu, service.category.split(" ", 1)[1])
    await say(emu, f"#{await _shop_id(app, service.service_id)}")
    await click(emu, "/1k")
    await click(emu, "Order")
    assert "Step 2" in await say(emu, "https://instagram.com/p/e2e")
    summary = await say(emu, str(service.min))
    assert "Check your order" in summary
    await click(emu, "Confirm")
    placed = emu.last_bot_message(ALICE)  # the receipt: a new message under the summary
    assert placed is not None and "placed" in (placed.text or "")
    assert sim.calls["add"] == 1
    async with app.deps.session_factory() as session:
        shop = Shop(session, app.deps)
        page = await shop.orders.page_for_user(user.id)
        [order] = page.orders
        assert order.state is OrderState.ACTIVE
        assert await shop.wallet.balance(user.id) == to_micro("50") - order.charge
    # Telegram saw only valid requests: no limit or HTML violations.
    assert not emu.counters.violations
