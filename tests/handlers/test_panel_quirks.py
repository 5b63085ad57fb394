"""What customers and admins see when the panel misbehaves, through the real dispatcher
and the simulator over HTTP: one regression test per symptom of the panel review (the
jobs' side is in tests/integration/test_panel_quirks_jobs.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.balance import BalanceWatch
from bot.provider.models import ServiceType
from bot.shop.enums import OrderState
from bot.shop.money import to_micro
from db.models import Order
from tests.handlers.arrange import (
    ADMIN,
    OPERATORS,
    admin_shop,
    customer,
    outbox,
    place,
)
from tests.harness import Customer, ShopApp, catalog_id, open_service

pytestmark = [
    pytest.mark.parametrize("db_kind", ["sqlite"]),
    pytest.mark.shop("admin", alice="100"),
]
LINK = "https://instagram.com/p/quirk"


async def _row(app: ShopApp, order_id: int) -> Order:
    async with app.deps.session_factory() as session, session.begin():
        row = await session.get(Order, order_id)
        assert row is not None
        return row


async def _no_apology(app: ShopApp, someone: Customer) -> None:
    texts = [m.text for m in someone.messages()] + someone.alerts()
    assert not any("something went wrong on our side" in t for t in texts)
    assert not [m for m in await outbox(app, OPERATORS) if "error" in m.text.casefold()]


async def _card(someone: Customer, order_id: int) -> None:
    await someone.press(f"o:c:{order_id}:0")


# --- 1. the customer's Refresh goes through the same checks as the poller ---------------


@pytest.mark.parametrize(
    "raw",
    [
        {"status": "Partial", "remains": None},  # Partial without remains
        {"status": "Partial", "remains": "-20"},
        {"status": "Partial", "remains": "999999"},  # more than was ordered
        {"status": "Canceled", "remains": "999999"},
    ],
)
async def test_refresh_never_settles_on_a_reply_that_cannot_be_true(
    app: ShopApp, alice: Customer, raw: dict[str, object]
) -> None:
    order = await place(app, alice)
    balance = await app.balance(alice)
    app.sim.override(order.provider_order_id or "", **raw)
    app.clock.advance(minutes=5)
    await _card(alice, order.id)
    await alice.click("Refresh")
    row = await _row(app, order.id)
    assert row.state is OrderState.ACTIVE and row.refunded == 0 and row.poll_errors == 1
    assert await app.balance(alice) == balance
    await _no_apology(app, alice)


async def test_admin_refresh_shows_why_a_reply_was_not_applied(
    app: ShopApp, alice: Customer
) -> None:
    admin = await customer(app, ADMIN)
    order = await place(app, alice)
    app.sim.override(order.provider_order_id or "", status="Partial", remains=None)
    await admin.send(f"/order {order.id}")
    await admin.click("Refresh")
    assert "Partial without remains" in admin.last_text
    assert (await _row(app, order.id)).state is OrderState.ACTIVE


# --- 9. a cancel answered {"cancel": {"status": "Success"}} ----------------------------


async def test_a_cancel_answered_as_an_object_is_a_yes(engine: AsyncEngine) -> None:
    async with admin_shop(engine, dialects=("cancel-object",)) as app:
        alice = await customer(app, 1001)
        await app.credit(alice, "100")
        service = app.sim.find_service(ServiceType.DEFAULT, cancel=True, dripfeed=False)
        await open_service(alice, await catalog_id(app, service.service_id))
        await alice.send(LINK)
        await alice.send(str(service.min))
        await alice.click("Confirm")
        [order] = [o for o in app.sim.orders.values()]
        async with app.deps.session_factory() as session, session.begin():
            order_id = await session.scalar(select(Order.id))
        await alice.press(f"o:c:{order_id}:0")
        await alice.click("Cancel order")
        await alice.click("Yes, cancel")
        assert "Cancellation requested" in alice.alerts()[-1]
        assert not any("declined" in a for a in alice.alerts())
        assert app.sim.view(order.order_id).status == "Canceled"


# --- 10. an account-level refusal pauses ordering, not the customer's fault ------------


async def test_a_disabled_key_pauses_ordering_with_one_alert(app: ShopApp, alice: Customer) -> None:
    boris = await customer(app, 1002, first_name="Boris")
    await app.credit(boris, "100")
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    sid = await catalog_id(app, service.service_id)
    await open_service(alice, sid)
    await alice.send(LINK)
    await alice.send(str(service.min))
    app.sim.faults.account_refusal = "API key is disabled"
    await alice.click("Confirm")
    told = alice.last_text
    assert "temporarily unavailable" in told and "back on your balance" in told
    assert "check your details" not in told
    assert await app.balance(alice) == to_micro("100")

    # Boris is not charged and refused in turn: ordering is paused for everyone.
    await open_service(boris, sid)
    await boris.send(LINK + "2")
    await boris.send(str(service.min))
    await boris.click("Confirm")
    # The tap was answered already (placing can take a while): the reason is a message.
    assert "temporarily unavailable" in boris.last_text
    assert await app.balance(boris) == to_micro("100") and app.sim.calls["add"] == 1

    alerts = [m.text for m in await outbox(app, OPERATORS)]
    assert len(alerts) == 1 and "API key" in alerts[0] and "paused" in alerts[0]
    assert not any("not been answering" in a for a in alerts)

    # The key works again: the next balance check lifts the pause by itself.
    app.sim.faults.account_refusal = None
    report = await BalanceWatch(app.deps).run()
    assert report.resumed
    confirm, _ = boris.find_button("Confirm")
    await boris.click("Confirm")
    # The receipt is a new message at the bottom; the summary stays as it was.
    assert "placed" in boris.last_text
    summary = boris.app.session.messages[(boris.user.id, confirm.message_id)]
    assert "Check your order" in summary.text


# --- 5, 11. replies with null errors or wrapped in PHP notices are placed orders --------


@pytest.mark.parametrize("dialect", ["php-notices", "null-errors", "string-ids"])
async def test_an_order_is_placed_whatever_the_dialect(engine: AsyncEngine, dialect: str) -> None:
    async with admin_shop(engine, dialects=(dialect,)) as app:
        alice = await customer(app, 1001)
        await app.credit(alice, "100")
        order = await place(app, alice)
        assert order.state is OrderState.ACTIVE and app.sim.calls["add"] == 1
        assert order.provider_order_id == str(next(iter(app.sim.orders)))


# --- 13. bounded input from people -------------------------------------------------------


@pytest.mark.parametrize("text", ["#²", "#99999999999999999999", "#١٢", "#-1", "#0"])
async def test_searching_an_impossible_id_is_an_ordinary_miss(
    app: ShopApp, alice: Customer, text: str
) -> None:
    await alice.send(text)
    assert "Menu" in alice.buttons()[0][0] or "did not" in alice.last_text
    await _no_apology(app, alice)


@pytest.mark.parametrize("answer", ["1000²", "١٠٠٠", "99999999999999999999", "1e3"])
async def test_an_impossible_quantity_is_the_ordinary_bad_input_reply(
    app: ShopApp, alice: Customer, answer: str
) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(answer)
    assert "whole number" in alice.last_text or "from" in alice.last_text
    await _no_apology(app, alice)


@pytest.mark.parametrize(
    "data",
    [
        "o:c:99999999999999999999:0",
        "o:r:1²:0",
        "s:c:99999999999999999999:0",
        "ol:99999999999999999999",
        "c:s:99999999999:abc:0",
        "ao:c:99999999999999999999",
    ],
)
async def test_tampered_callback_data_is_a_stale_button(
    app: ShopApp, alice: Customer, data: str
) -> None:
    await alice.press(data)
    assert "out of date" in alice.alerts()[-1]
    await _no_apology(app, alice)


async def test_admin_commands_with_impossible_ids(app: ShopApp, alice: Customer) -> None:
    admin = await customer(app, ADMIN)
    for command in ("/order 99999999999999999999", "/hide ²", "/user 99999999999999999999"):
        await admin.send(command)
        assert "something went wrong" not in admin.last_text
    await _no_apology(app, admin)


# --- 15. a start count of 0 is the panel's "not known yet" -------------------------------


async def test_a_start_count_of_zero_is_not_shown(app: ShopApp, alice: Customer) -> None:
    order = await place(app, alice)
    app.clock.advance(minutes=1)
    app.sim.override(order.provider_order_id or "", status="Pending", start_count="0")
    await _card(alice, order.id)
    await alice.click("Refresh")
    assert (await _row(app, order.id)).start_count == 0
    assert "Start count" not in alice.last_text
    app.sim.override(order.provider_order_id or "", status="In progress", start_count="3572")
    app.clock.advance(minutes=1)
    await alice.click("Refresh")
    assert "Start count: 3,572" in alice.last_text
