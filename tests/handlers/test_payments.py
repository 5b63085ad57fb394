"""Top-ups in Stars through the real dispatcher: invoices, pre-checkout, payment, the
checkout shortfall, /paysupport and /starsrefund; forged and replayed payment updates."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import (
    AnswerPreCheckoutQuery,
    RefundStarPayment,
    SendInvoice,
    TelegramMethod,
)
from aiogram.types import (
    Message,
    PreCheckoutQuery,
    RefundedPayment,
    SuccessfulPayment,
    Update,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.factory import create_dispatcher
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.provider.models import ServiceType
from bot.shop.enums import LedgerKind, PaymentState
from bot.shop.money import to_micro
from db.models import LedgerEntry, OutboxMessage, Payment
from db.repositories.users import UserRepo
from tests.harness import Customer, ShopApp, catalog_id, open_service, running_shop

pytestmark = pytest.mark.parametrize("db_kind", ["sqlite"])

ADMIN = 9001
OPERATORS = -100500
RATE = "0.013"  # USD per Star: 5 USD = 385 Stars -> 5.00 (385 x 0.013 = 5.005)
_charges = itertools.count(1)


# --- helpers (also used by the referral and promo tests) -----------------------------


def stars_env(monkeypatch: pytest.MonkeyPatch, rate: str | None = RATE) -> None:
    """The harness builds its Config from the environment: set the payment settings."""
    if rate is None:
        monkeypatch.delenv("STARS_RATE", raising=False)
    else:
        monkeypatch.setenv("STARS_RATE", rate)
    monkeypatch.setenv("OPERATOR_CHAT_ID", str(OPERATORS))
    monkeypatch.setenv("REFERRAL_PERCENT", "5")
    monkeypatch.delenv("TOPUP_PRESETS", raising=False)


def invoices(app: ShopApp, customer: Customer) -> list[SendInvoice]:
    return [m for m in app.session.methods(SendInvoice) if int(m.chat_id) == customer.user.id]


def last_invoice(app: ShopApp, customer: Customer) -> SendInvoice:
    sent = invoices(app, customer)
    assert sent, "no invoice was sent"
    return sent[-1]


@dataclass
class Checkout:
    ok: bool
    error: str | None
    charge_id: str | None = None


async def pre_checkout(
    app: ShopApp,
    customer: Customer,
    payload: str,
    total: int,
    currency: str = "XTR",
) -> AnswerPreCheckoutQuery:
    query_id = f"pcq{app.next_update_id()}"
    query = PreCheckoutQuery(
        id=query_id,
        from_user=customer.user,
        currency=currency,
        total_amount=total,
        invoice_payload=payload,
    )
    await app.feed(Update(update_id=app.next_update_id(), pre_checkout_query=query))
    answers = [
        a
        for a in app.session.methods(AnswerPreCheckoutQuery)
        if a.pre_checkout_query_id == query_id
    ]
    assert len(answers) == 1, "the pre-checkout query must be answered exactly once"
    return answers[0]


async def deliver(
    app: ShopApp,
    customer: Customer,
    payload: str,
    total: int,
    charge_id: str,
    currency: str = "XTR",
) -> Any:
    """The successful_payment message, as Telegram sends it after the payment."""
    message = Message(
        message_id=next(customer.app._message_ids),
        date=datetime.now(UTC),
        chat=customer.chat,
        from_user=customer.user,
        successful_payment=SuccessfulPayment(
            currency=currency,
            total_amount=total,
            invoice_payload=payload,
            telegram_payment_charge_id=charge_id,
            provider_payment_charge_id="",
        ),
    )
    return await app.feed(Update(update_id=app.next_update_id(), message=message))


def refunded_message(customer: Customer, charge_id: str) -> Message:
    """Telegram's refunded_payment message in the payer's chat."""
    return Message(
        message_id=next(customer.app._message_ids),
        date=datetime.now(UTC),
        chat=customer.chat,
        from_user=customer.user,
        refunded_payment=RefundedPayment(
            currency="XTR",
            total_amount=385,
            invoice_payload="p",
            telegram_payment_charge_id=charge_id,
        ),
    )


async def pay(app: ShopApp, customer: Customer, invoice: SendInvoice | None = None) -> Checkout:
    """Pay an invoice as Telegram does: pre-checkout, then (if ok) successful_payment."""
    invoice = invoice or last_invoice(app, customer)
    total = sum(price.amount for price in invoice.prices)
    answer = await pre_checkout(app, customer, invoice.payload, total, invoice.currency)
    if not answer.ok:
        return Checkout(False, answer.error_message)
    charge_id = f"stxTEST{next(_charges):06d}"
    await deliver(app, customer, invoice.payload, total, charge_id, invoice.currency)
    return Checkout(True, None, charge_id)


async def ledger(app: ShopApp, reference: str) -> LedgerEntry | None:
    async with app.deps.session_factory() as session, session.begin():
        return await session.scalar(select(LedgerEntry).where(LedgerEntry.reference == reference))


async def outbox(app: ShopApp, chat_id: int | None = None) -> list[OutboxMessage]:
    async with app.deps.session_factory() as session, session.begin():
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if chat_id is not None:
            stmt = stmt.where(OutboxMessage.chat_id == chat_id)
        return list(await session.scalars(stmt))


async def payment(app: ShopApp, charge_id: str) -> Payment:
    async with app.deps.session_factory() as session, session.begin():
        row = await session.scalar(select(Payment).where(Payment.charge_id == charge_id))
        assert row is not None
        return row


async def internal_id(app: ShopApp, customer: Customer) -> int:
    async with app.deps.session_factory() as session, session.begin():
        user = await UserRepo(session).by_telegram_id(customer.user.id)
        assert user is not None
        return user.id


class TelegramSays:
    """Make the recording Bot session answer refundStarPayment with an error."""

    def __init__(self, app: ShopApp, error: Exception | None) -> None:
        self.app = app
        self.error = error
        self._original = app.session.make_request

    async def __call__(self, bot: Any, method: TelegramMethod[Any], timeout: Any = None) -> Any:
        if isinstance(method, RefundStarPayment) and self.error is not None:
            self.app.session.calls.append(method)
            raise self.error
        return await self._original(bot, method, timeout)

    def __enter__(self) -> TelegramSays:
        self.app.session.make_request = self  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.app.session.make_request = self._original  # type: ignore[method-assign]


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture
async def app(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ShopApp]:
    stars_env(monkeypatch)
    async with running_shop(engine, admin_ids=frozenset({ADMIN})) as shop:
        yield shop


@pytest.fixture
async def alice(app: ShopApp) -> Customer:
    customer = app.customer(1001)
    await customer.send("/start")
    return customer


@pytest.fixture
async def admin(app: ShopApp) -> Customer:
    customer = app.customer(ADMIN, first_name="Admin")
    await customer.send("/start")
    return customer


# --- /topup -------------------------------------------------------------------------


async def test_topup_preset_end_to_end(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    assert "Top up your balance" in alice.last_text and "0.013 USD" in alice.last_text
    labels = [label for label, _ in alice.buttons()]
    # Stars rounded up, the credit rounded down: 5 USD costs 385 Stars and credits 5.00.
    assert labels[:4] == [
        "5.00 USD · ⭐385",
        "10.01 USD · ⭐770",
        "25.01 USD · ⭐1924",
        "50.01 USD · ⭐3847",
    ]
    await alice.click("⭐385")
    invoice = last_invoice(app, alice)
    assert invoice.currency == "XTR" and not invoice.provider_token
    assert [p.amount for p in invoice.prices] == [385]
    assert "5.00 USD will be added" in invoice.description
    assert len(invoice.title) <= 32 and len(invoice.payload) <= 64

    paid = await pay(app, alice)
    assert paid.ok
    assert "Thank you" in alice.last_text and "5.00 USD" in alice.last_text
    assert await app.balance(alice) == to_micro("5.00")
    entry = await ledger(app, f"stars:{paid.charge_id}")
    assert entry is not None and entry.kind is LedgerKind.TOPUP and entry.amount == to_micro("5")
    row = await payment(app, paid.charge_id or "")
    assert row.state is PaymentState.PAID and row.stars == 385
    [alert] = await outbox(app, OPERATORS)
    assert "⭐385" in alert.text and paid.charge_id in alert.text


async def test_topup_from_the_menu_button(app: ShopApp, alice: Customer) -> None:
    await alice.click("Top up")
    assert "Top up your balance" in alice.last_text
    await alice.click("⭐770")
    assert [p.amount for p in last_invoice(app, alice).prices] == [770]


async def test_custom_amount(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.click("Other amount")
    assert "Send the amount in USD" in alice.last_text
    await alice.send("twelve")
    assert "as a number" in alice.last_text
    await alice.send("5000")  # more than 100000 Stars
    assert "A top-up can be from 0.01 USD to 1300.00 USD" in alice.last_text
    assert not invoices(app, alice)
    await alice.send("0.5")  # 39 Stars -> 0.507 -> 0.50
    invoice = last_invoice(app, alice)
    assert [p.amount for p in invoice.prices] == [39]
    assert "0.50 USD" in invoice.description
    await alice.send("kitten")  # the flow ended with the invoice: a search now
    assert len(invoices(app, alice)) == 1
    assert (await pay(app, alice)).ok
    assert await app.balance(alice) == to_micro("0.50")


async def test_topups_unavailable_without_stars_rate(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    stars_env(monkeypatch, rate=None)
    async with running_shop(engine) as app:
        alice = app.customer(1001)
        await alice.send("/topup")
        assert "not available" in alice.last_text
        await alice.click("Menu")
        await alice.click("Top up")
        assert "not available" in alice.last_text
        await alice.press("tp:s:385")
        assert "not available" in alice.alerts()[-1]
        assert not invoices(app, alice)


async def test_tampered_preset_button(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.press("tp:s:0")
    await alice.press("tp:s:100001")
    await alice.press("tp:s:-5")
    assert not invoices(app, alice)
    await alice.press("tp:s:100")  # any whole number of Stars in range is a fair invoice
    assert [p.amount for p in last_invoice(app, alice).prices] == [100]


# --- pre-checkout and payment: forged, replayed ---------------------------------------


async def test_same_payment_delivered_twice_credits_once(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.click("⭐385")
    invoice = last_invoice(app, alice)
    paid = await pay(app, alice)
    replies = len(alice.messages())
    await deliver(app, alice, invoice.payload, 385, paid.charge_id or "")
    await deliver(app, alice, invoice.payload, 385, paid.charge_id or "")
    assert await app.balance(alice) == to_micro("5")
    assert len(alice.messages()) == replies  # nothing new said either
    assert len(await outbox(app, OPERATORS)) == 1
    # The paid invoice cannot pass pre-checkout again.
    answer = await pre_checkout(app, alice, invoice.payload, 385)
    assert not answer.ok and "already been paid" in (answer.error_message or "")


async def test_forged_payloads_and_amounts_are_refused(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.click("⭐385")
    invoice = last_invoice(app, alice)
    bob = app.customer(1002, first_name="Bob")
    await bob.send("/start")

    cases = [
        (alice, "never-issued", 385, "XTR", "not valid"),
        (alice, "", 385, "XTR", "not valid"),
        (alice, "x" * 128, 385, "XTR", "not valid"),
        (bob, invoice.payload, 385, "XTR", "not valid"),  # another customer's invoice
        (alice, invoice.payload, 1, "XTR", "does not match"),
        (alice, invoice.payload, 385, "USD", "does not match"),
    ]
    for customer, payload, total, currency, reason in cases:
        answer = await pre_checkout(app, customer, payload, total, currency)
        assert not answer.ok and reason in (answer.error_message or ""), (payload, answer)

    # successful_payment updates nobody paid through our pre-checkout: nothing credited.
    await deliver(app, alice, "never-issued", 385, "stxFORGED1")
    assert "could not match" in alice.last_text and "stxFORGED1" in alice.last_text
    await deliver(app, bob, invoice.payload, 385, "stxFORGED2")
    await deliver(app, alice, invoice.payload, 10, "stxFORGED3")
    await deliver(app, alice, invoice.payload, 385, "x" * 300)
    assert await app.balance(alice) == 0 and await app.balance(bob) == 0
    alerts = await outbox(app, OPERATORS)
    assert len(alerts) == 4 and all("not credited" in a.text for a in alerts)
    # The genuine invoice is still payable.
    assert (await pay(app, alice, invoice)).ok
    assert await app.balance(alice) == to_micro("5")


async def test_expired_invoice_is_refused(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.click("⭐385")
    app.clock.advance(hours=25)
    paid = await pay(app, alice)
    assert not paid.ok and "expired" in (paid.error or "")


async def test_banned_customer_cannot_pay(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.click("⭐385")
    user_id = await internal_id(app, alice)
    async with app.deps.session_factory() as session, session.begin():
        await UserRepo(session).set_banned(user_id, True)
    paid = await pay(app, alice)
    assert not paid.ok and "access to this shop is closed" in (paid.error or "")


async def test_invoice_paid_twice_by_two_charges(app: ShopApp, alice: Customer) -> None:
    """Both pre-checkouts passed before either payment arrived: Telegram took the Stars
    twice. Each charge is a payment of its own, credited once, refundable by its id."""
    await alice.send("/topup")
    await alice.click("⭐385")
    invoice = last_invoice(app, alice)
    assert (await pre_checkout(app, alice, invoice.payload, 385)).ok
    assert (await pre_checkout(app, alice, invoice.payload, 385)).ok
    await deliver(app, alice, invoice.payload, 385, "stxONE")
    await deliver(app, alice, invoice.payload, 385, "stxTWO")
    await deliver(app, alice, invoice.payload, 385, "stxTWO")
    assert await app.balance(alice) == to_micro("10")
    assert (await payment(app, "stxTWO")).state is PaymentState.PAID
    assert "paid it twice" in (await outbox(app, OPERATORS))[-1].text


# --- the checkout shortfall ---------------------------------------------------------


async def test_shortfall_top_up_resumes_the_order(app: ShopApp, alice: Customer) -> None:
    await app.credit(alice, "0.10")
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send("https://instagram.com/p/abc123")
    await alice.send(str(max(service.min, 1000)))
    assert "Check your order" in alice.last_text
    await alice.click("Confirm")
    assert "Not enough on your balance" in alice.last_text
    top_up = next(label for label, _ in alice.buttons() if "Top up" in label)
    await alice.click("Top up")
    invoice = last_invoice(app, alice)
    stars = invoice.prices[0].amount
    # Exactly the missing amount, rounded up to whole Stars.
    missing = to_micro(top_up.split("Top up ")[1].split(" ")[0]) - 0
    rate = to_micro(RATE)
    assert (stars - 1) * rate < missing <= stars * rate
    # A second tap hands out the same unpaid invoice: it cannot be paid twice.
    await alice.click("Top up")
    assert last_invoice(app, alice).payload == invoice.payload

    assert (await pay(app, alice)).ok
    assert "Your order is waiting" in alice.last_text and "Check your order" in alice.last_text
    await alice.click("Confirm")
    assert "placed" in alice.last_text, alice.last_text
    assert app.sim.calls["add"] == 1
    assert await app.balance(alice) >= 0


async def test_shortfall_when_the_balance_covers_it_now(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send("https://instagram.com/p/abc123")
    await alice.send(str(service.min))
    await alice.click("Confirm")
    assert "Not enough" in alice.last_text
    await app.credit(alice, "1000")  # an admin credited meanwhile
    await alice.click("Top up")
    assert "covers this order now" in alice.alerts()[-1]
    assert not invoices(app, alice)
    await alice.click("Confirm")
    assert "placed" in alice.last_text


async def test_shortfall_button_without_a_kept_order_is_stale(
    app: ShopApp, alice: Customer
) -> None:
    await alice.press("f:t:0")
    assert "out of date" in alice.alerts()[-1]
    assert not invoices(app, alice)


async def test_custom_top_up_while_confirming_keeps_the_order(
    app: ShopApp, alice: Customer
) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send("https://instagram.com/p/abc123")
    await alice.send(str(service.min))
    await alice.click("Confirm")
    await alice.send("/topup")
    await alice.click("Other amount")
    await alice.send("100")
    assert (await pay(app, alice)).ok
    assert "Your order is waiting" in alice.last_text
    await alice.click("Confirm")
    assert "placed" in alice.last_text


# --- /paysupport --------------------------------------------------------------------


async def test_paysupport(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.click("⭐385")
    paid = await pay(app, alice)
    await alice.send("/paysupport")
    assert "Help with a payment" in alice.last_text and paid.charge_id in alice.last_text
    await alice.send("/paysupport Paid <b>twice</b>, please help")
    assert "went to the shop's operators" in alice.last_text
    alert = (await outbox(app, OPERATORS))[-1]
    assert "Paid &lt;b&gt;twice&lt;/b&gt;" in alert.text and paid.charge_id in alert.text


# --- /starsrefund -------------------------------------------------------------------


async def _topped_up(app: ShopApp, customer: Customer) -> str:
    await customer.send("/topup")
    await customer.click("⭐385")
    paid = await pay(app, customer)
    assert paid.ok and paid.charge_id
    return paid.charge_id


async def test_stars_refund_of_unspent_credit(
    app: ShopApp, alice: Customer, admin: Customer
) -> None:
    charge_id = await _topped_up(app, alice)
    await admin.send(f"/starsrefund {charge_id}")
    assert "Stars refunded" in admin.last_text, admin.last_text
    [call] = app.session.methods(RefundStarPayment)
    assert call.user_id == alice.user.id and call.telegram_payment_charge_id == charge_id
    assert await app.balance(alice) == 0
    row = await payment(app, charge_id)
    assert row.state is PaymentState.REFUNDED and row.refund_actor_id == ADMIN
    debit = await ledger(app, f"stars-refund:{charge_id}")
    assert debit is not None and debit.amount == -to_micro("5")
    notices = await outbox(app, alice.user.id)
    assert any("was refunded" in n.text for n in notices)
    # Again: refused, nothing changes.
    await admin.send(f"/starsrefund {charge_id}")
    assert "already been refunded" in admin.last_text
    assert len(app.session.methods(RefundStarPayment)) == 1


async def test_stars_refund_refused_after_spending(
    app: ShopApp, alice: Customer, admin: Customer
) -> None:
    charge_id = await _topped_up(app, alice)
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send("https://instagram.com/p/abc123")
    await alice.send(str(service.min))
    await alice.click("Confirm")
    assert "placed" in alice.last_text
    balance = await app.balance(alice)
    assert balance < to_micro("5")
    await admin.send(f"/starsrefund {charge_id}")
    assert "the credit is spent" in admin.last_text
    assert not app.session.methods(RefundStarPayment)
    assert await app.balance(alice) == balance
    assert (await payment(app, charge_id)).state is PaymentState.PAID


async def test_stars_refund_reversed_when_telegram_refuses(
    app: ShopApp, alice: Customer, admin: Customer
) -> None:
    charge_id = await _topped_up(app, alice)
    refusal = TelegramBadRequest(
        RefundStarPayment(user_id=1, telegram_payment_charge_id="x"),
        "Bad Request: CHARGE_NOT_FOUND",
    )
    with TelegramSays(app, refusal):
        await admin.send(f"/starsrefund {charge_id}")
    assert "Telegram refused the refund" in admin.last_text and "CHARGE_NOT_FOUND" in (
        admin.last_text
    )
    assert await app.balance(alice) == to_micro("5")
    assert (await ledger(app, f"stars-refund-reversal:{charge_id}")) is not None
    assert (await payment(app, charge_id)).state is PaymentState.PAID
    # A later attempt works and uses fresh references.
    await admin.send(f"/starsrefund {charge_id}")
    assert "Stars refunded" in admin.last_text
    assert await app.balance(alice) == 0
    assert (await ledger(app, f"stars-refund:{charge_id}:2")) is not None


async def test_stars_refund_without_an_answer_is_retried(
    app: ShopApp, alice: Customer, admin: Customer
) -> None:
    charge_id = await _topped_up(app, alice)
    lost = TelegramNetworkError(
        RefundStarPayment(user_id=1, telegram_payment_charge_id="x"), "timeout"
    )
    with TelegramSays(app, lost):
        await admin.send(f"/starsrefund {charge_id}")
    assert "did not answer" in admin.last_text
    assert await app.balance(alice) == 0
    assert (await payment(app, charge_id)).state is PaymentState.REFUNDING
    # Meanwhile the customer cannot spend the credit twice: it is gone from the balance.
    already = TelegramBadRequest(
        RefundStarPayment(user_id=1, telegram_payment_charge_id="x"),
        "Bad Request: CHARGE_ALREADY_REFUNDED",
    )
    with TelegramSays(app, already):
        await admin.send(f"/starsrefund {charge_id}")
    assert "Stars refunded" in admin.last_text
    assert (await payment(app, charge_id)).state is PaymentState.REFUNDED
    assert await app.balance(alice) == 0  # debited once


async def test_refunded_payment_message_confirms_and_reports(app: ShopApp, alice: Customer) -> None:
    """Telegram's refunded_payment for a refund made outside the bot: the unspent credit
    is taken back, the operators hear of it, and nothing reaches the fallback."""
    charge_id = await _topped_up(app, alice)
    message = refunded_message(alice, charge_id)
    await app.feed(Update(update_id=app.next_update_id(), message=message))
    assert await app.balance(alice) == 0
    assert (await payment(app, charge_id)).state is PaymentState.REFUNDED
    assert "outside the bot" in (await outbox(app, OPERATORS))[-1].text
    assert "was refunded" in alice.last_text
    await app.feed(Update(update_id=app.next_update_id(), message=message))  # again
    assert await app.balance(alice) == 0


async def test_starsrefund_does_not_exist_for_customers(app: ShopApp, alice: Customer) -> None:
    charge_id = await _topped_up(app, alice)
    await alice.send(f"/starsrefund {charge_id}")
    assert "did not find a service" in alice.last_text  # the fallback, as any unknown text
    assert not app.session.methods(RefundStarPayment)
    assert await app.balance(alice) == to_micro("5")


async def test_starsrefund_bad_input(app: ShopApp, admin: Customer) -> None:
    await admin.send("/starsrefund")
    assert "Usage" in admin.last_text
    await admin.send("/starsrefund nope")
    assert "No payment with this charge id" in admin.last_text
    await admin.send("/starsrefund a b")
    assert "Usage" in admin.last_text


async def test_payment_credited_in_any_conversation_state(app: ShopApp, admin: Customer) -> None:
    """An admin composing a broadcast (a flow that takes any non-command message) pays an
    invoice: the payment is credited, not taken as the broadcast's content."""
    await admin.send("/topup")
    await admin.click("⭐385")
    await admin.send("/broadcast")
    assert (await pay(app, admin)).ok
    assert "Thank you" in admin.last_text
    assert await app.balance(admin) == to_micro("5")


async def test_leaving_the_custom_amount(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send("https://instagram.com/p/abc123")
    await alice.send(str(service.min))
    await alice.send("/topup")
    await alice.click("Other amount")
    await alice.click("Back")  # back to the presets; the kept order is still kept
    await alice.click("⭐385")
    await alice.send("12")  # not an amount any more: the order's "confirm or cancel"
    assert "Confirm" in alice.last_text
    assert len(invoices(app, alice)) == 1
    await alice.send("/topup")
    await alice.click("Other amount")
    await alice.send("/topup")  # the menu again: the custom amount is left
    await alice.send("12")
    assert "Confirm" in alice.last_text and len(invoices(app, alice)) == 1


# A successful_payment means
# Telegram has taken the Stars; it must be credited whatever the gates say.


async def test_payment_of_a_customer_banned_after_pre_checkout_is_credited(
    app: ShopApp, alice: Customer
) -> None:
    await alice.send("/topup")
    await alice.click("⭐385")
    invoice = last_invoice(app, alice)
    assert (await pre_checkout(app, alice, invoice.payload, 385)).ok
    user_id = await internal_id(app, alice)
    async with app.deps.session_factory() as session, session.begin():
        await UserRepo(session).set_banned(user_id, True)
    await deliver(app, alice, invoice.payload, 385, "stxBANNED")
    assert await app.balance(alice) == to_micro("5")


async def test_successful_payment_is_never_throttled(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.click("⭐385")
    invoice = last_invoice(app, alice)
    assert (await pre_checkout(app, alice, invoice.payload, 385)).ok
    app.dp = create_dispatcher(
        app.deps, throttling=ThrottlingMiddleware(app.deps.i18n, rate=1e-9, burst=1)
    )
    await alice.send("/balance")  # the customer's one token
    await deliver(app, alice, invoice.payload, 385, "stxTHROTTLED")
    assert await app.balance(alice) == to_micro("5")
