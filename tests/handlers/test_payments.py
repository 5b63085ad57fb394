"""Top-ups in Stars through the real dispatcher: invoices, pre-checkout, payment, the
checkout shortfall, /paysupport and /starsrefund; forged and replayed payment updates."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import (
    RefundStarPayment,
)
from aiogram.types import (
    Update,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.factory import create_dispatcher
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.provider.models import ServiceType
from bot.shop.enums import LedgerKind, PaymentState
from bot.shop.money import to_micro
from db.repositories.users import UserRepo
from tests.handlers.arrange import ADMIN, OPERATORS, ledger_entry, outbox, payment, user_id
from tests.handlers.stars import (
    RATE,
    TelegramSays,
    deliver,
    invoices,
    last_invoice,
    pay,
    pre_checkout,
    refunded_message,
    stars_env,
)
from tests.harness import Customer, ShopApp, catalog_id, open_service, running_shop

pytestmark = [pytest.mark.parametrize("db_kind", ["sqlite"]), pytest.mark.shop("stars")]

# --- /topup -------------------------------------------------------------------------


async def test_topup_preset_end_to_end(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    assert "Top up your balance" in alice.last_text and "0.013 USD" in alice.last_text
    labels = [label for label, _ in alice.buttons()]
    # Stars rounded up, the credit rounded down: 5 USD costs 385 Stars and credits 5.00.
    # No Stars count credits exactly 10, 25 or 50 USD at 0.013 (770 Stars credit 10.01):
    # those presets move to the nearest whole amount some count credits exactly.
    assert labels[:4] == [
        "5.00 USD · ⭐385",
        "9.00 USD · ⭐693",
        "26.00 USD · ⭐2000",
        "52.00 USD · ⭐4000",
    ]
    assert "1 Star = 0.013 USD" in alice.last_text
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
    entry = await ledger_entry(app, f"stars:{paid.charge_id}")
    assert entry is not None and entry.kind is LedgerKind.TOPUP and entry.amount == to_micro("5")
    row = await payment(app, paid.charge_id or "")
    assert row.state is PaymentState.PAID and row.stars == 385
    [alert] = await outbox(app, OPERATORS)
    assert "⭐385" in alert.text and paid.charge_id in alert.text


async def test_topup_from_the_menu_button(app: ShopApp, alice: Customer) -> None:
    await alice.send("💰 Balance / Top up")  # the persistent menu, then the balance's button
    await alice.click("Top up")
    assert "Top up your balance" in alice.last_text
    await alice.click("⭐693")
    assert [p.amount for p in last_invoice(app, alice).prices] == [693]


async def test_custom_amount(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.click("Other amount")
    assert "Send the amount in USD" in alice.last_text
    await alice.send("twelve")
    assert "as a number" in alice.last_text
    await alice.send("5000")  # more than 100000 Stars
    assert "A top-up can be from 0.01 USD to 1,300.00 USD" in alice.last_text
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
    uid = await user_id(app, alice)
    async with app.deps.session_factory() as session, session.begin():
        await UserRepo(session).set_banned(uid, True)
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
    debit = await ledger_entry(app, f"stars-refund:{charge_id}")
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
    assert (await ledger_entry(app, f"stars-refund-reversal:{charge_id}")) is not None
    assert (await payment(app, charge_id)).state is PaymentState.PAID
    # A later attempt works and uses fresh references.
    await admin.send(f"/starsrefund {charge_id}")
    assert "Stars refunded" in admin.last_text
    assert await app.balance(alice) == 0
    assert (await ledger_entry(app, f"stars-refund:{charge_id}:2")) is not None


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
    assert "do not know that command" in alice.last_text  # the fallback, as any unknown one
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
    uid = await user_id(app, alice)
    async with app.deps.session_factory() as session, session.begin():
        await UserRepo(session).set_banned(uid, True)
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
