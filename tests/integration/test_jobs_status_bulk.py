"""The status poller's set-based settlement of a chunk, on SQLite and PostgreSQL: a chunk
mixing finished, running, unchanged, unknown and already finished orders; two pollers
(two tasks on one engine, and two engines on the same database) applying the same reply
at once; an order finished by someone else between the read and the write."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.factory import create_deps
from bot.i18n import in_language
from bot.jobs.orders import StatusPoller
from bot.notice_buttons import as_json, finished_markup
from bot.provider.models import ItemError
from bot.provider.models import OrderState as PanelState
from bot.provider.models import OrderStatus as PanelStatus
from bot.shop.bulk_settlement import ChunkSettlement
from bot.shop.enums import LedgerKind, OrderState
from bot.shop.pricing import refund_share
from bot.shop.services import Shop
from db.models import LedgerEntry, OrderEvent, OutboxMessage
from db.repositories import LedgerRepo, OrderRepo
from tests.conftest import TestDatabase
from tests.integration.jobs_world import World


def reply(
    pid: str, status: str, *, remains: int | None = None, charge: str | None = None
) -> PanelState:
    return PanelState(
        order_id=pid,
        status=PanelStatus.parse(status),
        raw_status=status,
        charge=None if charge is None else Decimal(charge),
        start_count=10,
        remains=remains,
        currency="USD",
    )


async def chunk_of(world: World, ids: list[int]) -> list[tuple[int, str]]:
    return [(i, world.panel_id(await world.order(i))) for i in ids]


async def ledger_state(world: World) -> tuple[list[tuple[int, str]], list[Any]]:
    """(order id, reference) of every refund row, and the balances that disagree with
    their ledger rows (none, always)."""
    async with world.deps.session_factory() as session, session.begin():
        refunds = await session.execute(
            select(LedgerEntry.order_id, LedgerEntry.reference)
            .where(LedgerEntry.kind == LedgerKind.REFUND)
            .order_by(LedgerEntry.order_id)
        )
        mismatches = await LedgerRepo(session).mismatches()
        return [(int(o or 0), r) for o, r in refunds], mismatches


async def transitions(world: World) -> dict[int, int]:
    """Order id -> how many times its history shows it leave `active` (it finishing)."""
    async with world.deps.session_factory() as session, session.begin():
        rows = await session.execute(
            select(OrderEvent.order_id, func.count())
            .where(
                OrderEvent.from_state == OrderState.ACTIVE, OrderEvent.to_state != OrderState.ACTIVE
            )
            .group_by(OrderEvent.order_id)
        )
        return {int(o): int(n) for o, n in rows}


async def test_a_mixed_chunk_settles_each_kind_of_reply(world: World) -> None:
    done, part, gone, moving, still, odd, absent, earlier = await world.buy(8, quantity=1000)
    chunk = await chunk_of(world, [done, part, gone, moving, still, odd, absent, earlier])
    pid = dict(chunk)
    paid = (await world.order(done)).charge
    before = await world.balance()
    job = StatusPoller(world.deps)
    # First poll: `moving` and `still` start (In progress, 1000 left), `earlier` is
    # finished by the customer's Refresh before the chunk is applied.
    await job.apply(
        [(moving, pid[moving]), (still, pid[still])],
        {
            pid[moving]: reply(pid[moving], "In progress", remains=1000),
            pid[still]: reply(pid[still], "In progress", remains=1000),
        },
    )
    async with world.deps.session_factory() as session:
        await Shop(session, world.deps).orders.apply_provider_state(
            earlier, reply(pid[earlier], "Completed", remains=0)
        )
    checked = await world.row(still)
    world.clock.advance(seconds=60)

    report = await job.apply(
        chunk,
        {
            pid[done]: reply(pid[done], "Completed", remains=0),
            pid[part]: reply(pid[part], "Partial", remains=300),
            pid[gone]: reply(pid[gone], "Canceled"),
            pid[moving]: reply(pid[moving], "In progress", remains=400),
            pid[still]: reply(pid[still], "In progress", remains=1000),
            pid[odd]: reply(pid[odd], "Teleported", remains=1000),
            # `absent` is missing from the reply
            pid[earlier]: reply(pid[earlier], "Canceled"),
        },
    )

    assert (report.completed, report.partial, report.canceled) == (1, 1, 1)
    assert (report.running, report.unrecognised, report.missing, report.failed) == (3, 1, 1, 0)
    states = {i: (await world.order(i)).state for i in (done, part, gone, moving, earlier)}
    assert states == {
        done: OrderState.COMPLETED,
        part: OrderState.PARTIAL,
        gone: OrderState.CANCELED,
        moving: OrderState.ACTIVE,
        earlier: OrderState.COMPLETED,  # finished before: the chunk's Canceled changes nothing
    }
    share = refund_share(paid, 300, 1000, "USD")
    assert (await world.order(part)).refunded == share
    assert (await world.order(gone)).refunded == paid
    assert (await world.order(earlier)).refunded == 0
    assert await world.balance() == before + share + paid
    refunds, mismatches = await ledger_state(world)
    assert refunds == [(part, f"order:{part}:refund"), (gone, f"order:{gone}:refund")]
    assert mismatches == []
    assert await transitions(world) == {done: 1, part: 1, gone: 1, earlier: 1}

    # Progress: news written, no news only checked, an unknown status kept polling.
    now = world.clock.now()
    assert (await world.row(moving)).remains == 400
    unchanged = await world.row(still)
    assert unchanged.last_checked_at == now and unchanged.updated_at == checked.updated_at
    assert (await world.row(odd)).provider_status == "Teleported"
    assert (await world.row(absent)).poll_errors == 1
    finished = await world.row(done)
    assert finished.finished_at == now and finished.last_checked_at == now

    keys = {m.dedupe_key: m for m in await world.outbox()}
    assert {
        f"order:{done}:state:completed",
        f"order:{part}:state:partial",
        f"order:{gone}:state:canceled",
        f"order:{moving}:half",
    } <= set(keys)
    assert f"order:{earlier}:state:canceled" not in keys
    # The keyboard under a finished order's notice is the one notice_buttons builds.
    with_buttons = keys[f"order:{done}:state:completed"].reply_markup
    with in_language(world.deps.i18n, "en"):
        assert with_buttons == as_json(finished_markup(done, refillable=True))


async def test_two_pollers_on_one_engine_apply_the_same_reply_once(world: World) -> None:
    ids = await world.buy(30, quantity=1000)
    await _race(world, ids, StatusPoller(world.deps), StatusPoller(world.deps))


async def test_two_pollers_on_two_engines_apply_the_same_reply_once(
    world: World, ready_db: TestDatabase
) -> None:
    ids = await world.buy(30, quantity=1000)
    other: AsyncEngine = ready_db.create_engine()
    try:
        deps = create_deps(
            world.deps.settings, engine=other, provider=world.deps.provider, clock=world.clock
        )
        await _race(world, ids, StatusPoller(world.deps), StatusPoller(deps))
    finally:
        await other.dispose()


async def _race(world: World, ids: list[int], one: StatusPoller, two: StatusPoller) -> None:
    chunk = await chunk_of(world, ids)
    statuses = ("Completed", "Partial", "Canceled")
    replies: dict[str, PanelState | ItemError] = {
        pid: reply(pid, statuses[n % 3], remains=250 if n % 3 == 1 else None)
        for n, (_, pid) in enumerate(chunk)
    }
    before = await world.balance()

    first, second = await asyncio.gather(one.apply(chunk, replies), two.apply(chunk, replies))

    assert first.completed + second.completed == 10
    assert first.partial + second.partial == 10
    assert first.canceled + second.canceled == 10
    assert first.notified + second.notified == 30 and first.failed == second.failed == 0
    refunds, mismatches = await ledger_state(world)
    refunded = [i for n, i in enumerate(ids) if n % 3]
    assert refunds == [(i, f"order:{i}:refund") for i in refunded]
    assert mismatches == []
    rows = [await world.row(i) for i in refunded]
    assert await world.balance() == before + sum(r.refunded for r in rows)
    assert await transitions(world) == {i: 1 for i in ids}
    keys = [m.dedupe_key for m in await world.outbox()]
    assert sorted(keys) == sorted(
        f"order:{i}:state:{('completed', 'partial', 'canceled')[n % 3]}" for n, i in enumerate(ids)
    )


async def test_an_order_finished_between_the_read_and_the_write_is_left_alone(
    world: World,
) -> None:
    first, second = await world.buy(2, quantity=1000)
    chunk = await chunk_of(world, [first, second])
    # `first` completes (nothing refunded: only the state guard can stop a second finish),
    # `second` is canceled.
    replies = {
        chunk[0][1]: reply(chunk[0][1], "Completed", remains=0),
        chunk[1][1]: reply(chunk[1][1], "Canceled"),
    }
    before = await world.balance()
    async with world.deps.session_factory() as session, session.begin():
        stale = await OrderRepo(session).for_poll([first, second])
    # Another poller settles `first` meanwhile (its transaction commits first).
    await StatusPoller(world.deps).apply(chunk[:1], replies)
    paid = (await world.order(second)).charge

    async with world.deps.session_factory() as session, session.begin():
        done = await ChunkSettlement(session, world.deps.pricing, world.clock).finish(
            [(row, replies[str(row.provider_order_id)]) for row in stale]
        )

    assert [f.order.id for f in done] == [second]  # the guard skipped `first`
    assert await world.balance() == before + paid
    refunds, mismatches = await ledger_state(world)
    assert refunds == [(second, f"order:{second}:refund")]
    assert mismatches == []
    assert await transitions(world) == {first: 1, second: 1}


async def test_many_refunds_of_one_customer_in_one_chunk_keep_the_ledger_running(
    world: World,
) -> None:
    ids = await world.buy(5, quantity=1000)
    chunk = await chunk_of(world, ids)
    before = await world.balance()
    await StatusPoller(world.deps).apply(chunk, {pid: reply(pid, "Canceled") for _, pid in chunk})
    async with world.deps.session_factory() as session, session.begin():
        rows = list(
            await session.execute(
                select(LedgerEntry.amount, LedgerEntry.balance_after)
                .where(LedgerEntry.kind == LedgerKind.REFUND)
                .order_by(LedgerEntry.order_id)
            )
        )
    # Each row's balance_after is the balance after it, one after another.
    running = before
    for amount, after in rows:
        running += amount
        assert after == running
    assert running == await world.balance() and len(rows) == 5


async def test_outbox_keys_are_unique_per_chunk_statement(world: World) -> None:
    (order_id,) = await world.buy(1)
    chunk = await chunk_of(world, [order_id])
    replies = {pid: reply(pid, "Completed", remains=0) for _, pid in chunk}
    job = StatusPoller(world.deps)
    assert (await job.apply(chunk, replies)).notified == 1
    async with world.deps.session_factory() as session, session.begin():
        count = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert count == 1
