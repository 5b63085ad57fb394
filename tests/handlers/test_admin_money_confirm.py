"""/credit, /debit and /refund ask first: what will happen, then Confirm / Cancel, and the
money moves once: a double tap, a stale button, another admin's tap, a Cancel change
nothing (more)."""

from __future__ import annotations

import asyncio

import pytest

from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from db.models import LedgerEntry
from tests.handlers.arrange import ADMIN, audit, customer, ledger, outbox
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("admin")

SECOND_ADMIN = 9002


async def _adjustments(app: ShopApp) -> list[LedgerEntry]:
    return [row for row in await ledger(app) if row.kind is LedgerKind.ADJUSTMENT][1:]


async def test_credit_asks_first_and_a_double_tap_credits_once(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await admin.send("/credit @alice 10 compensation for order 7")
    text = admin.last_text
    assert "Credit <b>10.00 USD</b> to Alice @alice <code>1001</code>?" in text
    assert "Balance: 50.00 USD → <b>60.00 USD</b>" in text
    assert "Reason (private): compensation for order 7" in text
    assert [label for label, _ in admin.buttons()] == ["✅ Confirm", "✖ Cancel"]
    assert await _adjustments(app) == [] and await outbox(app, 1001) == []
    sent, data = admin.find_button("Confirm")
    await asyncio.gather(admin.press(data, sent), admin.press(data, sent))
    await admin.press(data, sent)  # and once more, later
    [row] = await _adjustments(app)
    assert row.amount == to_micro("10") and row.reference.startswith("confirm:")
    assert await app.balance(alice) == to_micro("60")
    [notice] = await outbox(app, 1001)
    assert "10.00 USD was added to your balance" in notice.text
    assert "compensation" not in notice.text  # the reason was private
    assert "confirmed already; nothing changed again" in admin.last_text
    assert [r.action for r in await audit(app)] == ["credit.ask", "credit"]


async def test_a_public_reason_reaches_the_customer_in_their_language(
    app: ShopApp, admin: Customer
) -> None:
    boris = await customer(app, 1002, first_name="Борис", language="ru", username="boris")
    await app.credit(boris, "5")
    await admin.send("/debit @boris 2 PUBLIC: списание за тест")
    assert "Reason (the customer reads it): списание за тест" in admin.last_text
    await admin.click("Confirm")
    assert "Debited 2.00 USD" in admin.last_text
    [notice] = await outbox(app, 1002)
    assert "списано с вашего баланса" in notice.text and "3,00 USD" in notice.text
    assert "списание за тест" in notice.text


async def test_cancel_changes_nothing_and_confirm_after_it_is_refused(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await admin.send("/debit 1001 20")
    confirm = admin.find_button("Confirm")
    await admin.click("Cancel")
    assert admin.last_text == "Cancelled; nothing was changed."
    await admin.press(confirm[1], confirm[0])
    assert admin.last_text == "Cancelled; nothing was changed."
    assert await _adjustments(app) == [] and await outbox(app, 1001) == []
    assert await app.balance(alice) == to_micro("50")
    # A Cancel after a Confirm does not undo the money.
    await admin.send("/credit 1001 1")
    cancel = admin.find_button("Cancel")
    await admin.click("Confirm")
    await admin.press(cancel[1], cancel[0])
    assert "confirmed already" in admin.last_text
    assert await app.balance(alice) == to_micro("51")


async def test_a_stale_confirmation_expires(app: ShopApp, admin: Customer, alice: Customer) -> None:
    await admin.send("/credit 1001 5")
    app.clock.advance(minutes=16)
    await admin.click("Confirm")
    assert "has expired; nothing was changed" in admin.last_text
    assert await _adjustments(app) == [] and await app.balance(alice) == to_micro("50")


async def test_a_debit_the_balance_no_longer_covers_is_refused_at_confirm(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await admin.send("/debit 1001 40")
    first = admin.find_button("Confirm")
    await admin.send("/debit 1001 30")
    await admin.click("Confirm")  # the second one goes first: 20 left
    assert "Debited 30.00 USD" in admin.last_text
    await admin.press(first[1], first[0])
    assert "cannot go below zero" in admin.alerts()[-1]
    assert await app.balance(alice) == to_micro("20")
    [row] = await _adjustments(app)
    assert row.amount == -to_micro("30")
    assert len(await outbox(app, 1001)) == 1


async def test_another_admins_tap_is_refused(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    app.deps.settings.admin_ids = frozenset({ADMIN, SECOND_ADMIN})
    bob = await customer(app, SECOND_ADMIN, first_name="Bob")
    await admin.send("/credit 1001 5")
    sent, data = admin.find_button("Confirm")
    await bob.press(data, sent)  # the same data from another admin
    assert bob.alerts()[-1] == "Only the admin who asked can confirm or cancel this."
    assert await app.balance(alice) == to_micro("50")
    await admin.press(data, sent)
    assert "Credited 5.00 USD" in admin.last_text
    assert await app.balance(alice) == to_micro("55")


async def test_tampered_or_unknown_tokens_change_nothing(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await admin.send("/credit 1001 5")
    await admin.press("am:y:0123456789ab")
    assert admin.last_text == "This confirmation is unknown; nothing was changed."
    await admin.press("am:y:nothex")
    assert "out of date" in admin.alerts()[-1]
    assert await _adjustments(app) == [] and await app.balance(alice) == to_micro("50")
