"""Benchmark: a big shop's database (100,000 customers, 1,000,000 orders by default) in
an SQLite file, and what an admin, a customer and the poller ask of it.

Seeds the file (bench/_big_shop_seed.py; `--keep FILE` seeds it once and reuses it), then
times, as the handlers and the poller run them:
- `/stats` (today, 30 days, all time), target <= 1 s each;
- "my orders": pages of the customer with the most orders (first, deep) and the first
  page of 200 others, p99 target <= 20 ms;
- the admin's `/user` card of the heaviest customer and of 50 others;
- the poller's due query (every active order of a panel not checked since now), target
  <= 100 ms;
- the bot process's RSS once it has started on this database (an Application as the
  runner builds it, jobs on, with the provider simulator and the recording session in
  place of Telegram, on a copy of the file), target <= 250 MB.

Run: .venv/bin/python bench/big_shop.py [--customers 100000] [--orders 1000000]
     [--keep data/big_shop.sqlite3]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._big_shop_seed import seed
from bot.clock import FakeClock
from bot.config import Config
from bot.factory import create_deps
from bot.shop.services import Shop
from bot.shop.stats import Period
from db.migrate import upgrade
from db.repositories.orders import OrderRepo
from db.session import create_engine
from db.uow import unit_of_work

KEY = "bench-key"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def prepare(path: Path, customers: int, orders: int) -> None:
    if path.exists():  # noqa: ASYNC240 (a benchmark: nothing else waits)
        print(f"reusing {path}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    await upgrade(f"sqlite+aiosqlite:///{path}")
    started = time.perf_counter()
    seeded = seed(path, customers=customers, orders=orders, now=NOW)
    print(
        f"seeded {seeded.customers:,} customers, {seeded.orders:,} orders, "
        f"{seeded.ledger:,} ledger rows in {time.perf_counter() - started:.1f} s"
    )


def settings_for(url: str, provider_url: str = "http://127.0.0.1:9") -> Config:
    return Config(
        bot_token="1:BENCH",  # type: ignore[arg-type]
        provider_url=provider_url,
        provider_key=KEY,  # type: ignore[arg-type]
        database_url=url,
        admin_ids=[1],
        _env_file=None,  # type: ignore[call-arg]
    )


async def measure(path: Path, customers: int) -> None:
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    deps = create_deps(settings_for(url), engine=engine, clock=FakeClock(NOW))
    rng = random.Random(5)
    try:
        print("\n/stats (the use case the admin's command runs)")
        for period in (Period.TODAY, Period.MONTH, Period.ALL):
            async with deps.session_factory() as session:
                shop = Shop(session, deps)
                took = await timed(lambda: shop.stats.collect(period))  # noqa: B023
            print(f"  {period.value:<6} {ms(took)}   target <= 1000 ms")

        print("\nmy orders (5 a page)")
        heavy: list[float] = []
        for page in (0, 1, 10, 100, 1000, 3999):
            async with deps.session_factory() as session:
                shop = Shop(session, deps)
                heavy.append(await timed(lambda: shop.orders.page_for_user(1, page=page)))  # noqa: B023
        others: list[float] = []
        for user_id in rng.sample(range(2, customers + 1), min(200, customers - 1)):
            async with deps.session_factory() as session:
                shop = Shop(session, deps)
                others.append(await timed(lambda: shop.orders.page_for_user(user_id)))  # noqa: B023
        print(f"  heaviest customer, pages 0..3999: max {ms(max(heavy))}")
        print(
            f"  200 other customers: p50 {ms(statistics.median(others))}  "
            f"p99 {ms(p99(others))}   target p99 <= 20 ms"
        )

        print("\n/user (the admin's customer card)")
        cards: list[float] = []
        for user_id in [1, *rng.sample(range(2, customers + 1), min(50, customers - 1))]:
            async with deps.session_factory() as session:
                shop = Shop(session, deps)
                cards.append(await timed(lambda: shop.admin.profile(1, user_id)))  # noqa: B023
        print(f"  heaviest {ms(cards[0])}; 50 others p99 {ms(p99(cards[1:]))}")

        print("\nthe poller's due query (one panel's active orders not checked since now)")
        for provider_id in (1, 2):

            async def due(provider_id: int = provider_id) -> None:
                async with unit_of_work(deps.session_factory, write=False) as session:
                    found = await OrderRepo(session).poll_due(
                        checked_before=NOW, limit=50_000, provider_ids=[provider_id]
                    )
                    print(f"  panel {provider_id}: {len(found):,} due", end="")

            took = await timed(due)
            print(f" in {ms(took)}   target <= 100 ms")
    finally:
        await deps.close()
        await engine.dispose()


async def started_rss(path: Path) -> None:
    """In a process of its own: start the bot on `path` and print its VmRSS."""
    from bot.app import Application
    from bot.sandbox.provider import ProviderSimulator
    from bot.sandbox.recording import RecordingSession

    sim = ProviderSimulator(key=KEY, clock=FakeClock(NOW), balance=Decimal("1000000"))
    provider_url = await sim.start()
    app = await Application.create(
        settings_for(f"sqlite+aiosqlite:///{path}", provider_url),
        bot_session=RecordingSession(),
    )
    try:
        await app.startup()
        await asyncio.sleep(2)  # the first jobs run
        status = Path("/proc/self/status").read_text()  # noqa: ASYNC240
        rss = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        print(int(rss) // 1024)
    finally:
        await app.close()
        await sim.stop()


def rss_of_bot(path: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "shop.sqlite3"
        shutil.copyfile(path, copy)  # start-up syncs the simulator's catalogue into it
        out = subprocess.run(
            [sys.executable, __file__, "--rss-of", str(copy)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    megabytes = out.splitlines()[-1]
    print(f"\nbot process RSS after start-up: {megabytes} MB   target <= 250 MB")


async def main(args: argparse.Namespace) -> None:
    if args.rss_of:
        await started_rss(Path(args.rss_of))
        return
    if args.keep:
        path = Path(args.keep)
        await prepare(path, args.customers, args.orders)
        await measure(path, args.customers)
        rss_of_bot(path)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big_shop.sqlite3"
        await prepare(path, args.customers, args.orders)
        await measure(path, args.customers)
        rss_of_bot(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--keep", default=None, help="seed this file once and reuse it")
    parser.add_argument("--rss-of", default=None, help=argparse.SUPPRESS)
    asyncio.run(main(parser.parse_args()))
