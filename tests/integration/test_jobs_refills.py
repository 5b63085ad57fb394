"""Refill polling: 100 refill ids a call; the customer hears when a refill completes or is
rejected, once."""

from __future__ import annotations

from bot.jobs.orders import StatusPoller
from bot.jobs.refills import RefillPoller
from bot.provider.models import RefillStatus
from bot.shop.services import Shop
from db.models import OutboxMessage
from db.repositories.refills import RefillRepo
from tests.integration.jobs_world import ALICE_TG, World


async def complete(world: World, order_ids: list[int]) -> None:
    for order_id in order_ids:
        world.sim.script(world.panel_id(await world.order(order_id)), "Completed")
    await StatusPoller(world.deps).run_cycle()


async def refill(world: World, order_id: int) -> int:
    """The customer presses "Refill" on a completed order (the real path)."""
    async with world.deps.session_factory() as session:
        view = await Shop(session, world.deps).tracking.refill(world.alice, order_id)
    return view.id


async def customer_messages(world: World) -> list[OutboxMessage]:
    return [m for m in await world.outbox() if m.dedupe_key and m.dedupe_key.startswith("refill:")]


async def test_refill_completed_and_rejected_are_told_once(world: World) -> None:
    done_order, rejected_order = await world.buy(2)
    await complete(world, [done_order, rejected_order])
    good = await refill(world, done_order)
    bad = await refill(world, rejected_order)
    async with world.deps.session_factory() as session, session.begin():
        repo = RefillRepo(session)
        panel = {r.id: r.provider_refill_id for r in await repo.many([good, bad])}
    job = RefillPoller(world.deps)

    first = await job.run_cycle()
    assert first.due == 2 and first.calls == 1 and first.moved == 0  # still Pending
    assert await customer_messages(world) == []

    world.sim.script_refill(panel[good], "Completed")
    world.sim.script_refill(panel[bad], "Rejected")
    world.clock.advance(seconds=60)
    second = await job.run_cycle()
    assert (second.completed, second.rejected, second.notified) == (1, 1, 2)

    async with world.deps.session_factory() as session, session.begin():
        statuses = {r.id: r.status for r in await RefillRepo(session).many([good, bad])}
    assert statuses == {good: RefillStatus.COMPLETED.value, bad: RefillStatus.REJECTED.value}
    messages = {m.dedupe_key: m for m in await customer_messages(world)}
    assert set(messages) == {f"refill:{good}:completed", f"refill:{bad}:rejected"}
    assert all(m.chat_id == ALICE_TG for m in messages.values())
    assert f"#{done_order}" in messages[f"refill:{good}:completed"].text

    # Finished refills are not asked about again; nothing more is said.
    world.clock.advance(seconds=60)
    third = await job.run_cycle()
    assert third.due == 0 and third.calls == 0
    assert len(await customer_messages(world)) == 2


async def test_in_progress_moves_quietly_and_the_same_reply_twice_changes_nothing(
    world: World,
) -> None:
    (order_id,) = await world.buy(1)
    await complete(world, [order_id])
    refill_id = await refill(world, order_id)
    async with world.deps.session_factory() as session, session.begin():
        (row,) = await RefillRepo(session).many([refill_id])
    assert row.provider_refill_id is not None
    world.sim.script_refill(row.provider_refill_id, "In progress")
    job = RefillPoller(world.deps)
    report = await job.run_cycle()
    assert report.moved == 1 and report.notified == 0

    world.sim.script_refill(row.provider_refill_id, "Completed")
    chunk = [(refill_id, row.provider_refill_id)]
    replies = await world.deps.provider.refill_statuses([row.provider_refill_id])
    once = await job.apply(chunk, replies)
    twice = await job.apply(chunk, replies)
    assert (once.completed, once.notified) == (1, 1)
    assert (twice.completed, twice.notified, twice.moved) == (0, 0, 0)
    assert len(await customer_messages(world)) == 1


async def test_150_refills_take_two_calls_and_unknown_ids_are_errors(world: World) -> None:
    ids = await world.seed_active(150)
    await complete(world, ids)
    now = world.clock.now()
    panel_ids = [world.panel_id(await world.order(order_id)) for order_id in ids]
    async with world.deps.session_factory() as session, session.begin():
        repo = RefillRepo(session)
        for n, (order_id, panel_id) in enumerate(zip(ids, panel_ids, strict=True)):
            made = world.sim.book.request_refill(world.sim.order(panel_id), now)
            # The last one is a refill the panel does not know.
            provider_refill_id = "404404" if n == 149 else str(made.refill_id)
            await repo.add(
                order_id, status="pending", now=now, provider_refill_id=provider_refill_id
            )
    world.sim.calls.clear()
    report = await RefillPoller(world.deps).run_cycle()
    assert report.due == 150 and report.calls == 2 and world.sim.calls["refill_status"] == 2
    assert report.errors == 1 and report.unavailable is None
