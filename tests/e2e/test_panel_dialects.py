"""One whole order life per panel dialect, over real HTTP: the bot's own polling loop,
the Telegram emulator and the provider simulator speaking that dialect
(`python -m bot.sandbox.provider --dialect NAME`).

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

import pytest
from aiogram.client.telegram import TelegramAPIServer
from pydantic import SecretStr

from bot.app import Application
from bot.clock import FakeClock
from bot.config import Config
from bot.i18n import create_i18n
from bot.jobs.balance import BalanceWatch
from bot.jobs.orders import StatusPoller
from bot.jobs.refills import RefillPoller
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.outbox.sender import OutboxSender
from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.provider.catalog import SimService
from bot.sandbox.telegram import LimitSettings, TelegramEmulator
from bot.sandbox.telegram.models import OPERATORS_CHAT_ID, StoredMessage
from bot.shop.enums import LedgerKind, OrderState
from bot.shop.money import format_amount, to_micro
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


# --- one life per dialect ----------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["php-notices", "string-ids", "null-errors", "spellings"])
async def test_an_order_from_placement_to_completion(tmp_path: Path, dialect: str) -> None:
    async with life(tmp_path, dialect) as story:
        order = await story.order(plain(story.sim))
        assert "placed" in story.last() and order.state is OrderState.ACTIVE
        assert story.sim.calls["add"] == 1
        await story.poll(minutes=2)  # started
        assert any("has started" in n for n in story.notices())
        await story.poll(minutes=60)  # done
        done = await story.latest_order()
        assert done.state is OrderState.COMPLETED and done.refunded == 0
        assert any("is completed" in n for n in story.notices())
        assert await story.balance() == to_micro("50") - done.charge


async def test_flat_single_refresh_and_a_start_count_of_zero(tmp_path: Path) -> None:
    async with life(tmp_path, "flat-single") as story:
        order = await story.order(plain(story.sim))
        await story.card(order)
        story.clock.advance(seconds=5)  # Pending: the panel's start count is its default 0
        calls = story.sim.calls["status"]
        await story.tap("Refresh")
        card = story.last()
        assert story.sim.calls["status"] == calls + 1  # one id: the panel answers flat
        assert "Start count" not in card and "— in progress" in card
        story.sim.script(story.panel_order(order), "Completed")
        story.clock.advance(minutes=1)
        await story.tap("Refresh")
        assert "— completed" in story.last() and "Start count:" in story.last()
        assert (await story.latest_order()).state is OrderState.COMPLETED


async def test_no_refill_status_marks_the_refill_untracked(tmp_path: Path) -> None:
    async with life(tmp_path, "no-refill-status") as story:
        order = await story.order(plain(story.sim, refill=True))
        story.sim.script(story.panel_order(order), "Completed")
        await story.poll()
        await story.card(order)
        answer = await story.tap("Refill")
        assert answer and "Refill requested" in answer
        story.clock.advance(minutes=1)
        report = await RefillPoller(story.app.deps).run_cycle()
        assert report.untracked == 1
        await story.deliver()
        await story.card(order)
        assert "not trackable at the panel" in story.last()
        alerts = [a for a in story.operator_alerts() if "refill status" in a]
        assert len(alerts) == 1
        story.clock.advance(minutes=5)
        assert (await RefillPoller(story.app.deps).run_cycle()).due == 0


async def test_partial_cancel_refunds_the_undelivered_share(tmp_path: Path) -> None:
    async with life(tmp_path, "partial-cancel") as story:
        service = plain(story.sim)
        quantity = max(service.min, 1000)
        order = await story.order(service, quantity)
        story.sim.script(story.panel_order(order), "Canceled", remains=quantity * 3 // 10)
        await story.poll()
        settled = await story.latest_order()
        assert settled.state is OrderState.CANCELED
        assert 0 < settled.refunded < settled.charge
        text = next(n for n in story.notices() if "was canceled by the provider" in n)
        assert f"{quantity - quantity * 3 // 10:,} of {quantity:,} had been delivered" in text
        assert format_amount(settled.refunded, "USD") in text
        assert await story.balance() == to_micro("50") - settled.charge + settled.refunded


async def test_subscription_posts_refund_what_was_not_served(tmp_path: Path) -> None:
    async with life(tmp_path, "subscription-posts") as story:
        service = story.sim.find_service(ServiceType.SUBSCRIPTIONS)
        await story.open_service(service)
        await story.say("@natgeo")
        await story.say(str(service.min))
        await story.say(str(service.min))
        await story.say("5")  # posts
        await story.tap("Skip", then="Delay before each post")  # no old posts
        await story.tap("0", then="Until when?")  # no delay
        await story.tap("Skip", then="Check your order")  # no expiry
        await story.tap("Confirm", then="#")
        order = await story.latest_order()
        assert order.state is OrderState.ACTIVE
        story.sim.script(story.panel_order(order), "Expired", posts=2)
        await story.poll()
        settled = await story.latest_order()
        assert settled.state is OrderState.PARTIAL
        assert settled.refunded == (settled.charge * 3 // 5) // 10_000 * 10_000
        assert any("2 of 5 paid posts were served" in n for n in story.notices())
        await story.card(order)
        assert "Posts served: 2 of 5" in story.last() and "Unused posts refunded" in story.last()


async def test_cancel_object_is_a_yes_and_the_refund_follows(tmp_path: Path) -> None:
    async with life(tmp_path, "cancel-object") as story:
        order = await story.order(plain(story.sim, cancel=True))
        await story.card(order)
        answer = await story.tap("Cancel order")
        assert answer and "Cancellation requested" in answer and "declined" not in answer
        await story.poll()
        settled = await story.latest_order()
        assert settled.state is OrderState.CANCELED and settled.refunded == settled.charge
        assert await story.balance() == to_micro("50")


async def test_an_account_refusal_pauses_ordering_until_the_panel_answers(
    tmp_path: Path,
) -> None:
    async with life(tmp_path) as story:
        service = plain(story.sim)
        story.sim.faults.account_refusal = "Your IP is not allowed"
        await story.order(service)
        told = story.last()
        assert "temporarily unavailable" in told and "back on your balance" in told
        assert await story.balance() == to_micro("50")
        await story.deliver()
        [alert] = story.operator_alerts()
        assert "IP address" in alert and "paused" in alert
        # Next try: refused before paying, the panel is not even asked. The tap on
        # Confirm was answered at once, so the reason comes as a message.
        adds = story.sim.calls["add"]
        await story.open_service(service)
        await story.say(LINK)
        await story.say(str(service.min))
        await story.tap("Confirm", then="temporarily unavailable")
        await story.say("/cancel")  # the form is kept; this customer leaves it
        assert story.sim.calls["add"] == adds and await story.balance() == to_micro("50")
        # The panel takes the shop's calls again: the next balance check lifts the pause.
        story.sim.faults.account_refusal = None
        story.clock.advance(minutes=1)
        assert (await BalanceWatch(story.app.deps).run()).resumed
        await story.deliver()
        assert any("answers the shop's calls normally again" in a for a in story.operator_alerts())
        await story.order(service)
        assert "placed" in story.last()
        assert (await story.latest_order()).state is OrderState.ACTIVE
