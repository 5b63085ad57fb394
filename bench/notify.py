"""Benchmark: 5,000 notifications through the outbox sender into the Telegram emulator with
Telegram's limits on (30 messages a second overall, about 1 a second per chat, 429 with
retry_after beyond them), on SQLite.

The mix: 4,000 broadcast messages to 2,000 customers (two each) and 1,000 order updates
to 100 busy customers (ten each). Prints the messages per second achieved against the
configured NOTIFY_RATE_PER_SECOND, the 429s received, and the lost and duplicated
messages (both must be 0), counted from what the emulator stored for each chat.

By default in real time (5,000 at 25/s: about 200 s). `--virtual` runs the same pace on a
fake clock shared with the emulator (seconds of work instead of minutes; the rate is
then measured in the clock's time).

Run: .venv/bin/python bench/notify.py [--count 5000] [--rate 25] [--virtual]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.clock import Clock, FakeClock, SystemClock
from bot.config import Config
from bot.factory import create_deps
from bot.outbox.sender import OutboxSender
from bot.outbox.writer import Outbox, Priority
from bot.provider.client import ProviderClient
from bot.sandbox.telegram import LimitSettings, TelegramEmulator
from bot.sandbox.telegram.models import Persona
from db.migrate import upgrade
from db.repositories import UserRepo
from db.session import create_engine

TOKEN = "123456:NOTIFYBENCH"


async def main(count: int, rate: float, virtual: bool) -> None:
    clock: Clock = FakeClock() if virtual else SystemClock()
    emulator = TelegramEmulator(
        token=TOKEN, limits=LimitSettings(), clock=clock if virtual else None, personas=[]
    )
    base = await emulator.start()
    folder = Path(tempfile.mkdtemp(prefix="notify-bench-"))
    database_url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    await upgrade(database_url)
    engine = create_engine(database_url)
    provider = ProviderClient("http://127.0.0.1:9/api/v2", "unused")
    settings = Config(
        bot_token=TOKEN,
        database_url=database_url,
        notify_rate_per_second=rate,
        _env_file=None,
    )  # type: ignore[call-arg]
    deps = create_deps(settings, engine=engine, provider=provider, clock=clock)
    bot = Bot(
        TOKEN,
        session=AiohttpSession(api=TelegramAPIServer.from_base(base)),
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    try:
        expected = await _queue(deps, emulator, count)
        kwargs: dict[str, Any] = {}
        if virtual:
            fake = clock
            assert isinstance(fake, FakeClock)

            async def sleep(seconds: float) -> None:
                fake.advance(seconds)
                await asyncio.sleep(0)

            kwargs = {"sleep": sleep, "settle_before_sleep": True}
        sender = OutboxSender(deps, bot, **kwargs)
        started_clock = clock.now()
        started_wall = time.perf_counter()
        stats = await sender.drain()
        wall = time.perf_counter() - started_wall
        elapsed = (clock.now() - started_clock).total_seconds()
    finally:
        await bot.session.close()
        await provider.close()
        await engine.dispose()
        await emulator.stop()

    delivered: Counter[str] = Counter()
    for chat_id in {chat for chat, _ in expected}:
        delivered.update(m.text for m in emulator.bot_messages(chat_id) if m.text)
    wanted = {text for _, text in expected}
    lost = len(wanted - set(delivered))
    duplicated = sum(n - 1 for n in delivered.values() if n > 1)
    achieved = stats.sent / elapsed if elapsed else float("inf")
    print(f"notifications queued   {len(expected):,} to {len({c for c, _ in expected}):,} chats")
    print(f"sent                   {stats.sent:,}")
    print(
        f"time                   {elapsed:.1f}s {'(fake clock)' if virtual else ''}"
        f"{f', {wall:.1f}s of real work' if virtual else ''}"
    )
    print(f"rate achieved          {achieved:.2f} msg/s (configured {rate:g} msg/s)")
    print(
        f"429s received          {emulator.counters.too_many_requests} ({stats.rate_limited} seen)"
    )
    print(f"lost                   {lost}")
    print(f"duplicated             {duplicated}")
    print(f"failed / dead          {stats.retried} / {stats.dead}")
    if lost or duplicated or stats.sent != len(expected):
        raise SystemExit("messages were lost or duplicated")


async def _queue(deps: Any, emulator: TelegramEmulator, count: int) -> list[tuple[int, str]]:
    updates = count // 5
    broadcast = count - updates
    busy = [100_000 + n for n in range(max(1, updates // 10))]
    quiet = [200_000 + n for n in range(max(1, broadcast // 2))]
    expected: list[tuple[int, str]] = []
    async with deps.session_factory() as session, session.begin():
        users = UserRepo(session)
        for chat_id in busy + quiet:
            emulator.add_persona(Persona(chat_id, f"Customer {chat_id}"))
            await users.get_or_create(
                chat_id, username=None, first_name="Customer", language="en", now=deps.clock.now()
            )
        outbox = Outbox.from_session(session, deps)
        for n in range(broadcast):
            chat = quiet[n % len(quiet)]
            expected.append((chat, f"📣 News #{n} for {chat}"))
        for text_chat in _chunks(expected, 500):
            by_text: dict[str, list[int]] = {}
            for chat, text in text_chat:
                by_text.setdefault(text, []).append(chat)
            for text, chats in by_text.items():
                await outbox.to_chats(chats, text, priority=Priority.BROADCAST)
        for n in range(updates):
            chat = busy[n % len(busy)]
            text = f"✅ Order <b>#{n}</b> of {chat} is completed."
            expected.append((chat, text.replace("<b>", "").replace("</b>", "")))
            await outbox.to_chat(chat, text, dedupe_key=f"bench:{n}")
    return expected


def _chunks(items: list[tuple[int, str]], size: int) -> list[list[tuple[int, str]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--virtual", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.count, args.rate, args.virtual))
