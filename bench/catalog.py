"""Benchmark: a catalogue of thousands (5,000 services in 300 categories by default), from
the provider simulator over HTTP into an empty database: SQLite (a fresh file) or
PostgreSQL (`--database-url`, a fresh schema dropped at the end).

Prints:
- sync: the whole catalogue into the empty database (HTTP `services`, parsing and the
  database work, as the /sync job does it); again with nothing changed; again with
  about 10% of the prices changed and 2% of the services gone (checked: those are hidden).
- search: the first (cold: the index built) search, then p50/p99 over a mix of 240
  queries (English and Russian words, typos, prefixes, `#<id>`), each as the handler
  runs it (one session, one transaction).
- browsing: p50/p99 of the DATABASE side of each catalogue page: the use-case calls the
  handler makes (bot/shop/catalog.py against the database file, in a session and a
  transaction as the middleware opens them), timed around those calls; also the number
  of SQL statements a page issues and the time spent in them (SQLAlchemy cursor events).
  Pages: the platforms list, a platform's categories, a category's services (its pages
  in turn), a service card.

Run: .venv/bin/python bench/catalog.py [--services 5000] [--categories 300] [--rounds 3]
     [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._databases import drop_schema, open_database
from bot.clock import FakeClock
from bot.config import Config
from bot.deps import Deps
from bot.factory import create_deps
from bot.jobs.catalog import sync_catalog
from bot.provider.client import ProviderClient
from bot.sandbox.provider import ProviderSimulator, SimService, build_catalogue
from bot.shop.catalog import CategoryEntry, SyncReport
from bot.shop.errors import ServiceUnavailable
from bot.shop.services import Shop
from db.migrate import upgrade
from db.models import ServiceRow

KEY = "bench-key"
# Words customers type: whole, prefixes, one typo, Russian, several words.
WORDS_EN = (
    "followers", "likes", "views", "comments", "subscribers", "instagram", "tiktok",
    "youtube", "telegram", "twitter", "spotify", "story", "reels", "members", "package",
    "real", "cheap", "premium", "refill", "instant",
)  # fmt: skip
WORDS_RU = (
    "подписчики", "лайки", "просмотры", "комментарии", "инстаграм", "тикток", "ютуб",
    "телеграм", "участники", "реакции", "лайков", "просмотров",
)  # fmt: skip


def catalogue(services: int, categories: int, seed: int = 1) -> list[SimService]:
    """`services` entries in `categories` categories, made of the seeded panel's: each
    category is a seeded one with a server tag (so its platform is derived the same),
    each service a seeded one with a copy number in its tag."""
    seeded = build_catalogue(seed)
    names = sorted({s.category for s in seeded})
    by_category: dict[str, list[SimService]] = {}
    for s in seeded:
        by_category.setdefault(s.category, []).append(s)
    made: list[SimService] = []
    for n in range(services):
        base_category = names[n % categories % len(names)]
        server = n % categories // len(names) + 1
        pool = by_category[base_category]
        base = pool[n // categories % len(pool)]
        made.append(
            replace(
                base,
                service_id=10_000 + n,
                name=f"{base.name} [S{n // categories + 1}]",
                category=f"{base_category} [Server {server}]",
            )
        )
    return made


def queries(count: int, ids: list[int], rng: random.Random) -> list[tuple[str, str]]:
    def typo(word: str) -> str:
        i = rng.randrange(1, len(word) - 1)
        return word[:i] + word[i + 1 :]  # a letter missing

    out: list[tuple[str, str]] = []
    while len(out) < count:
        kind = len(out) % 6
        if kind == 0:
            out.append((rng.choice(WORDS_EN), "en"))
        elif kind == 1:
            out.append((f"{rng.choice(WORDS_EN)} {rng.choice(WORDS_EN)}", "en"))
        elif kind == 2:
            out.append((typo(rng.choice([w for w in WORDS_EN if len(w) >= 6])), "en"))
        elif kind == 3:
            out.append((rng.choice(WORDS_EN)[:4], "en"))
        elif kind == 4:
            out.append((f"{rng.choice(WORDS_RU)} {rng.choice(WORDS_RU)}", "ru"))
        else:
            out.append((f"#{rng.choice(ids)}" if len(out) % 12 == 5 else "zzqx nothing", "en"))
    return out


class Statements:
    """SQL statements and the time spent in them (cursor events of every engine: the
    writer's and the readers')."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started: list[float] = []
        del engine  # reads go to the reader engine beside it
        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_: Any) -> None:
        self.count += 1
        self.seconds += time.perf_counter() - self._started.pop()

    @contextmanager
    def measure(self) -> Iterator[list[float]]:
        """Yields [statements, seconds in them] filled in at the end."""
        out: list[float] = [0, 0.0]
        count, seconds = self.count, self.seconds
        yield out
        out[0], out[1] = self.count - count, self.seconds - seconds


def pct(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def timed_sync(deps: Deps, label: str) -> SyncReport:
    started = time.perf_counter()
    report = await sync_catalog(deps)
    took = time.perf_counter() - started
    print(
        f"  {label:<34} {took:6.2f} s  ({report.total:,} listed, {report.added:,} new, "
        f"{report.changed:,} changed, {report.removed:,} removed)"
    )
    return report


async def main(args: argparse.Namespace) -> None:
    clock = FakeClock()
    services = catalogue(args.services, args.categories)
    sim = ProviderSimulator(key=KEY, clock=clock, seed=11, catalogue=services)
    url = await sim.start()
    engine, database_url, schema = await open_database(args.database_url, "catalog")
    print(
        f"database: {engine.dialect.name}" + (f" (schema {schema})" if schema else "")
        + f"; {len(services):,} services in {len({s.category for s in services})} categories"
    )  # fmt: skip
    await upgrade(engine)
    provider = ProviderClient(url, KEY)
    settings = Config(
        bot_token="1:BENCH",
        provider_url=url,
        provider_key=KEY,
        database_url=database_url,
        operator_chat_id=-100,
        _env_file=None,
    )  # type: ignore[call-arg]
    deps = create_deps(settings, engine=engine, provider=provider, clock=clock)
    statements = Statements(engine)
    rng = random.Random(5)
    try:
        print("\nsync (HTTP services + parsing + database, one transaction)")
        await timed_sync(deps, "into the empty database")
        clock.advance(seconds=60)
        await timed_sync(deps, "again, nothing changed")
        clock.advance(seconds=60)
        listed = list(sim.catalogue)
        changed = rng.sample(listed, len(listed) // 10)
        gone = rng.sample([s for s in listed if s not in changed], len(listed) // 50)
        for s in changed:
            sim.catalogue.change(s.service_id, rate=s.rate * Decimal("1.1") + Decimal("0.01"))
        for s in gone:
            sim.catalogue.remove(s.service_id)
        report = await timed_sync(deps, "10% prices changed, 2% gone")
        async with deps.session_factory() as session, session.begin():
            hidden = await session.scalar(
                select(func.count())
                .select_from(ServiceRow)
                .where(ServiceRow.removed_at.is_not(None))
            )
        if report.changed != len(changed) or report.removed != len(gone) or hidden != len(gone):
            raise SystemExit(f"sync miscounted: {report}, {hidden} flagged removed")
        await browse(deps, statements, args.rounds)
        await search(deps, statements, [s.service_id for s in listed], rng)
    finally:
        await provider.close()
        await engine.dispose()
        await sim.stop()
        await drop_schema(database_url, schema)


async def in_update(deps: Deps, work: Callable[[Shop], Awaitable[object]]) -> float:
    """One update's database side, as a handler runs it (each use case in a transaction
    of its own, none held by the middleware): the seconds it took."""
    started = time.perf_counter()
    async with deps.session_factory() as session:
        await work(Shop(session, deps))
    return time.perf_counter() - started


async def browse(deps: Deps, statements: Statements, rounds: int) -> None:
    async with deps.session_factory() as session, session.begin():
        catalog = Shop(session, deps).catalog
        platforms = await catalog.platforms()
        listing: list[tuple[int, CategoryEntry]] = []
        for index, platform in enumerate(platforms):
            listing += [(index, c) for c in await catalog.categories(platform.name)]
        ids = [i for (i,) in await session.execute(select(ServiceRow.id))]
    print(
        f"\nbrowsing: {len(platforms)} platforms, {len(listing)} categories; database time "
        "of the use-case calls each handler makes (one session and transaction each)"
    )

    async def platforms_page(shop: Shop) -> None:
        await shop.catalog.platforms()

    async def categories_page(index: int) -> None:
        async def run(shop: Shop) -> None:
            platform = await shop.catalog.platform(index)
            await shop.catalog.categories(platform.name)

        await measure("categories", run)

    async def services_page(index: int, key: str, page: int) -> None:
        async def run(shop: Shop) -> None:
            platform = await shop.catalog.platform(index)
            category = await shop.catalog.category(platform.name, key)
            await shop.catalog.services_page(category, page)

        await measure("services", run)

    async def card_page(service_id: int) -> None:
        async def run(shop: Shop) -> None:
            try:
                await shop.catalog.card(service_id)
            except ServiceUnavailable:  # a removed service: the handler says so
                return
            await shop.catalog.platforms()

        await measure("card", run)

    results: dict[str, tuple[list[float], list[float], list[float]]] = {}

    seen = "first"

    async def measure(kind: str, run: Callable[[Shop], Awaitable[None]]) -> None:
        with statements.measure() as stats:
            took = await in_update(deps, run)
        times, counts, sql = results.setdefault(f"{kind} ({seen})", ([], [], []))
        times.append(took)
        counts.append(stats[0])
        sql.append(stats[1])

    for round_ in range(rounds):
        # The first round reads the rows; later ones get the answers the process kept
        # (db/read_cache.py) while the catalogue is unchanged.
        seen = "first" if round_ == 0 else "again"
        for _ in range(50):
            await measure("platforms", platforms_page)
        for index in range(len(platforms)):
            await categories_page(index)
        for index, entry in listing:
            pages = -(-entry.services // 8)
            for page in range(min(pages, 3)):
                await services_page(index, entry.key, page)
        for service_id in random.Random(3).sample(ids, min(300, len(ids))):
            await card_page(service_id)
    for kind, (times, counts, sql) in results.items():
        print(
            f"  {kind:<18} {len(times):5} pages  p50 {pct(times, 0.5):5.2f} ms  "
            f"p99 {pct(times, 0.99):5.2f} ms  max {max(times) * 1000:6.2f} ms  | "
            f"{min(counts):.0f}-{max(counts):.0f} statements, "
            f"in them p99 {pct(sql, 0.99):5.2f} ms"
        )


async def search(deps: Deps, statements: Statements, ids: list[int], rng: random.Random) -> None:
    mix = queries(240, ids, rng)
    print(f"\nsearch: {len(mix)} queries (en/ru words, typos, prefixes, #id), one update each")

    def searching(text: str, locale: str) -> Callable[[Shop], Awaitable[object]]:
        return lambda shop: shop.catalog.search(text, locale=locale)

    cold = await in_update(deps, searching("followers", "en"))
    print(f"  first (cold) search            {cold * 1000:7.1f} ms")
    times: list[float] = []
    with statements.measure() as stats:
        for text, locale in mix:
            times.append(await in_update(deps, searching(text, locale)))
    print(
        f"  warm                           p50 {pct(times, 0.5):5.2f} ms  "
        f"p99 {pct(times, 0.99):5.2f} ms  max {max(times) * 1000:6.2f} ms  "
        f"({stats[0] / len(mix):.1f} statements a search)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=5_000)
    parser.add_argument("--categories", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    asyncio.run(main(parser.parse_args()))
