"""Benchmark: a broadcast to 100,000 customers through the outbox into the Telegram
emulator with Telegram's limits on, the sending side killed (SIGKILL) and started again
in the middle, on a SQLite file.

What it does, in order:

1. seeds `--recipients` customers (default 100,000) in one bulk insert per 5,000 rows,
   half English, half Russian;
2. enqueue: on a copy of that database, records a broadcast and feeds every recipient
   into the outbox in its batches (FEED_BATCH rows a transaction), ignoring the window
   (the bot keeps only WINDOW_SECONDS of sending queued), timing the whole and each batch
   (how long one batch holds SQLite's writer);
3. on the real database, starts the broadcast (the first window is queued at Confirm)
   and runs the sending side, the feeding job plus the outbox sender at `--rate`, as a
   separate process: for `--first-seconds`, then SIGKILL (mid-send: no clean stop), then
   a new process for `--second-seconds`; the rate achieved is measured over both, in
   real time, from what the emulator received;
4. with `--finish` (the default), a last process sends the rest with the emulator's rate
   limits off and `--finish-rate` (so 100,000 do not take 67 minutes), then the
   broadcast must be done;
5. checks every recipient against the emulator's record of what it received: lost
   (expected, never received), duplicated (received more than once), and the rows given
   up as "interrupted" by the kill (a send in flight when it died: at most once, so not
   sent again; one the emulator did receive is not lost).

Prints: the enqueue time, msgs/s achieved against the rate, the 429s, lost, duplicated,
interrupted, and the projected time for 100,000 at the achieved rate.

Run: .venv/bin/python bench/broadcast.py [--recipients 100000] [--rate 25]
     [--first-seconds 20] [--second-seconds 20] [--finish-rate 2000]
     [--finish-seconds 1800] [--no-finish]

The fast finish is bound by the machine, not the rate (on the loaded 2-core machine
about 150 msg/s: two short write transactions per message, the emulator in the same
machine): 100,000 take some 11 minutes; `--recipients 10000` checks the same in two.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import func, insert, select

from bot.config import Config
from bot.deps import Deps
from bot.factory import create_deps
from bot.jobs.broadcasts import EVERY, feed_broadcasts, report_finished_broadcasts
from bot.outbox.sender import OutboxSender
from bot.provider.client import ProviderClient
from bot.sandbox.telegram import LimitSettings, TelegramEmulator
from bot.sandbox.telegram.models import Persona
from bot.shop.admin_broadcast import ACTIVE, FEED_BATCH, Audience, BroadcastContent
from bot.shop.enums import BroadcastState, OutboxStatus
from bot.shop.services import Shop
from db.migrate import upgrade
from db.models import Broadcast, OutboxMessage, User, table_of
from db.repositories.broadcasts import BroadcastRepo
from db.repositories.outbox import INTERRUPTED, OutboxRepo
from db.session import create_engine

TOKEN = "123456:BROADCASTBENCH"
ROOT = str(Path(__file__).resolve().parent.parent)  # the worker process imports from here
ADMIN = 1
FIRST = 10_000_000  # the customers' Telegram ids start here
BROADCAST_ID = "0123456789ab"
TEXTS = {"en": "📣 Spring sale: everything -20% today", "ru": "📣 Весенняя распродажа: -20%"}


def _settings(database_url: str, api: str, rate: float) -> Config:
    return Config(
        bot_token=TOKEN,
        telegram_api_url=api,
        database_url=database_url,
        notify_rate_per_second=rate,
        _env_file=None,
    )  # type: ignore[call-arg]


def _deps(database_url: str, api: str, rate: float) -> tuple[Deps, Any, ProviderClient]:
    engine = create_engine(database_url)
    provider = ProviderClient("http://127.0.0.1:9/api/v2", "unused")
    deps = create_deps(_settings(database_url, api, rate), engine=engine, provider=provider)
    return deps, engine, provider


async def _seed(database_url: str, recipients: int) -> float:
    await upgrade(database_url)
    engine = create_engine(database_url)
    users = table_of(User)
    now = datetime.now(UTC)
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.execute(
            insert(users),
            [{"telegram_id": ADMIN, "first_name": "Admin", "language": "en", "created_at": now}],
        )
    for start in range(0, recipients, 5_000):
        rows = [
            {
                "telegram_id": FIRST + n,
                "first_name": f"C{n}",
                "language": "en" if n % 2 else "ru",
                "created_at": now,
            }
            for n in range(start, min(recipients, start + 5_000))
        ]
        async with engine.begin() as conn:
            await conn.execute(insert(users), rows)
    await engine.dispose()
    return time.perf_counter() - started


def _audience() -> Audience:
    return Audience(
        contents={k: BroadcastContent(v) for k, v in TEXTS.items()},
        fallback="en",
        per_language=True,
    )


async def _start(deps: Deps) -> int:
    async with deps.session_factory() as session:
        started = await Shop(session, deps).broadcasts.start(
            ADMIN, ADMIN, BROADCAST_ID, _audience(), deps.i18n.pick
        )
    return started.record.total


async def _enqueue_all(database_url: str) -> tuple[float, float, float, int]:
    """Feed a whole broadcast into the outbox of this (scratch) database, ignoring the
    window; (seconds, the median and the longest batch in seconds, rows queued)."""
    deps, engine, provider = _deps(database_url, "http://127.0.0.1:9", 25.0)
    try:
        started = time.perf_counter()
        await _start(deps)
        batches: list[float] = []
        async with deps.session_factory() as session:
            service = Shop(session, deps).broadcasts
            while True:
                batch_started = time.perf_counter()
                if not await service.feed(BROADCAST_ID, deps.i18n.pick, limit=10**9):
                    break
                batches.append(time.perf_counter() - batch_started)
        took = time.perf_counter() - started
        batches.sort()
        median, longest = batches[len(batches) // 2], batches[-1]
        async with deps.session_factory() as session, session.begin():
            queued = int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
        return took, median, longest, queued
    finally:
        await provider.close()
        await deps.close()
        await engine.dispose()


# --- the sending side, in its own process ---------------------------------------------------


async def worker(database_url: str, api: str, rate: float, seconds: float) -> None:
    """The feeding job every EVERY seconds and the outbox sender, as the bot runs them (one
    process, no leader lock needed), for `seconds` or until the broadcast is over."""
    # NOTIFY_RATE_PER_SECOND stops at Telegram's 30; the fast finish gives the sender its rate.
    deps, engine, provider = _deps(database_url, api, min(rate, 25.0))
    feed_every = EVERY if rate <= 30 else 0.1
    bot = Bot(
        TOKEN,
        session=AiohttpSession(api=TelegramAPIServer.from_base(api)),
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    sender = OutboxSender(deps, bot, rate=rate)

    done = asyncio.Event()

    async def feeding() -> None:
        while True:
            await feed_broadcasts(deps)
            await report_finished_broadcasts(deps)
            async with deps.session_factory() as session, session.begin():
                active = await BroadcastRepo(session).in_states(list(ACTIVE))
                left = await OutboxRepo(session).unfinished()
            if not active and not left:
                done.set()
            await asyncio.sleep(feed_every)

    feeder = asyncio.create_task(feeding())
    sending = asyncio.create_task(sender.run())
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), seconds)
    finally:
        await sender.stop()
        await sending
        feeder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await feeder
        await bot.session.close()
        await provider.close()
        await deps.close()
        await engine.dispose()


async def _run_worker(
    database_url: str, api: str, rate: float, seconds: float, *, kill_after: float | None
) -> None:
    """A worker process; with `kill_after`, SIGKILLed that many seconds in."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--worker",
        database_url,
        api,
        str(rate),
        str(seconds),
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    if kill_after is None:
        await proc.wait()
        return
    try:
        await asyncio.wait_for(proc.wait(), kill_after)
    except TimeoutError:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()


async def _sample(emulator: TelegramEmulator, task: asyncio.Task[None]) -> list[tuple[float, int]]:
    """(time, messages received) from the first message after the restart to the last."""
    start = emulator.counters.sent
    samples: list[tuple[float, int]] = []
    while not task.done():
        await asyncio.sleep(0.25)
        sent = emulator.counters.sent
        if sent > start and (not samples or sent > samples[-1][1]):
            samples.append((time.perf_counter(), sent))
    await task
    return samples or [(0.0, 0)]


def _received(emulator: TelegramEmulator, chats: Iterable[int]) -> Counter[int]:
    got: Counter[int] = Counter()
    for chat in chats:
        got[chat] = sum(1 for m in emulator.bot_messages(chat) if m.text in TEXTS.values())
    return got


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="broadcast-bench-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    seeded = await _seed(database_url, args.recipients)
    print(f"customers seeded       {args.recipients:,} in {seeded:.1f}s")

    shutil.copy(folder / "bench.sqlite3", folder / "scratch.sqlite3")
    took, median, longest, queued = await _enqueue_all(
        f"sqlite+aiosqlite:///{folder / 'scratch.sqlite3'}"
    )
    print(
        f"enqueue (all at once)  {queued:,} rows in {took:.1f}s ({queued / took:,.0f} rows/s) "
        f"in batches of {FEED_BATCH}: median {median * 1000:.0f} ms, longest "
        f"{longest * 1000:.0f} ms each (one transaction, the writer held that long)"
    )

    chats = range(FIRST, FIRST + args.recipients)
    emulator = TelegramEmulator(token=TOKEN, limits=LimitSettings(), personas=[])
    for chat in [ADMIN, *chats]:
        emulator.add_persona(Persona(chat, f"C{chat}"))
    api = await emulator.start()
    try:
        deps, engine, provider = _deps(database_url, api, args.rate)
        try:
            confirm = time.perf_counter()
            total = await _start(deps)
            confirm = time.perf_counter() - confirm
        finally:
            await provider.close()
            await deps.close()
            await engine.dispose()
        print(
            f"broadcast started      {total:,} recipients, the first window queued at Confirm "
            f"in {confirm * 1000:.0f} ms"
        )

        began = time.perf_counter()
        await _run_worker(database_url, api, args.rate, 3600, kill_after=args.first_seconds)
        first = emulator.counters.sent
        print(f"killed (SIGKILL)       after {args.first_seconds:g}s: {first:,} received")
        second = asyncio.create_task(
            _run_worker(database_url, api, args.rate, args.second_seconds, kill_after=None)
        )
        samples = await _sample(emulator, second)
        elapsed = time.perf_counter() - began
        print(
            f"rate overall           {emulator.counters.sent / elapsed:.2f} msg/s over "
            f"{elapsed:.0f}s, both processes with their start-up and the kill"
        )
        (t0, n0), (t1, n1) = samples[0], samples[-1]
        achieved = (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0
        print(
            f"rate achieved          {achieved:.2f} msg/s sending (the restarted process, "
            f"{n1 - n0:,} messages in {t1 - t0:.1f}s; configured {args.rate:g})"
        )
        if achieved:
            print(
                f"projected for 100,000  {100_000 / achieved / 60:.0f} min at that rate "
                f"({100_000 / args.rate / 60:.0f} min at {args.rate:g} msg/s)"
            )
        if args.finish:
            emulator.limits = LimitSettings().without_rate_limits()
            finished = time.perf_counter()
            await _run_worker(
                database_url, api, args.finish_rate, args.finish_seconds, kill_after=None
            )
            print(
                f"finished fast          the rest at up to {args.finish_rate:g} msg/s, limits off: "
                f"{time.perf_counter() - finished:.0f}s"
            )
    finally:
        await emulator.stop()

    everyone = [ADMIN, *chats]  # the admin is a customer too
    received = _received(emulator, everyone)
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(OutboxMessage.chat_id, OutboxMessage.status, OutboxMessage.last_error)
            )
        ).all()
        state = await conn.scalar(select(Broadcast.state))
    await engine.dispose()
    interrupted = {row.chat_id for row in rows if row.last_error == INTERRUPTED}
    statuses = Counter(row.status for row in rows)
    lost = [chat for chat in everyone if not received[chat]]
    duplicated = sum(n - 1 for n in received.values() if n > 1)
    print(f"429s received          {emulator.counters.too_many_requests}")
    print(f"outbox rows            {dict(statuses)}")
    print(
        f"interrupted            {len(interrupted)} (in flight at the kill, not sent again; "
        f"{sum(1 for c in interrupted if received[c])} of them had reached Telegram)"
    )
    if state == BroadcastState.DONE:
        print(f"lost                   {len(lost)}")
    else:
        sent_rows = statuses.get(OutboxStatus.SENT, 0)
        missing = sum(
            1 for row in rows if row.status == OutboxStatus.SENT and not received[row.chat_id]
        )
        print(
            f"lost                   {missing} of {sent_rows:,} marked sent "
            f"({len(lost):,} not sent yet: the broadcast is not over)"
        )
    print(f"duplicated             {duplicated}")
    print(f"broadcast state        {state}")
    shutil.rmtree(folder, ignore_errors=True)
    if duplicated or (state == BroadcastState.DONE and lost):
        raise SystemExit("messages were lost or duplicated")
    if args.finish and state != BroadcastState.DONE:
        raise SystemExit(f"not finished within --finish-seconds {args.finish_seconds:g}")
    if statuses.get(OutboxStatus.SENT, 0) + len(interrupted) < len(everyone) - len(lost):
        raise SystemExit("the outbox does not account for every message received")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _, _, url, api_url, rate, seconds = sys.argv
        asyncio.run(worker(url, api_url, float(rate), float(seconds)))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--first-seconds", type=float, default=20.0)
    parser.add_argument("--second-seconds", type=float, default=20.0)
    parser.add_argument("--finish-rate", type=float, default=2_000.0)
    parser.add_argument("--finish-seconds", type=float, default=1800.0)
    parser.add_argument("--no-finish", dest="finish", action="store_false")
    asyncio.run(main(parser.parse_args()))
