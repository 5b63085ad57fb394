"""/order, /refund and the resolution of `unknown` orders through the real dispatcher."""

from __future__ import annotations

import asyncio

import pytest

from bot.shop.enums import LedgerKind, OrderState
from bot.shop.money import to_micro
from tests.handlers.arrange import (
    ADMIN,
    OPERATORS,
    audit,
    ledger,
    outbox,
    place,
    unknown_order,
)
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("admin")


async def _order(app: ShopApp, order_id: int):  # type: ignore[no-untyped-def]
    async with app.shop() as shop:
        return await shop.orders.get(order_id)


async def test_order_card_shows_everything_and_refreshes(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    order = await place(app, alice)
    await admin.send(f"/order {order.id}")
    text = admin.last_text
    for part in [
        f"<b>Order #{order.id}</b> — active",
        "Alice @alice <code>1001</code>",
        f"Service: #{order.service_id} {order.service_name}",
        f"panel service {order.provider_service_id}",
        "Link: https://instagram.com/p/abc123",
        f"Quantity: {order.quantity}",
        "Customer charge: <b>",
        "(markup 30%)",
        "Expected provider cost:",
        "Provider charge: not reported yet",
        f"Panel order: <code>{order.provider_order_id}</code>",
        "· → submitting",
        "submitting → active",
    ]:
        assert part in text, part
    labels = [label for label, _ in admin.buttons()]
    assert labels[0] == "🔄 Refresh" and labels[1].startswith("↩️ Refund")
    assert not any("Link" in label for label in labels)

    app.clock.advance(hours=48)  # the simulated panel finishes it meanwhile
    await admin.click("Refresh")
    text = admin.last_text
    assert f"<b>Order #{order.id}</b> — completed" in text
    assert "Provider charge (reported): <b>" in text
    assert "active → completed" in text
    assert [r.action for r in await audit(app)] == ["order", "order.refresh"]


async def test_refund_button_asks_then_refunds_once(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    order = await place(app, alice)
    await admin.send(f"/order {order.id}")
    await admin.click("Refund")
    assert f"Refund order #{order.id} to Alice @alice" in admin.last_text
    assert f"Refunded: <b>{order.charge / 1e6:.2f} USD</b>" in admin.last_text
    yes = admin.find_button("Yes, refund")
    await admin.press(yes[1], yes[0])
    assert "Refunded" in admin.alerts()[-1]
    assert "Refunded: " in admin.last_text and "active → active refund" in admin.last_text
    assert not any("Refund" in label for label, _ in admin.buttons())
    await admin.press(yes[1], yes[0])  # the confirmation tapped again
    assert "refunded in full already" in admin.alerts()[-1]
    refunds = [row for row in await ledger(app) if row.kind is LedgerKind.REFUND]
    assert len(refunds) == 1 and refunds[0].amount == order.charge
    assert refunds[0].actor_id == ADMIN
    assert await app.balance(alice) == to_micro("50")
    [notice] = await outbox(app, 1001)
    assert f"for order #{order.id} is back on your balance" in notice.text
    [alert] = await outbox(app, OPERATORS)
    assert f"Refund issued: order #{order.id}" in alert.text and str(ADMIN) in alert.text
    assert [r.action for r in await audit(app)] == ["order", "order", "refund", "order"]


async def test_refund_command_is_idempotent(app: ShopApp, admin: Customer, alice: Customer) -> None:
    order = await place(app, alice)
    async with app.shop() as shop:
        await shop.orders.mark_partial(order.id, remains=order.quantity // 2)
    partial = await _order(app, order.id)
    assert 0 < partial.refunded < partial.charge
    # Asked twice, both confirmed at once, then asked once more: what was left is refunded
    # exactly once, and the last question is refused.
    await admin.send(f"/refund {order.id}")
    first = admin.find_button("Yes, refund")
    await admin.send(f"/refund #{order.id}")
    second = admin.find_button("Yes, refund")
    assert first[0].message_id != second[0].message_id
    left = partial.charge - partial.refunded
    assert f"Refunded: <b>{left / 1e6:.2f} USD</b>" in admin.last_text
    await asyncio.gather(admin.press(first[1], first[0]), admin.press(second[1], second[0]))
    alerts = admin.alerts()[-2:]
    assert sum("Refunded" in text for text in alerts) == 1, alerts
    assert sum("refunded in full already" in text for text in alerts) == 1, alerts
    await admin.send(f"/refund {order.id}")
    assert "refunded in full already" in admin.last_text
    refunds = [row for row in await ledger(app) if row.kind is LedgerKind.REFUND]
    assert [row.amount for row in refunds] == [partial.refunded, left]
    assert (await _order(app, order.id)).refunded == partial.charge
    assert await app.balance(alice) == to_micro("50")
    actions = [r.action for r in await audit(app)]
    assert actions == ["refund.ask", "refund.ask", "refund", "order"], actions
    assert len(await outbox(app, 1001)) == 1 and len(await outbox(app, OPERATORS)) == 1


async def test_refund_of_an_unknown_order_is_refused(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    order, _ = await unknown_order(app, alice)
    balance = await app.balance(alice)
    await admin.send(f"/refund {order.id}")
    assert f"Order #{order.id} is unknown: its fate is still open" in admin.last_text
    assert f"/order {order.id}" in admin.last_text
    assert await app.balance(alice) == balance and await audit(app) == []


async def test_link_an_unknown_order_to_the_panel(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    order, panel_id = await unknown_order(app, alice)
    balance = await app.balance(alice)
    await admin.send(f"/order {order.id}")
    assert "— unknown" in admin.last_text and "answer to this order was lost" in admin.last_text
    labels = [label for label, _ in admin.buttons()]
    assert "🔗 Link to provider order" in labels and "↩️ Refund (not placed)" in labels
    await admin.click("Link to provider order")
    assert f"Send the panel's order id for order #{order.id}" in admin.last_text

    await admin.send("not an id!")
    assert "That is not a panel order id" in admin.messages()[-2].text
    assert "Send the panel's order id" in admin.last_text
    await admin.send("99999999")  # a typo: the panel does not know it
    assert "The panel said:" in admin.messages()[-2].text
    assert (await _order(app, order.id)).state is OrderState.UNKNOWN

    await admin.send(panel_id)
    assert f"Order #{order.id} is linked to panel order <code>{panel_id}</code>" in (
        admin.messages()[-2].text
    )
    linked = await _order(app, order.id)
    assert linked.state is OrderState.ACTIVE and linked.provider_order_id == panel_id
    assert "unknown → active" in admin.last_text and f"by admin {ADMIN}" in admin.last_text
    assert await app.balance(alice) == balance  # no refund: the panel has the order
    [notice] = await outbox(app, 1001)
    assert f"order #{order.id} is with the provider and in progress" in notice.text
    [alert] = await outbox(app, OPERATORS)
    assert f"Unknown order #{order.id} (/order {order.id}) linked to panel order" in alert.text
    assert "@alice (id 1001) · /user 1001" in alert.text and "«" in alert.text
    link = [r for r in await audit(app) if r.action == "order.link"]
    assert [r.details for r in link] == [{"provider_order_id": panel_id}]

    # Linked: the flow is over, the text is a search again, and the poller follows it.
    await admin.send("followers")
    assert "Found" in admin.last_text or "did not find" in admin.last_text
    app.clock.advance(hours=48)
    await admin.send(f"/order {order.id}")
    await admin.click("Refresh")
    assert "— completed" in admin.last_text

    # The Link button of the old card, tapped again: the order is not unknown any more.
    await admin.press(f"ao:l:{order.id}")
    assert "— completed" in admin.last_text and "Send the panel's order id" not in admin.last_text
    assert (await _order(app, order.id)).provider_order_id == panel_id


async def test_unknown_order_refunded_as_not_placed(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    order, _ = await unknown_order(app, alice)
    await admin.send(f"/order {order.id}")
    await admin.click("Refund (not placed)")
    assert "Only do this if the panel does not have the order" in admin.last_text
    yes = admin.find_button("Yes, refund")
    await admin.press(yes[1], yes[0])
    assert "marked not placed" in admin.alerts()[-1]
    assert "— failed" in admin.last_text and "unknown → failed" in admin.last_text
    await admin.press(yes[1], yes[0])
    assert f"Order #{order.id} is failed now; nothing was changed" in admin.alerts()[-1]
    assert await app.balance(alice) == to_micro("50")
    refunds = [row for row in await ledger(app) if row.kind is LedgerKind.REFUND]
    assert len(refunds) == 1 and refunds[0].amount == order.charge
    [notice] = await outbox(app, 1001)
    assert "the provider did not take it" in notice.text
    [alert] = await outbox(app, OPERATORS)
    assert f"Unknown order #{order.id} (/order {order.id}) resolved as not placed" in alert.text
    assert "@alice (id 1001) · /user 1001" in alert.text
    assert "order.fail" in [r.action for r in await audit(app)]


async def test_cancel_leaves_the_link_flow(app: ShopApp, admin: Customer, alice: Customer) -> None:
    order, panel_id = await unknown_order(app, alice)
    await admin.send(f"/order {order.id}")
    await admin.click("Link to provider order")
    await admin.send("/cancel")
    assert admin.last_text == "Cancelled; nothing was changed."
    await admin.send(panel_id)  # now just text: a search, not a link
    assert (await _order(app, order.id)).state is OrderState.UNKNOWN
