"""One customer's life in the sandbox, told step by step over real HTTP: the bot's own
polling loop, the Telegram emulator and the provider simulator (in any dialect).

The customer orders through the chat; the background work (status polling, refill
polling, the balance watch, the notification sender) is run step by step on the shared
fake clock, so each life is told in order and nothing waits for wall-clock time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiogram.client.telegram import TelegramAPIServer
from pydantic import SecretStr

from bot.app import Application
from bot.clock import FakeClock
from bot.config import Config
from bot.i18n import create_i18n
from bot.jobs.orders import StatusPoller
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.outbox.sender import OutboxSender
from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.provider.catalog import SimService
from bot.sandbox.telegram import LimitSettings, TelegramEmulator
from bot.sandbox.telegram.models import OPERATORS_CHAT_ID, StoredMessage
from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.services import Shop
from db.models import Order
from tests.e2e.conftest import QuickCloseSession

TOKEN = "123456:SANDBOX"
KEY = "dialect-key"
ALICE = 1001
LINK = "https://instagram.com/p/dialect"
WAIT = 15.0


@dataclass
class Life:
    app: Application
    emu: TelegramEmulator
    sim: ProviderSimulator
    clock: FakeClock
    user_id: int = 0

    # --- the customer ---------------------------------------------------------------

    async def say(self, text: str) -> str:
        mark = self.emu.mark()
        await self.emu.send_text(ALICE, text)
        message = await self.emu.wait_for_bot_message(ALICE, since=mark, timeout=WAIT)
        return message.text or ""

    def _button(self, label: str) -> tuple[StoredMessage, str]:
        for message in reversed(self.emu.bot_messages(ALICE)):
            for button in message.buttons:
                if label in button["text"] and "callback_data" in button:
                    return message, button["callback_data"]
        raise AssertionError(f"no button {label!r}")

    async def tap(self, label: str, *, then: str | None = None) -> str | None:
        """Press the newest button labelled so; the callback answer's text. With `then`,
        also wait for the bot's message containing it."""
        message, data = self._button(label)
        mark = self.emu.mark()
        update = await self.emu.click(ALICE, message.message_id, data)
        answer = await self.emu.wait_for_callback_answer(update, timeout=WAIT)
        if then is not None:
            await self.emu.wait_for_bot_message(
                ALICE, lambda m: then in (m.text or ""), since=mark, timeout=WAIT
            )
        return answer.text

    def last(self) -> str:
        message = self.emu.last_bot_message(ALICE)
        return (message.text or "") if message else ""

    async def open_service(self, service: SimService) -> None:
        shop_id = await self.shop_id(service)
        await self.say(f"#{shop_id}")
        message = self.emu.last_bot_message(ALICE)
        assert message is not None and message.buttons, "service not found"
        update = await self.emu.click(
            ALICE, message.message_id, message.buttons[0]["callback_data"]
        )
        await self.emu.wait_for_callback_answer(update, timeout=WAIT)
        await self.tap("Order", then="Step 1")

    async def card(self, order: Order) -> str:
        """The order's card, opened from /orders."""
        await self.say("/orders")
        await self.tap(f"#{order.id} ·", then=f"Order #{order.id}")
        return self.last()

    async def order(self, service: SimService, quantity: int | None = None) -> Order:
        """Order a link + quantity service through the chat, up to the placement."""
        await self.open_service(service)
        await self.say(LINK)
        summary = await self.say(str(quantity or service.min))
        assert "Check your order" in summary, summary
        await self.tap("Confirm", then="#")
        return await self.latest_order()

    # --- the shop -----------------------------------------------------------------------

    async def shop_id(self, service: SimService) -> int:
        from db.repositories import CatalogRepo, ProviderRepo

        async with self.app.deps.session_factory() as session, session.begin():
            provider = await ProviderRepo(session).by_name("main")
            assert provider is not None
            row = await CatalogRepo(session).by_provider_service_id(
                provider.id, str(service.service_id)
            )
            assert row is not None
            return row.id

    async def latest_order(self) -> Order:
        from sqlalchemy import select

        async with self.app.deps.session_factory() as session, session.begin():
            row = await session.scalar(select(Order).order_by(Order.id.desc()))
            assert row is not None
            return row

    async def balance(self) -> int:
        async with self.app.deps.session_factory() as session:
            return await Shop(session, self.app.deps).wallet.balance(self.user_id)

    async def books_balance(self) -> None:
        """Σ ledger = balance, for every customer."""
        from sqlalchemy import func, select

        from db.models import LedgerEntry, User

        async with self.app.deps.session_factory() as session, session.begin():
            rows = await session.execute(
                select(LedgerEntry.user_id, func.sum(LedgerEntry.amount)).group_by(
                    LedgerEntry.user_id
                )
            )
            sums = {user_id: total for user_id, total in rows}
            balances = dict((await session.execute(select(User.id, User.balance))).all())
        for user_id, balance in balances.items():
            assert sums.get(user_id, 0) == balance, (user_id, sums.get(user_id), balance)

    async def poll(self, minutes: float = 2) -> None:
        """Time passes; the poller asks the panel; notifications reach the chats."""
        self.clock.advance(minutes=minutes)
        report = await StatusPoller(self.app.deps).run_cycle()
        assert report.unavailable is None, report.unavailable
        await self.deliver()

    async def deliver(self) -> None:
        async def fake_sleep(seconds: float) -> None:
            self.clock.advance(seconds=seconds)

        sender = OutboxSender(
            self.app.deps, self.app.bot, sleep=fake_sleep, settle_before_sleep=True
        )
        await sender.drain(max_seconds=600)

    def panel_order(self, order: Order) -> str:
        assert order.provider_order_id is not None
        return order.provider_order_id

    def notices(self) -> list[str]:
        return [m.text or "" for m in self.emu.bot_messages(ALICE)]

    def operator_alerts(self) -> list[str]:
        return [m.text or "" for m in self.emu.bot_messages(OPERATORS_CHAT_ID)]


@contextlib.asynccontextmanager
async def life(tmp_path: Path, *dialects: str) -> AsyncIterator[Life]:
    clock = FakeClock()
    sim = ProviderSimulator(
        key=KEY,
        clock=clock,
        balance=Decimal("1000"),
        partial_share=0.0,
        cancel_share=0.0,
        reject_share=0.0,
        dialects=dialects,
    )
    provider_url = await sim.start()
    limits = LimitSettings(global_per_second=None, chat_per_second=None, group_per_minute=None)
    emu = TelegramEmulator(token=TOKEN, limits=limits)
    base = await emu.start()
    settings = Config(
        bot_token=SecretStr(TOKEN),
        telegram_api_url=base,
        provider_url=provider_url,
        provider_key=SecretStr(KEY),
        operator_chat_id=OPERATORS_CHAT_ID,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/dialect.db",
        _env_file=None,  # type: ignore[call-arg]
    )
    app = await Application.create(
        settings,
        bot_session=QuickCloseSession(api=TelegramAPIServer.from_base(base)),
        clock=clock,
        throttling=ThrottlingMiddleware(create_i18n(), rate=1000, burst=1000),
        jobs=False,
    )
    await app.startup()  # the one catalogue sync, in this dialect too
    polling = asyncio.create_task(
        app.dp.start_polling(
            app.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    story = Life(app, emu, sim, clock)
    try:
        assert "Hi, Alice" in await story.say("/start")
        async with app.deps.session_factory() as session, session.begin():
            shop = Shop(session, app.deps)
            user, _ = await shop.users.enter(
                ALICE, username="alice", first_name="Alice", language="en"
            )
            await shop.wallet.credit(user.id, to_micro("50"), LedgerKind.PROMO, "e2e:gift")
        story.user_id = user.id
        yield story
        assert not emu.counters.violations  # Telegram saw only valid requests
    finally:
        await app.dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await app.close()
        await emu.stop()
        await sim.stop()


def plain(sim: ProviderSimulator, **criteria: Any) -> SimService:
    return sim.find_service(ServiceType.DEFAULT, dripfeed=False, **criteria)
