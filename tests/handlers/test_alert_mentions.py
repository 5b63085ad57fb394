"""Operators' alerts name people and things as a person reads them: the customer by
@username or name with the id `/user` takes, the order with `/order N`, the service by
its name and ids; names are escaped (the alerts are HTML)."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.provider.models import ServiceType
from db.models import Order
from tests.handlers.arrange import LINK, OPERATORS, customer, outbox
from tests.handlers.stars import pay
from tests.harness import Customer, ShopApp, catalog_id, open_service


async def _order_via_bot(app: ShopApp, someone: Customer) -> Order:
    """Order the plain service through the dispatcher; the newest order."""
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(someone, await catalog_id(app, service.service_id))
    await someone.send(LINK)
    await someone.send(str(service.min))
    await someone.click("Confirm")
    async with app.deps.session_factory() as session, session.begin():
        order = await session.scalar(select(Order).order_by(Order.id.desc()).limit(1))
    assert order is not None
    return order


def _names_order(text: str, order: Order) -> None:
    assert f"#{order.id} (/order {order.id})" in text
    assert html.escape(order.service_name[:80]) in text
    assert f"(service {order.service_id}, panel's {order.provider_service_id})" in text


async def _alert(app: ShopApp, words: str) -> str:
    found = [m.text for m in await outbox(app, OPERATORS) if words in m.text]
    assert len(found) == 1, [m.text for m in await outbox(app, OPERATORS)]
    return found[0]


@pytest.mark.shop("admin")
async def test_an_unknown_order_names_the_customer_escaped(app: ShopApp) -> None:
    bob = await customer(app, 1002, first_name="<b>Bob</b>")
    await app.credit(bob, "100")
    app.sim.faults.add_hang_after_create = True  # the panel takes it, the answer is lost
    order = await _order_via_bot(app, bob)
    alert = await _alert(app, "No answer from the panel")
    assert "&lt;b&gt;Bob&lt;/b&gt; (id 1002) · /user 1002" in alert
    assert "<b>Bob</b>" not in alert
    _names_order(alert, order)


@pytest.mark.shop("admin")
async def test_a_paused_panel_names_the_order_that_met_the_refusal(
    app: ShopApp, alice: Customer
) -> None:
    app.sim.balance = Decimal(0)  # the panel refuses orders for lack of funds
    order = await _order_via_bot(app, alice)
    alert = await _alert(app, "lack of funds")  # ordering paused for everyone, said once
    assert f"Met while placing order #{order.id}" in alert
    assert "@alice (id 1001) · /user 1001" in alert
    _names_order(alert, order)


@pytest.mark.shop("admin")
async def test_a_customer_without_username_is_named_with_id(app: ShopApp) -> None:
    ann = await customer(app, 1003, first_name="Ann")
    await app.credit(ann, "100")
    app.sim.faults.reject_duplicate_links = True
    await _order_via_bot(app, ann)
    second = await _order_via_bot(app, ann)  # the same link while the first runs
    alert = await _alert(app, "The panel refused")
    assert "Ann (id 1003) · /user 1003" in alert
    _names_order(alert, second)


@pytest.mark.parametrize("db_kind", ["sqlite"])
@pytest.mark.shop("stars")
async def test_a_stars_top_up_alert_names_the_payer(app: ShopApp, alice: Customer) -> None:
    await alice.send("/topup")
    await alice.click("⭐385")
    assert (await pay(app, alice)).ok
    alert = await _alert(app, "Top-up")
    assert "@alice (id 1001) · /user 1001 paid ⭐385" in alert
