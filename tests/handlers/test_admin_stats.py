"""/stats with orders in every state, refunds and a Stars refund: settled orders make the
money, open ones are counted apart; /provider and /panels show the same successful poll."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from bot.panels_setup import register_panels
from bot.shop.enums import OrderState
from bot.shop.money import round_up, to_micro
from bot.texts.format import money, when
from db.models import Order
from tests.handlers.arrange import LINK, default_service, place, unknown_order, user_id
from tests.handlers.stars import pay
from tests.harness import Customer, ShopApp

pytestmark = [pytest.mark.parametrize("db_kind", ["sqlite"]), pytest.mark.shop("stars")]


async def _orders(app: ShopApp) -> dict[int, Order]:
    async with app.deps.session_factory() as session, session.begin():
        return {o.id: o for o in await session.scalars(select(Order))}


async def test_stats_count_money_of_settled_orders_only(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    assert app.deps.settings.currency_rate == Decimal(1)
    await app.credit(alice, "100")
    await alice.send("/topup")
    await alice.click("⭐385")
    paid = await pay(app, alice)
    assert paid.ok and paid.charge_id
    await admin.send(f"/starsrefund {paid.charge_id}")
    assert "Stars refunded" in admin.last_text, admin.last_text

    completed, partial, canceled, active = [await place(app, alice) for _ in range(4)]
    unknown, _ = await unknown_order(app, alice)
    sid, minimum = await default_service(app)
    uid = await user_id(app, alice)
    async with app.shop() as shop:
        fields = {"link": LINK, "quantity": minimum}
        submitting = (await shop.orders.checkout(await shop.orders.quote(uid, sid, fields))).order
        failed = (await shop.orders.checkout(await shop.orders.quote(uid, sid, fields))).order
        await shop.orders.mark_completed(
            completed.id, provider_charge=to_micro("0.5"), provider_currency="USD"
        )
        await shop.orders.mark_partial(partial.id, remains=partial.quantity // 2)
        await shop.orders.mark_canceled(canceled.id)
        await shop.orders.mark_failed(failed.id, error="refused")

    rows = await _orders(app)
    states = {oid: row.state for oid, row in rows.items()}
    assert states == {
        completed.id: OrderState.COMPLETED,
        partial.id: OrderState.PARTIAL,
        canceled.id: OrderState.CANCELED,
        failed.id: OrderState.FAILED,
        active.id: OrderState.ACTIVE,
        unknown.id: OrderState.UNKNOWN,
        submitting.id: OrderState.SUBMITTING,
    }
    kept = rows[partial.id].charge - rows[partial.id].refunded
    assert 0 < kept < rows[partial.id].charge
    assert rows[canceled.id].refunded == rows[canceled.id].charge
    assert rows[failed.id].refunded == rows[failed.id].charge
    settled = [completed.id, partial.id, canceled.id, failed.id]
    open_ = [active.id, unknown.id, submitting.id]
    charged = sum(rows[i].charge for i in settled)
    refunded = rows[partial.id].refunded + rows[canceled.id].charge + rows[failed.id].charge
    revenue = rows[completed.id].charge + kept  # the canceled and failed ones earn nothing
    cost = round_up(to_micro("0.5") + rows[partial.id].cost, "USD")

    await admin.send("/stats")
    text = admin.last_text
    assert "<b>Orders placed</b>: 7" in text
    open_charged = money(sum(rows[i].charge for i in open_), "USD")
    assert f"settled: 4 · open: 3 (charged {open_charged}, not counted yet)" in text
    assert "<b>Money of settled orders</b>" in text
    assert f"charged: {money(charged, 'USD')}" in text
    assert f"refunded: {money(refunded, 'USD')} (3 orders)" in text
    assert f"revenue: <b>{money(revenue, 'USD')}</b>" in text
    assert f"provider cost: {money(cost, 'USD')}" in text
    assert f"profit: <b>{money(revenue - cost, 'USD')}</b>" in text
    assert "Stars refunds: 1 payment, 385 ⭐, 5.00 USD taken back" in text
    assert "top-ups: 5.00 USD" in text
    # Top services count what was kept of the orders the panel ran.
    assert f"2 orders, {money(revenue, 'USD')}" in text

    # The open ones settle: now they count, and nothing is counted twice.
    async with app.shop() as shop:
        await shop.orders.mark_completed(active.id)
    await admin.send("/stats all")
    text = admin.last_text
    revenue += rows[active.id].charge
    cost = round_up(to_micro("0.5") + rows[partial.id].cost + rows[active.id].cost, "USD")
    assert "settled: 5 · open: 2" in text
    assert f"revenue: <b>{money(revenue, 'USD')}</b>" in text
    assert f"provider cost: {money(cost, 'USD')}" in text

    # The next day: nothing of today, not even the Stars refund.
    app.clock.advance(days=1)
    await admin.send("/stats today")
    text = admin.last_text
    assert "settled: 0 · open: 0 (charged 0.00 USD, not counted yet)" in text
    assert "refunded: 0.00 USD (0 orders)" in text
    assert "Stars refunds: 0 payments, 0 ⭐, 0.00 USD taken back" in text


@pytest.mark.shop("admin")
async def test_provider_and_panels_show_the_last_successful_poll(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await register_panels(app.deps)  # as at start-up: the panel knows its providers row
    await app.credit(alice, "100")
    good, failing = await place(app, alice), await place(app, alice)
    now = app.clock.now()
    ok_at, failed_at = now - timedelta(minutes=30), now - timedelta(minutes=5)
    async with app.deps.session_factory() as session, session.begin():
        await session.execute(
            update(Order).where(Order.id == good.id).values(last_checked_at=ok_at, poll_errors=0)
        )
        await session.execute(
            update(Order)
            .where(Order.id == failing.id)
            .values(last_checked_at=failed_at, poll_errors=2, poll_error="HTTP 502")
        )
    await admin.send("/provider")
    provider = admin.last_text
    await admin.send("/panels")
    panels = admin.last_text
    ok, attempt = when(ok_at), when(failed_at)
    assert f"Last successful poll: {ok} · last poll of any kind: {attempt}" in provider
    assert f"last good poll: {ok} ·" in panels
