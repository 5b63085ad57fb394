"""Benchmark: status polling cycles over 10,000 active orders, against the provider
simulator over HTTP, on SQLite (a fresh file) or PostgreSQL (`--database-url`, a fresh
schema dropped at the end).

Prints, per cycle: HTTP `status` calls (must be 100: one per 100 ids), the cycle's wall
time and its ratio to the first (progress-only) cycle of the same run, the time spent
waiting for the panel (summed over calls, which overlap) and in the database (reading the
due orders and applying the replies, one transaction per chunk), and what the cycle did.
Cycles: every order Pending (progress only); two minutes later, about half finished and
the rest In progress (transitions, refunds, "started" and final notices); an hour later,
the rest finished. The simulator runs in the same process and event loop, so its CPU is
in the figures too: compare cycles of one run, not runs on a busy machine.

Run: .venv/bin/python bench/poll_cycle.py [--orders 10000] [--concurrency 4]
     [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._databases import drop_schema, open_database
from bot.clock import FakeClock
from bot.config import Config
from bot.factory import create_deps
from bot.jobs.catalog import sync_catalog
from bot.jobs.orders import PollReport, StatusPoller
from bot.provider.client import ProviderClient
from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.seeding import active_order_row
from bot.shop.enums import LedgerKind, OrderState
from bot.shop.money import to_micro
from bot.shop.services import Shop
from db.migrate import upgrade
from db.models import Order, OutboxMessage
from db.repositories import CatalogRepo, ProviderRepo

KEY = "bench-key"


async def main(orders: int, concurrency: int, database_url: str | None = None) -> None:
    clock = FakeClock()
    sim = ProviderSimulator(key=KEY, clock=clock, seed=11, balance=Decimal("100000000"))
    url = await sim.start()
    engine, database_url, schema = await open_database(database_url, "poll")
    print(f"database: {engine.dialect.name}" + (f" (schema {schema})" if schema else ""))
    await upgrade(engine)
    provider = ProviderClient(url, KEY, concurrency=concurrency)
    settings = Config(
        bot_token="1:BENCH",
        provider_url=url,
        provider_key=KEY,
        database_url=database_url,
        operator_chat_id=-100,
        _env_file=None,
    )  # type: ignore[call-arg]
    deps = create_deps(settings, engine=engine, provider=provider, clock=clock)
    try:
        started = time.perf_counter()
        await _seed(deps, sim, orders)
        print(f"set-up: {orders:,} active orders in {time.perf_counter() - started:.1f}s")
        poller = StatusPoller(deps, concurrency=concurrency, max_per_cycle=orders)
        failed = False
        first: float | None = None
        for label, advance in (
            ("all Pending", 0),
            ("2 min later, running", 120),
            ("1 h later, finishing", 3600),
        ):
            clock.advance(seconds=advance)
            before = sim.calls["status"]
            report = await poller.run_cycle()
            calls = sim.calls["status"] - before
            first = report.seconds if first is None else first
            _print(label, report, calls, concurrency, first)
            failed |= calls != -(-report.due // 100) or report.unavailable is not None
        async with deps.session_factory() as session, session.begin():
            active = await session.scalar(
                select(func.count()).select_from(Order).where(Order.state == OrderState.ACTIVE)
            )
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
        print(f"left active: {active:,}; notifications queued: {queued:,}")
        if failed:
            raise SystemExit("unexpected number of status calls")
    finally:
        await provider.close()
        await engine.dispose()
        await sim.stop()
        await drop_schema(database_url, schema)


def _print(label: str, report: PollReport, calls: int, concurrency: int, first: float) -> None:
    print(f"\ncycle: {label}")
    print(f"  orders asked        {report.due:,}")
    print(f"  HTTP status calls   {calls} (expected {-(-report.due // 100)})")
    print(
        f"  cycle time          {report.seconds:.2f}s wall "
        f"({report.seconds / max(first, 1e-9):.2f}x the progress-only cycle)"
    )
    print(
        f"  panel time          {report.panel_seconds:.2f}s summed over calls "
        f"(~{report.panel_seconds / max(concurrency, 1):.2f}s at concurrency {concurrency}, "
        f"{report.panel_seconds / max(calls, 1) * 1000:.0f} ms a call)"
    )
    print(f"  database time       {report.db_seconds:.2f}s (due query + applying replies)")
    print(
        f"  running {report.running:,}, completed {report.completed:,}, partial "
        f"{report.partial:,}, canceled {report.canceled:,}, refunded "
        f"{report.refunded / 1e6:,.2f}, notices {report.notified:,}"
    )


async def _seed(deps: object, sim: ProviderSimulator, count: int) -> None:
    from bot.deps import Deps

    assert isinstance(deps, Deps)
    await sync_catalog(deps)
    service = sim.find_service(ServiceType.DEFAULT, refill=True, dripfeed=False)
    async with deps.session_factory() as session, session.begin():
        shop = Shop(session, deps)
        provider = await ProviderRepo(session).by_name("main")
        assert provider is not None
        row = await CatalogRepo(session).by_provider_service_id(
            provider.id, str(service.service_id)
        )
        assert row is not None
        users = []
        for n in range(100):
            user, _ = await shop.users.enter(
                50_000 + n, username=None, first_name=f"Bench {n}", language="en"
            )
            await shop.wallet.credit(
                user.id, to_micro("100000"), LedgerKind.TOPUP, f"bench:{user.id}"
            )
            users.append(user.id)
        draft = await shop.orders.quote(
            users[0], row.id, {"link": "https://instagram.com/p/x", "quantity": service.min}
        )
        now = deps.clock.now()
        batch = []
        for i in range(count):
            form = dict(draft.form, link=f"https://instagram.com/p/bench{i}")
            reply = sim.api.handle("add", form, sim.faults)
            batch.append(
                active_order_row(
                    draft,
                    form,
                    user_id=users[i % len(users)],
                    token=f"bench-{i}",
                    service_id=row.id,
                    provider_id=provider.id,
                    provider_order_id=str(reply["order"]),
                    now=now,
                )
            )
        await session.execute(insert(Order), batch)
    sim.calls.clear()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL (postgresql+asyncpg://...): runs in a fresh schema there; "
        "default: a fresh SQLite file",
    )
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.concurrency, args.database_url))
