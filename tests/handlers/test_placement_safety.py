"""Placement safety through the real dispatcher and the simulator over HTTP: a panel
order id another order holds already (a panel that reset its numbering, also when two
placements race for it), and checkout while the panel is known not to answer. After
each, the ledger adds up to the balances. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.jobs.balance import BalanceWatch
from bot.jobs.orders import StatusPoller
from bot.provider.models import ServiceType
from bot.shop.enums import OrderState
from bot.shop.money import to_micro
from db.models import Order
from tests.handlers.arrange import OPERATORS, books_balance, outbox, place
from tests.harness import Customer, ShopApp, catalog_id, open_service

pytestmark = pytest.mark.shop("admin", alice="100")
LINK = "https://instagram.com/p/safety"


async def _orders(app: ShopApp) -> list[Order]:
    async with app.deps.session_factory() as session, session.begin():
        return list(await session.scalars(select(Order).order_by(Order.id)))


async def _fill_form(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    assert "Check your order" in alice.last_text


async def test_a_panel_id_held_by_another_order_makes_the_new_order_unknown(
    app: ShopApp, alice: Customer
) -> None:
    """Only the unique (panel, panel order id) index sees the clash, whether the other
    order was placed long ago or by a placement racing this one."""
    first = await place(app, alice)
    assert first.provider_order_id is not None
    app.sim.renumber(int(first.provider_order_id))  # the panel reset its numbering
    await _fill_form(app, alice)
    await alice.click("Confirm")
    assert app.sim.calls["add"] == 2
    old, new = await _orders(app)
    # The customer hears what every unknown outcome says: we are checking.
    assert f"Order #{new.id} was sent" in alice.last_text
    assert new.state is OrderState.UNKNOWN and new.provider_order_id is None
    assert f"#{old.id}" in (new.error or "")
    assert old.state is OrderState.ACTIVE and old.provider_order_id == first.provider_order_id
    # One alert, naming both orders.
    [alert] = [m.text for m in await outbox(app, OPERATORS) if "holds that panel" in m.text]
    assert f"order #{new.id}" in alert and f"our order #{old.id}" in alert
    assert first.provider_order_id in alert
    assert not [m for m in await outbox(app, OPERATORS) if "No answer from the panel" in m.text]
    # Charged, not refunded: the panel may have the order; an admin decides.
    assert await app.balance(alice) == to_micro("100") - old.charge - new.charge
    await books_balance(app)
    # Nothing is left `submitting` for the recovery to find later.
    app.clock.advance(minutes=30)
    assert await StatusPoller(app.deps).recover_submitting() == []


async def test_checkout_is_refused_before_paying_while_the_panel_is_down(
    app: ShopApp, alice: Customer
) -> None:
    await place(app, alice)  # an active order: the poller has something to ask about
    balance = await app.balance(alice)
    app.sim.faults.http_5xx = True
    poller = StatusPoller(app.deps)
    for _ in range(8):  # past the growing pauses, until operators are told
        app.clock.advance(minutes=40)
        await poller.run_cycle()
    down = [m.text for m in await outbox(app, OPERATORS) if "not been answering" in m.text]
    assert len(down) == 1 and "New orders are refused" in down[0]

    adds = app.sim.calls["add"]
    await _fill_form(app, alice)
    await alice.click("Confirm")
    assert "temporarily unavailable" in alice.last_text and "Nothing was charged" in (
        alice.last_text
    )
    assert app.sim.calls["add"] == adds and await app.balance(alice) == balance
    assert len(await _orders(app)) == 1

    # The panel answers again: the balance watch hears it first, and ordering resumes
    # by itself (the form was kept: Confirm again places it).
    app.sim.faults.http_5xx = False
    app.clock.advance(minutes=1)
    report = await BalanceWatch(app.deps).run()
    assert report.back
    back = [m.text for m in await outbox(app, OPERATORS) if "The panel answers again" in m.text]
    assert len(back) == 1
    await alice.click("Confirm")
    assert app.sim.calls["add"] == adds + 1
    *_, placed = await _orders(app)
    assert placed.state is OrderState.ACTIVE
    # The poller stops backing off at once and reports no second "back".
    app.clock.advance(minutes=1)
    assert not (await poller.run_cycle()).skipped
    alerts = await outbox(app, OPERATORS)
    assert len([m for m in alerts if "The panel answers again" in m.text]) == 1
    await books_balance(app)
