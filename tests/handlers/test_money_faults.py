"""No money effect depends on a reply: every send fails (403 blocked, 500, a lost
connection, 429 with retry_after 30) on each money path, and afterwards the effect is in
the database exactly once, the ledger adds up to the balances, and where a message was
due the customer is told later through the outbox. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import RefundStarPayment
from aiogram.types import Update
from sqlalchemy import select

from bot.outbox.sender import OutboxSender
from bot.provider.models import ServiceType
from bot.provider.requests import PreparedAdd
from bot.sandbox.recording import Fault
from bot.shop.enums import LedgerKind, OrderState, PaymentState
from bot.shop.money import to_micro
from db.models import LedgerEntry, Order, OutboxMessage
from tests.handlers.arrange import books_balance, payment
from tests.handlers.stars import (
    TelegramSays,
    deliver,
    last_invoice,
    pre_checkout,
    refunded_message,
)
from tests.harness import Customer, ShopApp, catalog_id, open_service

pytestmark = pytest.mark.shop("stars")

FAULTS = [Fault.BLOCKED, Fault.SERVER, Fault.NETWORK, Fault.FLOOD]
LINK = "https://instagram.com/p/faults"


async def ledger_rows(app: ShopApp, prefix: str) -> list[LedgerEntry]:
    async with app.deps.session_factory() as session, session.begin():
        stmt = select(LedgerEntry).where(LedgerEntry.reference.startswith(prefix))
        return list(await session.scalars(stmt))


async def queued_for(app: ShopApp, chat_id: int) -> list[OutboxMessage]:
    async with app.deps.session_factory() as session, session.begin():
        stmt = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
        return list(await session.scalars(stmt.order_by(OutboxMessage.id)))


async def orders(app: ShopApp) -> list[Order]:
    async with app.deps.session_factory() as session, session.begin():
        return list(await session.scalars(select(Order).order_by(Order.id)))


async def invoice_paid_under(app: ShopApp, alice: Customer, fault: Fault) -> str:
    """Alice asks for 5 USD in Stars; Telegram takes the payment; every reply fails."""
    await alice.send("/topup")
    await alice.click("⭐385")
    invoice = last_invoice(app, alice)
    total = sum(price.amount for price in invoice.prices)
    answer = await pre_checkout(app, alice, invoice.payload, total)
    assert answer.ok
    app.session.fail_with(fault)
    charge_id = f"stxFAULT{fault.value}"
    await deliver(app, alice, invoice.payload, total, charge_id)
    return charge_id


# --- Stars ---------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
async def test_stars_payment_is_credited_when_the_thank_you_fails(
    app: ShopApp, alice: Customer, fault: Fault
) -> None:
    charge_id = await invoice_paid_under(app, alice, fault)
    assert app.session.faulted, "the thank-you was attempted"
    assert await app.balance(alice) == to_micro("5")
    assert len(await ledger_rows(app, f"stars:{charge_id}")) == 1
    assert (await payment(app, charge_id)).state is PaymentState.PAID
    # The thank-you waits in the outbox (held for a customer who blocked the bot).
    assert any("Thank you" in m.text for m in await queued_for(app, alice.user.id))
    # Telegram delivers the same payment again once it works: nothing changes.
    app.session.fail_with(None)
    invoice = last_invoice(app, alice)
    await deliver(app, alice, invoice.payload, 385, charge_id)
    assert await app.balance(alice) == to_micro("5")
    assert len(await ledger_rows(app, f"stars:{charge_id}")) == 1
    await books_balance(app)


async def test_thank_you_held_for_a_customer_who_blocked_the_bot(
    app: ShopApp, alice: Customer
) -> None:
    """Pay, block the bot at once, come back: the credit is there and so is the thank-you."""
    charge_id = await invoice_paid_under(app, alice, Fault.BLOCKED)

    async def no_sleep(_: float) -> None:
        return None

    sender = OutboxSender(app.deps, app.bot, sleep=no_sleep, settle_before_sleep=True)
    stats = await sender.drain()  # still blocked: skipped, the customer marked unreachable
    assert stats.blocked == 1 and stats.sent == 0
    app.session.fail_with(None)
    await alice.send("/balance")  # back: unblocked the bot and wrote to it
    assert "5.00 USD" in alice.last_text
    stats = await sender.drain()
    assert stats.sent >= 1
    assert any("Thank you" in m.text for m in alice.messages())
    assert len(await ledger_rows(app, f"stars:{charge_id}")) == 1
    await books_balance(app)


@pytest.mark.parametrize("fault", FAULTS)
async def test_refund_made_by_telegram_is_debited_when_the_notice_fails(
    app: ShopApp, alice: Customer, fault: Fault
) -> None:
    charge_id = await invoice_paid_under(app, alice, Fault.NETWORK)
    app.session.fail_with(fault)
    refunded = refunded_message(alice, charge_id)
    await app.feed(Update(update_id=app.next_update_id(), message=refunded))
    assert await app.balance(alice) == 0
    assert (await payment(app, charge_id)).state is PaymentState.REFUNDED
    assert len(await ledger_rows(app, f"stars-refund:{charge_id}")) == 1
    assert any("refunded" in m.text for m in await queued_for(app, alice.user.id))
    await books_balance(app)


@pytest.mark.parametrize("fault", FAULTS)
async def test_stars_refund_stands_when_the_admin_reply_fails(
    app: ShopApp, alice: Customer, admin: Customer, fault: Fault
) -> None:
    charge_id = await invoice_paid_under(app, alice, Fault.SERVER)
    with app.session.failing(fault):
        await admin.send(f"/starsrefund {charge_id}")
    assert len(app.session.methods(RefundStarPayment)) == 1
    assert await app.balance(alice) == 0
    assert (await payment(app, charge_id)).state is PaymentState.REFUNDED
    assert len(await ledger_rows(app, f"stars-refund:{charge_id}")) == 1
    assert not await ledger_rows(app, f"stars-refund-reversal:{charge_id}")
    assert any("was refunded" in m.text for m in await queued_for(app, alice.user.id))
    await books_balance(app)


async def test_stars_refund_answered_429_is_pending_never_reversed(
    app: ShopApp, alice: Customer, admin: Customer
) -> None:
    charge_id = await invoice_paid_under(app, alice, Fault.SERVER)
    app.session.fail_with(None)
    flood = TelegramRetryAfter(
        RefundStarPayment(user_id=alice.user.id, telegram_payment_charge_id=charge_id),
        "Too Many Requests: retry after 30",
        retry_after=30,
    )
    for _ in range(2):  # a first attempt and a retry: both flood-controlled
        with TelegramSays(app, flood):
            await admin.send(f"/starsrefund {charge_id}")
        assert (await payment(app, charge_id)).state is PaymentState.REFUNDING
        assert await app.balance(alice) == 0  # still debited: Telegram may have refunded
        assert not await ledger_rows(app, f"stars-refund-reversal:{charge_id}")
    await admin.send(f"/starsrefund {charge_id}")  # Telegram answers this time
    assert (await payment(app, charge_id)).state is PaymentState.REFUNDED
    assert len(await ledger_rows(app, f"stars-refund:{charge_id}")) == 1
    await books_balance(app)


# --- ordering ------------------------------------------------------------------------


async def start_order(app: ShopApp, alice: Customer) -> int:
    await app.credit(alice, "100")
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    return service.min


@pytest.mark.parametrize("fault", FAULTS)
async def test_placed_order_is_charged_once_when_the_receipt_fails(
    app: ShopApp, alice: Customer, fault: Fault
) -> None:
    await start_order(app, alice)
    confirm = alice.find_button("Confirm")
    with app.session.failing(fault):
        await alice.press(confirm[1], confirm[0])
        await alice.press(confirm[1], confirm[0])  # a second tap while nothing answers
    [order] = await orders(app)
    assert order.state is OrderState.ACTIVE and app.sim.calls["add"] == 1
    assert await app.balance(alice) == to_micro("100") - order.charge
    await books_balance(app)


@pytest.mark.parametrize("fault", FAULTS)
async def test_refused_order_is_refunded_once_when_the_reply_fails(
    app: ShopApp, alice: Customer, fault: Fault
) -> None:
    quantity = await start_order(app, alice)
    app.sim.faults.reject_duplicate_links = True
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    # An unfinished order with the same link at the panel: it refuses ours.
    await app.deps.provider.add(
        PreparedAdd.of(
            {"service": str(service.service_id), "link": LINK, "quantity": str(quantity)}
        )
    )
    with app.session.failing(fault):
        await alice.click("Confirm")
    [order] = await orders(app)
    assert order.state is OrderState.FAILED and order.refunded == order.charge
    assert await app.balance(alice) == to_micro("100")
    assert len(await ledger_rows(app, f"order:{order.id}:refund")) == 1
    await books_balance(app)


@pytest.mark.parametrize("fault", [Fault.BLOCKED, Fault.NETWORK])
async def test_unknown_order_keeps_its_charge_when_the_reply_fails(
    app: ShopApp, alice: Customer, fault: Fault
) -> None:
    await start_order(app, alice)
    app.sim.faults.add_hang_after_create = True
    with app.session.failing(fault):
        await alice.click("Confirm")
    [order] = await orders(app)
    assert order.state is OrderState.UNKNOWN and app.sim.calls["add"] == 1
    assert await app.balance(alice) == to_micro("100") - order.charge
    await books_balance(app)


# --- admin money commands and promo codes ----------------------------------------------


@pytest.mark.parametrize("fault", FAULTS)
async def test_admin_credit_and_debit_stand_when_replies_fail(
    app: ShopApp, alice: Customer, admin: Customer, fault: Fault
) -> None:
    for command in ("/credit 1001 12.50 goodwill", "/debit 1001 2.50 correction"):
        await admin.send(command)
        with app.session.failing(fault):
            await admin.click("Confirm")  # the money moves; the edited message fails
    assert await app.balance(alice) == to_micro("10")
    adjustments = [r for r in await ledger_rows(app, "") if r.kind is LedgerKind.ADJUSTMENT]
    assert sorted(r.amount for r in adjustments) == [to_micro("-2.50"), to_micro("12.50")]
    await books_balance(app)


@pytest.mark.parametrize("fault", FAULTS)
async def test_admin_refund_stands_when_the_reply_fails(
    app: ShopApp, alice: Customer, admin: Customer, fault: Fault
) -> None:
    await start_order(app, alice)
    await alice.click("Confirm")
    [order] = await orders(app)
    await admin.send(f"/refund {order.id}")
    with app.session.failing(fault):
        await admin.click("Yes, refund")
    [order] = await orders(app)
    assert order.refunded == order.charge
    assert await app.balance(alice) == to_micro("100")
    await books_balance(app)


@pytest.mark.parametrize("fault", FAULTS)
async def test_promo_redemption_stands_when_the_reply_fails(
    app: ShopApp, alice: Customer, admin: Customer, fault: Fault
) -> None:
    await admin.send("/promo create FAULTY 3 10")
    with app.session.failing(fault):
        await alice.send("/promo FAULTY")
    assert await app.balance(alice) == to_micro("3")
    await alice.send("/promo FAULTY")
    assert await app.balance(alice) == to_micro("3")
    await books_balance(app)
