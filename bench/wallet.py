"""Wallet debits per second on SQLite and PostgreSQL, 20 concurrent users.

Each user debits 0.01 from its own balance in its own transaction, as many times as it can
for a few seconds (the "own balances" figure), then all users debit one shared balance
(the "one balance" figure: every debit waits for the row). At the end the balances must
equal their ledgers.

    python bench/wallet.py [--users 20] [--seconds 3]

PostgreSQL is TEST_DATABASE_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test),
in a schema of its own that is dropped afterwards; skipped with the reason when unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench._databases import pg_admin
from bot.clock import SystemClock
from bot.shop.enums import LedgerKind
from bot.shop.wallet import WalletService
from db.migrate import upgrade
from db.repositories import UserRepo
from db.session import create_engine, create_session_factory

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CENT = 10_000  # 0.01 in micro-units
START = 10**15  # enough never to run dry


async def _users(factory: async_sessionmaker[AsyncSession], count: int) -> list[int]:
    clock = SystemClock()
    ids = []
    async with factory() as session, session.begin():
        wallet = WalletService.from_session(session, clock)
        for n in range(count):
            user, _ = await UserRepo(session).get_or_create(
                10_000 + n, username=None, first_name=f"bench{n}", language="en", now=clock.now()
            )
            await wallet.credit(user.id, START, LedgerKind.TOPUP, f"bench:start:{user.id}")
            ids.append(user.id)
    return ids


async def _hammer(
    factory: async_sessionmaker[AsyncSession], user_ids: Sequence[int], seconds: float, tag: str
) -> float:
    """Debits per second of len(user_ids) concurrent workers, worker i on user_ids[i]."""
    clock = SystemClock()
    deadline = time.perf_counter() + seconds
    counts = [0] * len(user_ids)

    async def worker(index: int, user_id: int) -> None:
        while time.perf_counter() < deadline:
            async with factory() as session, session.begin():
                await WalletService.from_session(session, clock).debit(
                    user_id, CENT, LedgerKind.CHARGE, f"bench:{tag}:{index}:{counts[index]}"
                )
            counts[index] += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i, uid) for i, uid in enumerate(user_ids)))
    return sum(counts) / (time.perf_counter() - started)


async def _run(engine: AsyncEngine, users: int, seconds: float) -> tuple[float, float]:
    await upgrade(engine)
    factory = create_session_factory(engine)
    ids = await _users(factory, users)
    own = await _hammer(factory, ids, seconds, "own")
    shared = await _hammer(factory, [ids[0]] * users, seconds, "one")
    async with factory() as session:
        mismatches = await WalletService.from_session(session, SystemClock()).mismatches()
    if mismatches:
        raise SystemExit(f"balance and ledger disagree: {mismatches}")
    return own, shared


def _line(name: str, figures: tuple[float, float], users: int) -> str:
    own, shared = figures
    return (
        f"{name:<34} {own:8.0f} debits/s ({users} users, own balances)"
        f"   {shared:8.0f} debits/s (one balance)"
    )


async def bench_sqlite(users: int, seconds: float) -> str:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.sqlite3'}"
        engine = create_engine(url, pool_size=users, max_overflow=0)
        try:
            return _line("sqlite (file, WAL)", await _run(engine, users, seconds), users)
        finally:
            await engine.dispose()


async def bench_postgres(users: int, seconds: float) -> str:
    url = make_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG)
    shown = url.render_as_string(hide_password=True)
    schema = f"bench_{secrets.token_hex(4)}"
    try:
        await pg_admin(url, f'CREATE SCHEMA "{schema}"')
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"{'postgresql':<34} skipped: {shown} unreachable ({type(exc).__name__}: {exc})"
    engine = create_engine(
        url,
        pool_size=users,
        max_overflow=0,
        connect_args={"server_settings": {"search_path": schema}},
    )
    try:
        figures = await _run(engine, users, seconds)
        return _line(f"postgresql ({url.host}:{url.port or 5432})", figures, users)
    finally:
        await engine.dispose()
        await pg_admin(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args(argv)
    print(f"wallet debits: {args.users} concurrent users, {args.seconds:g} s per figure")
    print(await bench_sqlite(args.users, args.seconds), flush=True)
    print(await bench_postgres(args.users, args.seconds), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
