"""Status polling against the provider simulator over HTTP, on SQLite and PostgreSQL:
100 ids a call, transitions and refunds applied once, item errors flagged for operators,
nonsense kept for the next cycle, an unavailable panel backed off and alerted once."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.jobs.orders import StatusPoller
from bot.provider.models import ItemError
from bot.shop.enums import OrderState, OutboxStatus
from bot.shop.pricing import refund_share
from tests.integration.jobs_world import ALICE_TG, OPERATORS, World


def poller(world: World, **kwargs: Any) -> StatusPoller:
    return StatusPoller(world.deps, **kwargs)


async def test_250_active_orders_take_three_status_calls_per_cycle(world: World) -> None:
    await world.seed_active(250)
    job = poller(world)

    first = await job.run_cycle()
    assert first.due == 250 and first.calls == 3 and world.sim.calls["status"] == 3
    assert first.running == 250 and first.unavailable is None

    # Nothing is due again until the clock moves: every order was just checked.
    assert (await job.run_cycle()).due == 0
    assert world.sim.calls["status"] == 3

    world.clock.advance(seconds=60)
    second = await job.run_cycle()
    assert second.due == 250 and second.calls == 3 and world.sim.calls["status"] == 6


async def test_least_recently_checked_first_when_a_cycle_is_capped(world: World) -> None:
    ids = await world.buy(5)
    job = poller(world, max_per_cycle=3, chunk=100)
    assert (await job.run_cycle()).due == 3
    world.clock.advance(seconds=60)
    await job.run_cycle()
    checked = {i: (await world.row(i)).last_checked_at for i in ids}
    # The two left out first are asked next, then the oldest of the others.
    assert checked[ids[3]] == checked[ids[4]] == world.clock.now()
    assert sum(1 for at in checked.values() if at == world.clock.now()) == 3


async def test_completed_partial_canceled_with_the_right_refunds(world: World) -> None:
    done, part, gone, running = await world.buy(4, quantity=1000)
    paid = {i: (await world.order(i)).charge for i in (done, part, gone)}
    before = await world.balance()
    world.sim.script(world.panel_id(await world.order(done)), "Completed")
    world.sim.script(world.panel_id(await world.order(part)), "Partial", remains=300)
    world.sim.script(world.panel_id(await world.order(gone)), "Canceled")

    report = await poller(world).run_cycle()

    assert (report.completed, report.partial, report.canceled, report.running) == (1, 1, 1, 1)
    assert (await world.order(done)).state is OrderState.COMPLETED
    partial = await world.order(part)
    assert partial.state is OrderState.PARTIAL and partial.remains == 300
    assert (await world.order(gone)).state is OrderState.CANCELED
    assert (await world.order(running)).state is OrderState.ACTIVE
    share = refund_share(paid[part], 300, 1000, "USD")
    assert 0 < share < paid[part]
    assert partial.refunded == share
    assert (await world.order(gone)).refunded == paid[gone]
    assert (await world.order(done)).refunded == 0
    assert await world.balance() == before + share + paid[gone]
    assert await world.refunds() == [
        (part, share, f"order:{part}:refund"),
        (gone, paid[gone], f"order:{gone}:refund"),
    ]

    messages = {m.dedupe_key: m for m in await world.outbox()}
    assert set(messages) == {
        f"order:{done}:state:completed",
        f"order:{part}:state:partial",
        f"order:{gone}:state:canceled",
    }
    assert all(
        m.chat_id == ALICE_TG and m.status is OutboxStatus.PENDING for m in messages.values()
    )
    assert "0.64 USD" in messages[f"order:{part}:state:partial"].text  # 300/1000 of 2.16
    assert "2.16 USD" in messages[f"order:{gone}:state:canceled"].text


async def test_the_same_reply_applied_twice_changes_nothing_more(world: World) -> None:
    ids = await world.buy(3)
    orders = [await world.order(i) for i in ids]
    for order, status in zip(orders, ("Completed", "Partial", "Canceled"), strict=True):
        world.sim.script(world.panel_id(order), status)
    chunk = [(o.id, world.panel_id(o)) for o in orders]
    replies = await world.deps.provider.statuses([pid for _, pid in chunk])
    job = poller(world)

    first = await job.apply(chunk, replies)
    balance, refunds, messages = await world.balance(), await world.refunds(), await world.outbox()
    again = await job.apply(chunk, replies)

    assert (first.completed, first.partial, first.canceled) == (1, 1, 1)
    assert (again.completed, again.partial, again.canceled, again.notified) == (0, 0, 0, 0)
    assert await world.balance() == balance
    assert await world.refunds() == refunds and len(refunds) == 2
    assert [m.id for m in await world.outbox()] == [m.id for m in messages]


async def test_two_pollers_racing_finish_and_refund_each_order_once(world: World) -> None:
    ids = await world.seed_active(120)
    for n, order_id in enumerate(ids):
        status = ("Completed", "Partial", "Canceled")[n % 3]
        world.sim.script(world.panel_id(await world.order(order_id)), status, remains=None)
    before = await world.balance()

    one, two = await asyncio.gather(poller(world).run_cycle(), poller(world).run_cycle())

    assert one.completed + two.completed == 40
    assert one.partial + two.partial == 40
    assert one.canceled + two.canceled == 40
    refunds = await world.refunds()
    assert len(refunds) == 80 and len({ref for _, _, ref in refunds}) == 80
    assert await world.balance() == before + sum(amount for _, amount, _ in refunds)
    keys = [m.dedupe_key for m in await world.outbox()]
    assert len(keys) == 120 and len(set(keys)) == 120


async def test_incorrect_order_id_is_flagged_after_several_in_a_row_never_refunded(
    world: World,
) -> None:
    (order_id,) = await world.buy(1)
    paid_before = await world.balance()
    # The panel forgets the order: it answers "Incorrect order ID" for it.
    world.sim.book.orders.pop(world.panel_id(await world.order(order_id)))
    job = poller(world, error_threshold=3)

    for cycle in range(5):
        report = await job.run_cycle()
        assert report.item_errors == 1 and report.unavailable is None
        assert report.flagged == (1 if cycle == 2 else 0)
        world.clock.advance(seconds=60)

    row = await world.row(order_id)
    assert row.state is OrderState.ACTIVE and row.flagged_at is not None
    assert row.poll_errors == 5 and row.poll_error == "Incorrect order ID"
    assert await world.balance() == paid_before and await world.refunds() == []
    alerts = [m for m in await world.outbox() if m.chat_id == OPERATORS]
    assert len(alerts) == 1 and f"#{order_id} (/order {order_id})" in alerts[0].text
    assert f"@alice (id {ALICE_TG}) · /user {ALICE_TG}" in alerts[0].text
    assert f"(service {world.service_id}, panel's {world.service.service_id})" in alerts[0].text


async def test_a_good_reply_clears_the_error_count(world: World) -> None:
    (order_id,) = await world.buy(1)
    panel_id = world.panel_id(await world.order(order_id))
    kept = world.sim.book.orders.pop(panel_id)
    job = poller(world, error_threshold=3)
    await job.run_cycle()
    world.clock.advance(seconds=60)
    await job.run_cycle()
    assert (await world.row(order_id)).poll_errors == 2
    world.sim.book.orders[panel_id] = kept
    world.clock.advance(seconds=60)
    await job.run_cycle()
    row = await world.row(order_id)
    assert row.poll_errors == 0 and row.poll_error is None and row.flagged_at is None


def _reply(status: str, remains: Any, charge: str = "0.5") -> dict[str, Any]:
    return {"charge": charge, "start_count": "10", "status": status, "remains": remains}


async def test_nonsense_from_the_panel_is_kept_for_the_next_cycle(world: World) -> None:
    ids = await world.buy(7, quantity=1000)
    orders = [await world.order(i) for i in ids]
    panel = [world.panel_id(o) for o in orders]
    before = await world.balance()
    crafted = {
        panel[0]: _reply("Teleported", "10"),  # a status the bot does not know
        panel[1]: _reply("Partial", "-5"),  # negative remains
        panel[2]: _reply("Partial", "5000"),  # more remains than ordered
        panel[3]: _reply("Partial", None),  # Partial without remains
        panel[4]: _reply("Completed", "0", charge="999.99"),  # above what was paid
        # panel[5] is missing from the reply altogether
        panel[6]: {"error": "Incorrect order ID"},
    }

    def status(form: Any, wire: Any, faults: Any) -> Any:
        return {pid: reply for pid, reply in crafted.items() if pid in form["orders"]}

    world.sim.api._actions["status"] = status
    report = await poller(world).run_cycle()

    assert report.unavailable is None and report.due == 7 and report.calls == 1
    assert (report.unrecognised, report.bad_replies, report.missing, report.item_errors) == (
        1,
        4,
        1,
        1,
    )
    assert report.completed == report.partial == report.canceled == 0
    for order_id in ids:
        assert (await world.order(order_id)).state is OrderState.ACTIVE
    assert await world.balance() == before and await world.refunds() == []
    unknown = await world.row(ids[0])
    assert unknown.provider_status == "Teleported" and unknown.poll_errors == 0
    for order_id in ids[1:]:
        assert (await world.row(order_id)).poll_errors == 1

    # The next cycle asks again; once the panel makes sense the orders finish normally.
    del world.sim.api._actions["status"]
    world.sim.api._actions["status"] = type(world.sim.api).status.__get__(world.sim.api)
    for pid in panel:
        world.sim.script(pid, "Completed")
    world.clock.advance(seconds=60)
    assert (await poller(world).run_cycle()).completed == 7


async def test_item_error_objects_and_bare_strings_are_item_errors(world: World) -> None:
    (order_id,) = await world.buy(1)
    world.sim.faults.bare_string_item_errors = True
    world.sim.book.orders.pop(world.panel_id(await world.order(order_id)))
    report = await poller(world).run_cycle()
    assert report.item_errors == 1 and isinstance(
        (await world.deps.provider.statuses(["1"]))["1"], ItemError
    )


async def test_unavailable_panel_backs_off_alerts_once_and_once_on_recovery(world: World) -> None:
    await world.buy(3)
    job = poller(world, alert_after=3)
    world.sim.faults.http_5xx = True

    reports = []
    for _ in range(12):
        reports.append(await job.run_cycle())
        world.clock.advance(seconds=60)
    asked = [r for r in reports if not r.skipped]
    assert all(r.unavailable for r in asked)
    # Backing off: 1st, 2nd (1 skipped), 3rd (3 skipped), 4th (7 skipped) ...
    assert [not r.skipped for r in reports[:8]] == [
        True,
        True,
        False,
        True,
        False,
        False,
        False,
        True,
    ]
    alerts = [m for m in await world.outbox() if m.chat_id == OPERATORS]
    assert len(alerts) == 1 and "not been answering" in alerts[0].text
    assert job.last_success is None  # what /healthz reads

    world.sim.faults.http_5xx = False
    world.clock.advance(minutes=30)
    back = await job.run_cycle()
    assert back.unavailable is None and back.due == 3
    assert job.last_success == world.clock.now() and job.last_report is back
    world.clock.advance(seconds=60)
    await job.run_cycle()
    alerts = [m for m in await world.outbox() if m.chat_id == OPERATORS]
    assert len(alerts) == 2 and "answers again" in alerts[1].text


async def test_html_challenge_page_ends_the_cycle_quietly(world: World) -> None:
    ids = await world.buy(2)
    world.sim.faults.html = True
    report = await poller(world).run_cycle()
    assert report.unavailable and "HTML" in report.unavailable
    for order_id in ids:
        assert (await world.order(order_id)).state is OrderState.ACTIVE


async def test_started_and_half_way_notices_once_each(world: World) -> None:
    (order_id,) = await world.buy(1, quantity=1000)
    panel_id = world.panel_id(await world.order(order_id))
    job = poller(world)
    await job.run_cycle()  # Pending
    world.sim.script(panel_id, "In progress", remains=900)
    world.clock.advance(seconds=60)
    await job.run_cycle()
    world.clock.advance(seconds=60)
    await job.run_cycle()  # still 900 left: nothing new
    world.sim.script(panel_id, "In progress", remains=400)
    world.clock.advance(seconds=60)
    await job.run_cycle()
    world.sim.script(panel_id, "In progress", remains=100)
    world.clock.advance(seconds=60)
    await job.run_cycle()
    keys = [m.dedupe_key for m in await world.outbox()]
    assert keys == [f"order:{order_id}:started", f"order:{order_id}:half"]
    row = await world.row(order_id)
    assert (row.provider_status, row.remains, row.start_count) == (
        "In progress",
        100,
        row.start_count,
    )


async def test_the_customer_reads_news_in_their_language(world: World) -> None:
    (order_id,) = await world.buy(1, user=world.boris)
    world.sim.script(world.panel_id(await world.order(order_id)), "Canceled")
    await poller(world).run_cycle()
    (message,) = await world.outbox()
    assert message.chat_id == 1002 and message.user_id == world.boris
    assert str(order_id) in message.text
