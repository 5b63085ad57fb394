"""Stars payments end to end: the factory-built bot polls the Telegram emulator over HTTP
and pays through the emulator's payment flow (pre-checkout, then successful_payment, as
Telegram does); the provider simulator answers over HTTP; the outbox sender delivers
the operators' alerts and the referrer's notice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import LabeledPrice
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import SystemClock
from bot.config import Config
from bot.deps import Deps
from bot.factory import create_bot, create_deps, create_dispatcher
from bot.jobs.catalog import sync_catalog
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.outbox.sender import OutboxSender
from bot.provider.client import ProviderClient
from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.telegram import OPERATORS_CHAT_ID, StoredMessage, TelegramEmulator
from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.services import Shop
from bot.shop.users import referral_code
from tests.harness import catalog_id

from .conftest import PollingRunner, QuickCloseSession

ALICE, BORIS, ADMIN = 1001, 1002, 1000
KEY = "e2e-key"


@dataclass
class StarsShop:
    emu: TelegramEmulator
    deps: Deps
    bot: Bot
    sim: ProviderSimulator

    async def balance(self, telegram_id: int) -> int:
        async with self.deps.session_factory() as session:
            shop = Shop(session, self.deps)
            user, _ = await shop.users.enter(
                telegram_id, username=None, first_name=None, language="en"
            )
            return user.balance

    async def user_id(self, telegram_id: int) -> int:
        async with self.deps.session_factory() as session:
            user, _ = await Shop(session, self.deps).users.enter(
                telegram_id, username=None, first_name=None, language="en"
            )
            return user.id

    async def say(self, user: int, text: str, expect: str) -> StoredMessage:
        await self.emu.send_text(user, text)
        return await self.emu.wait_for_bot_message(user, lambda m: expect in (m.text or ""))

    async def click(self, user: int, label: str, expect: str | None = None) -> StoredMessage:
        message = next(
            m
            for m in reversed(self.emu.bot_messages(user))
            if any(label in b["text"] for b in m.buttons)
        )
        button = next(b for b in message.buttons if label in b["text"])
        await self.emu.click(user, message.message_id, button["callback_data"])
        return await self.emu.wait_for_bot_message(
            user, lambda m: m.invoice is not None if expect is None else expect in (m.text or "")
        )

    async def drain_outbox(self) -> None:
        await OutboxSender(self.deps, self.bot).drain(max_seconds=10)


@pytest.fixture
async def stars_shop(engine: AsyncEngine, tg_polling: PollingRunner) -> AsyncIterator[StarsShop]:
    emu = TelegramEmulator(limits=False)
    await emu.start()
    sim = ProviderSimulator(key=KEY, seed=3, balance=Decimal("100000"))
    provider_url = await sim.start()
    settings = Config(
        bot_token=emu.token,
        telegram_api_url=emu.base_url,
        provider_url=provider_url,
        provider_key=KEY,
        admin_ids=frozenset({ADMIN}),
        operator_chat_id=OPERATORS_CHAT_ID,
        stars_rate=Decimal("0.013"),
        referral_percent=Decimal(5),
        _env_file=None,
    )  # type: ignore[call-arg]
    provider = ProviderClient(provider_url, KEY, timeout=5, add_timeout=5, retries=1)
    deps = create_deps(settings, engine=engine, provider=provider, clock=SystemClock())
    assert emu.base_url is not None
    bot = create_bot(
        settings, session=QuickCloseSession(api=TelegramAPIServer.from_base(emu.base_url))
    )
    dispatcher: Dispatcher = create_dispatcher(
        deps, throttling=ThrottlingMiddleware(deps.i18n, rate=1e6, burst=1_000_000)
    )
    await sync_catalog(deps)
    await tg_polling(dispatcher, bot)
    try:
        yield StarsShop(emu, deps, bot, sim)
    finally:
        await dispatcher.stop_polling()
        await bot.session.close()
        await provider.close()
        await sim.stop()
        await emu.stop()


async def test_top_up_end_to_end_and_replay(
    stars_shop: StarsShop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.wallet.payments")
    shop, emu = stars_shop, stars_shop.emu
    await shop.say(ALICE, "/start", "Hi, Alice")
    await shop.say(ALICE, "/topup", "Top up your balance")
    invoice = await shop.click(ALICE, "⭐385")
    assert invoice.invoice == {
        "title": "Balance top-up",
        "description": "5.00 USD will be added to your balance in the shop.",
        "start_parameter": "",
        "currency": "XTR",
        "total_amount": 385,
    }
    outcome = await emu.pay(ALICE, invoice.message_id)
    assert outcome.ok, outcome.error_message
    thanks = await emu.wait_for_bot_message(ALICE, lambda m: "Thank you" in (m.text or ""))
    assert "Balance: 5.00 USD" in (thanks.text or "")
    assert await shop.balance(ALICE) == to_micro("5")
    assert emu.stars_balance() == 385

    # Telegram delivers the same successful_payment again: nothing changes.
    assert outcome.message is not None
    emu.push_update("message", outcome.message.to_api())
    await _logged(caplog, "delivered again")
    await shop.say(ALICE, "/balance", "Balance")
    assert await shop.balance(ALICE) == to_micro("5")
    assert [m for m in emu.bot_messages(ALICE) if "Thank you" in (m.text or "")] == [thanks]

    await shop.drain_outbox()
    alerts = [m.text or "" for m in emu.chat(OPERATORS_CHAT_ID)]
    assert any("Top-up" in a and outcome.telegram_payment_charge_id in a for a in alerts)


async def _logged(caplog: pytest.LogCaptureFixture, text: str, timeout: float = 10.0) -> None:
    """Wait until the bot (polling in this process, on this loop) logged `text`."""
    if any(text in record.getMessage() for record in caplog.records):
        return
    seen = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if text in record.getMessage():
                seen.set()

    watch = Watch()
    logging.getLogger().addHandler(watch)
    try:
        await asyncio.wait_for(seen.wait(), timeout)
    except TimeoutError:
        raise AssertionError(f"never logged: {text!r}") from None
    finally:
        logging.getLogger().removeHandler(watch)


async def test_forged_payload_is_refused_at_pre_checkout(stars_shop: StarsShop) -> None:
    shop, emu = stars_shop, stars_shop.emu
    await shop.say(ALICE, "/start", "Hi, Alice")
    link = await shop.bot.create_invoice_link(
        title="Top up",
        description="A lot of money",
        payload="topup:1001:100000",
        currency="XTR",
        prices=[LabeledPrice(label="x", amount=1)],
    )
    outcome = await emu.pay_link(ALICE, link)
    assert not outcome.ok and "not valid" in (outcome.error_message or "")
    assert not emu.payments and await shop.balance(ALICE) == 0

    # A genuine invoice of Alice, paid by Boris through a link with its payload: refused.
    await shop.say(ALICE, "/topup", "Top up your balance")
    invoice = await shop.click(ALICE, "⭐385")
    stolen = await shop.bot.create_invoice_link(
        title="Top up",
        description="Borrowed payload",
        payload=invoice.invoice_payload or "",
        currency="XTR",
        prices=[LabeledPrice(label="x", amount=385)],
    )
    outcome = await emu.pay_link(BORIS, stolen)
    assert not outcome.ok and not emu.payments
    # A link with Alice's payload but a smaller amount: refused too.
    cheap = await shop.bot.create_invoice_link(
        title="Top up",
        description="Cheaper",
        payload=invoice.invoice_payload or "",
        currency="XTR",
        prices=[LabeledPrice(label="x", amount=1)],
    )
    outcome = await emu.pay_link(ALICE, cheap)
    assert not outcome.ok and "does not match" in (outcome.error_message or "")
    assert not emu.payments and await shop.balance(ALICE) == 0


async def test_shortfall_top_up_resumes_the_order(stars_shop: StarsShop) -> None:
    shop, emu = stars_shop, stars_shop.emu
    await shop.say(ALICE, "/start", "Hi, Alice")
    service = shop.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    shop_id = await catalog_id(shop, service.service_id)  # type: ignore[arg-type]
    found = await shop.say(ALICE, f"#{shop_id}", "Found")
    await emu.click(ALICE, found.message_id, found.buttons[0]["callback_data"])
    await emu.wait_for_bot_message(ALICE, lambda m: f"Service #{shop_id}" in (m.text or ""))
    await shop.click(ALICE, "Order", expect="Send the link")
    await shop.say(ALICE, "https://instagram.com/p/abc123", "How many?")
    await shop.say(ALICE, str(max(service.min, 1000)), "Check your order")
    await shop.click(ALICE, "Confirm", expect="Not enough on your balance")
    invoice = await shop.click(ALICE, "Top up")
    assert invoice.invoice and invoice.invoice["currency"] == "XTR"

    outcome = await emu.pay(ALICE, invoice.message_id)
    assert outcome.ok, outcome.error_message
    await emu.wait_for_bot_message(ALICE, lambda m: "Your order is waiting" in (m.text or ""))
    await shop.click(ALICE, "Confirm", expect="placed")
    assert shop.sim.calls["add"] == 1
    assert await shop.balance(ALICE) >= 0


async def test_stars_refund_and_referral(
    stars_shop: StarsShop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.wallet.payments")
    shop, emu = stars_shop, stars_shop.emu
    await shop.say(ALICE, "/start", "Hi, Alice")
    alice_id = await shop.user_id(ALICE)
    # Boris comes through Alice's link and tops up twice.
    await emu.send_text(BORIS, f"/start ref_{referral_code(alice_id)}")
    await emu.wait_for_bot_message(BORIS)
    charges = []
    for preset in ("⭐693", "⭐385"):  # 9.00 and 5.00 USD
        await emu.send_text(BORIS, "/topup")
        await emu.wait_for_bot_message(BORIS)
        invoice = await shop.click(BORIS, preset)
        outcome = await emu.pay(BORIS, invoice.message_id)
        assert outcome.ok, outcome.error_message
        await emu.wait_for_bot_message(BORIS, lambda m: "⭐" in (m.text or ""))
        charges.append(outcome.telegram_payment_charge_id)
    assert await shop.balance(BORIS) == to_micro("14.00")
    assert await shop.balance(ALICE) == to_micro("0.70")  # 0.45 + 0.25
    referral = await shop.say(ALICE, "/referral", "Invite friends")
    assert "You invited 1 person" in (referral.text or "")

    await shop.drain_outbox()
    notices = [m.text or "" for m in emu.bot_messages(ALICE)]
    assert any("is your reward" in n for n in notices)

    # The first top-up is refunded (with the reward it earned); then Boris spends some of
    # the second one, and its refund is refused.
    await shop.say(ADMIN, "/start", "Hi")
    reply = await shop.say(ADMIN, f"/starsrefund {charges[0]}", "Payment #")
    assert "Stars refunded" in (reply.text or ""), reply.text
    assert emu.payments[charges[0]].refunded
    assert await shop.balance(BORIS) == to_micro("5.00")
    assert await shop.balance(ALICE) == to_micro("0.25")  # the first reward taken back

    boris = await shop.user_id(BORIS)
    async with shop.deps.session_factory() as session:
        await Shop(session, shop.deps).wallet.debit(
            boris, to_micro("1"), LedgerKind.ADJUSTMENT, "e2e:spend"
        )
    reply = await shop.say(ADMIN, f"/starsrefund {charges[1]}", "Not refunded")
    assert "credit is spent" in (reply.text or "")
    assert not emu.payments[charges[1]].refunded
    assert await shop.balance(BORIS) == to_micro("4.00")
    # Telegram's refunded_payment note of the first refund changed nothing more.
    await _logged(caplog, f"refunded_payment {charges[0]}")
    assert await shop.balance(BORIS) == to_micro("4.00")
    unknown = [m for m in emu.bot_messages(BORIS) if "did not find" in (m.text or "")]
    assert not unknown, "the refunded_payment message reached the fallback"


async def test_payer_who_blocks_the_bot_at_once_keeps_the_credit(
    stars_shop: StarsShop, caplog: pytest.LogCaptureFixture
) -> None:
    """Pay, block the bot before it could say thank you, unblock: the credit is there and
    the thank-you arrives after all."""
    caplog.set_level(logging.INFO, logger="handlers.common.show")
    shop, emu = stars_shop, stars_shop.emu
    await shop.say(ALICE, "/start", "Hi, Alice")
    await shop.say(ALICE, "/topup", "Top up your balance")
    invoice = await shop.click(ALICE, "⭐385")
    outcome = await emu.pay(ALICE, invoice.message_id)
    assert outcome.ok, outcome.error_message
    emu.block(ALICE)  # before the bot has even seen the payment
    await _logged(caplog, "queued in the outbox")  # the thank-you was refused with 403
    assert await shop.balance(ALICE) == to_micro("5")
    assert not [m for m in emu.bot_messages(ALICE) if "Thank you" in (m.text or "")]
    await shop.drain_outbox()  # still blocked: held, not lost
    emu.unblock(ALICE)
    await shop.say(ALICE, "/balance", "5.00 USD")
    await shop.drain_outbox()
    assert [m for m in emu.bot_messages(ALICE) if "Thank you" in (m.text or "")]
    assert await shop.balance(ALICE) == to_micro("5")


async def test_service_hidden_while_at_confirm_is_explained(stars_shop: StarsShop) -> None:
    """The tap on Confirm is answered at once; the reason it failed comes as a message."""
    shop, emu = stars_shop, stars_shop.emu
    await shop.say(ALICE, "/start", "Hi, Alice")
    async with shop.deps.session_factory() as session:
        users = Shop(session, shop.deps)
        alice = await users.users.find(ALICE)
        assert alice is not None
        await users.wallet.credit(alice.id, to_micro("100"), LedgerKind.PROMO, "e2e:hidden")
    service = shop.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    shop_id = await catalog_id(shop, service.service_id)  # type: ignore[arg-type]
    found = await shop.say(ALICE, f"#{shop_id}", "Found")
    await emu.click(ALICE, found.message_id, found.buttons[0]["callback_data"])
    await emu.wait_for_bot_message(ALICE, lambda m: f"Service #{shop_id}" in (m.text or ""))
    await shop.click(ALICE, "Order", expect="Send the link")
    await shop.say(ALICE, "https://instagram.com/p/hidden", "How many?")
    await shop.say(ALICE, str(service.min), "Check your order")
    await shop.say(ADMIN, "/start", "Admin")
    await shop.say(ADMIN, f"/hide {shop_id}", "hidden")
    await shop.click(ALICE, "Confirm", expect="not available any more")
    assert shop.sim.calls["add"] == 0
    assert await shop.balance(ALICE) == to_micro("100")
    for answer in emu.callback_answers(ALICE):
        assert answer.text is None or "not available" not in answer.text
