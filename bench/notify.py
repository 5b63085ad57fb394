"""Benchmark: 5,000 notifications through the outbox sender into the Telegram emulator with
Telegram's limits on (30 messages a second overall, about 1 a second per chat, 429 with
retry_after beyond them), on SQLite.

The mix: 4,000 broadcast messages to 2,000 customers (two each) and 1,000 order updates
to 100 busy customers (ten each). Prints the messages per second achieved against the
configured NOTIFY_RATE_PER_SECOND, the peak over any one-second window as the emulator
received them and as they left the bot, the 429s received, and the lost and duplicated
messages (both must be 0), counted from what the emulator stored for each chat.

The emulator runs on the bot's event loop: a message leaves the bot the moment its slot is
taken, but the emulator reads it when that busy loop gets round to it, so arrivals bunch a
little (a pace of exactly 25 a second can arrive as 28 in one second). `--emulator-thread`
gives it a loop of its own in a thread (it then shares the GIL with the bot instead).

`--mixed`: the same notifications drain while customers browse the catalogue (updates
through the real dispatcher, the shop's handlers answering through the emulator: /start,
New order, a platform, a category, a service card, about one tap a second each). The
replies and the outbox share the process's one SendPace (deps.pace). First the same
customers browse alone for `--baseline-seconds` (the baseline of the same run), then with
the outbox draining; prints the 429s, the peak messages (sends and edits) per second, lost
and duplicated notifications, the customers' reply latency p50/p99 (an update's handling,
waiting for its slots included) and the drain time. `--unshared` runs the mix as before
this pace: replies not paced, the outbox paced on its own.

By default in real time (5,000 at 25/s: about 200 s). `--virtual` (not with --mixed) runs
the same pace on a fake clock shared with the emulator (seconds of work instead of
minutes; the rate is then measured in the clock's time).

Run: .venv/bin/python bench/notify.py [--count 5000] [--rate 25] [--virtual]
     .venv/bin/python bench/notify.py --mixed [--browsers 20] [--unshared]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Update

from bot.clock import Clock, FakeClock, SystemClock
from bot.config import Config
from bot.factory import create_bot, create_deps, create_dispatcher
from bot.jobs.catalog import sync_catalog
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.outbox.pacing_session import PACED_METHODS
from bot.outbox.sender import OutboxSender
from bot.outbox.writer import Outbox, Priority
from bot.provider.client import ProviderClient
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.telegram import LimitSettings, TelegramEmulator
from bot.sandbox.telegram.models import Persona
from db.migrate import upgrade
from db.repositories import UserRepo
from db.session import create_engine

TOKEN = "123456:NOTIFYBENCH"
KEY = "bench-key"
T = TypeVar("T")
BROWSER = 300_000  # the browsing customers' ids start here


class Arrivals:
    """When the emulator let each message (send or edit) through, by its own clock."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self.times: list[float] = []
        self.sends: list[float] = []
        clock = emulator.rate_limiter.clock
        check = emulator.check_can_send

        def noted(state: Any, *, counts_as_message: bool = True) -> None:
            check(state, counts_as_message=counts_as_message)  # raises a 429 or a 403
            now = clock()
            self.times.append(now)
            if counts_as_message:
                self.sends.append(now)

        emulator.check_can_send = noted  # type: ignore[method-assign]


class Departures(BaseRequestMiddleware):
    """When each message left the bot (the innermost middleware: right before the request)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, PACED_METHODS):
            self.times.append(time.monotonic())
        return await make_request(bot, method)


class EmulatorThread:
    """The emulator on an event loop of its own, in a thread: it sees each request when it
    arrives, as Telegram would, not when the bot's busy loop gets round to serving it (in
    the same loop, arrivals bunch after every pause of the bot's own work)."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    async def call(self, work: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, self.loop))

    async def run(self, function: Callable[[], T]) -> T:
        async def inside() -> T:
            return function()

        return await self.call(inside())

    async def start(self) -> str:
        self.thread.start()
        return await self.call(self.emulator.start())

    async def stop(self) -> None:
        await self.call(self.emulator.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self.thread.join)
        self.loop.close()


class EmulatorHere(EmulatorThread):
    """The emulator on the bot's own event loop (the default: no thread to share the GIL
    with, so a message leaves the bot the moment its slot is taken)."""

    async def call(self, work: Coroutine[Any, Any, T]) -> T:
        return await work

    async def start(self) -> str:
        return await self.emulator.start()

    async def stop(self) -> None:
        await self.emulator.stop()
        self.loop.close()


def peak(times: list[float], window: float = 1.0) -> int:
    """The most of `times` in any half-open window [t, t + window)."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, t in enumerate(ordered):
        while ordered[first] <= t - window:
            first += 1
        best = max(best, last - first + 1)
    return best


async def main(count: int, rate: float, virtual: bool, separate: bool = False) -> None:
    clock: Clock = FakeClock() if virtual else SystemClock()
    emulator = TelegramEmulator(
        token=TOKEN, limits=LimitSettings(), clock=clock if virtual else None, personas=[]
    )
    arrivals = Arrivals(emulator)
    remote = EmulatorThread(emulator) if separate and not virtual else None
    base = await (emulator.start() if remote is None else remote.start())
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
    departures = Departures()
    bot.session.middleware(departures)
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
        else:
            kwargs = {"pace": deps.pace}
        sender = OutboxSender(deps, bot, **kwargs)
        started_clock = clock.now()
        started_wall = time.perf_counter()
        stats = await sender.drain()
        wall = time.perf_counter() - started_wall
        elapsed = (clock.now() - started_clock).total_seconds()
    finally:
        await bot.session.close()
        await provider.close()
        await deps.close()
        await engine.dispose()
        await (emulator.stop() if remote is None else remote.stop())

    lost, duplicated = _compare(emulator, expected)
    achieved = stats.sent / elapsed if elapsed else float("inf")
    print(f"notifications queued   {len(expected):,} to {len({c for c, _ in expected}):,} chats")
    print(f"sent                   {stats.sent:,}")
    print(
        f"time                   {elapsed:.1f}s {'(fake clock)' if virtual else ''}"
        f"{f', {wall:.1f}s of real work' if virtual else ''}"
    )
    print(f"rate achieved          {achieved:.2f} msg/s (configured {rate:g} msg/s)")
    print(
        f"peak, any 1 s window   {peak(arrivals.times)} msg/s as the emulator received them"
        + ("" if virtual else f", {peak(departures.times)} as they left the bot")
    )
    print(
        f"429s received          {emulator.counters.too_many_requests} ({stats.rate_limited} seen)"
    )
    print(f"lost                   {lost}")
    print(f"duplicated             {duplicated}")
    print(f"failed / dead          {stats.retried} / {stats.dead}")
    if lost or duplicated or stats.sent != len(expected):
        raise SystemExit("messages were lost or duplicated")


def _compare(emulator: TelegramEmulator, expected: list[tuple[int, str]]) -> tuple[int, int]:
    delivered: Counter[str] = Counter()
    for chat_id in {chat for chat, _ in expected}:
        delivered.update(m.text for m in emulator.bot_messages(chat_id) if m.text)
    wanted = {text for _, text in expected}
    lost = len(wanted - set(delivered))
    duplicated = sum(n - 1 for n in delivered.values() if n > 1)
    return lost, duplicated


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


# --- the mixed run -------------------------------------------------------------------


@dataclass
class Browsing:
    """Customers tapping through the catalogue, each answered by the real dispatcher."""

    dp: Dispatcher
    bot: Bot
    remote: EmulatorThread
    think: float  # seconds between a reply and the next tap
    latencies: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def feed(self, update: Update) -> None:
        started = time.perf_counter()
        try:
            await self.dp.feed_update(self.bot, update)
        finally:
            self.latencies.append(time.perf_counter() - started)

    async def _button(self, user: int, match: Callable[[str, str], bool]) -> tuple[int, str]:
        chat = await self.remote.run(lambda: self.remote.emulator.chat(user))
        for message in reversed(chat):
            if not message.from_bot:
                continue
            for button in message.buttons:
                data = button.get("callback_data")
                if data and match(button["text"], data):
                    return message.message_id, data
        raise LookupError("no such button")

    async def tap(self, user: int, match: Callable[[str, str], bool]) -> None:
        message_id, data = await self._button(user, match)
        await self.feed(await self.remote.call(self.remote.emulator.click(user, message_id, data)))

    async def customer(self, user: int) -> None:
        steps: list[Callable[[str, str], bool]] = [
            lambda text, _: "Instagram" in text,
            lambda text, _: "Followers" in text,
            lambda _, data: data.startswith("s:c:"),
        ]
        while not self.stop.is_set():
            try:
                emulator = self.remote.emulator
                await self.feed(await self.remote.call(emulator.send_text(user, "/start")))
                await asyncio.sleep(self.think)
                pressed = emulator.press_reply_button(user, "🛒 New order")
                await self.feed(await self.remote.call(pressed))
                for step in steps:
                    await asyncio.sleep(self.think)
                    await self.tap(user, step)
            except Exception as exc:  # a reply refused: counted, the customer starts over
                self.failures[type(exc).__name__] += 1
            await asyncio.sleep(self.think)

    async def run(self, users: list[int]) -> None:
        await asyncio.gather(*(self.customer(user) for user in users))


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    if not ordered:
        return 0.0, 0.0
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000


async def mixed(
    count: int,
    rate: float,
    browsers: int,
    baseline_seconds: float,
    think: float,
    shared: bool,
    separate: bool,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="notify-mixed-"))
    emulator = TelegramEmulator(token=TOKEN, limits=LimitSettings(), personas=[])
    arrivals = Arrivals(emulator)
    remote = EmulatorThread(emulator) if separate else EmulatorHere(emulator)
    base = await remote.start()
    sim = ProviderSimulator(key=KEY, clock=FakeClock(), balance=Decimal("10000000"))
    url = await sim.start()
    database_url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    await upgrade(database_url)
    engine = create_engine(database_url)
    settings = Config(
        bot_token=TOKEN,
        telegram_api_url=base,
        provider_url=url,
        provider_key=KEY,
        database_url=database_url,
        notify_rate_per_second=rate,
        _env_file=None,
    )  # type: ignore[call-arg]
    provider = ProviderClient(url, KEY)
    deps = create_deps(settings, engine=engine, provider=provider, clock=SystemClock())
    # The application's Bot: every middleware, the pace on its session (unless --unshared).
    bot = create_bot(settings, pace=deps.pace if shared else None)
    departures = Departures()
    bot.session.middleware(departures)
    dp = create_dispatcher(deps, throttling=ThrottlingMiddleware(deps.i18n, rate=1e6, burst=10**6))
    users = [BROWSER + n for n in range(browsers)]
    for user in users:
        emulator.add_persona(Persona(user, f"Browser {user}", language_code="en"))
    try:
        await sync_catalog(deps)
        # The baseline of the same run: the same customers browsing with no outbox.
        alone = Browsing(dp, bot, remote, think)
        browsing = asyncio.create_task(alone.run(users))
        await asyncio.sleep(baseline_seconds)
        alone.stop.set()
        await browsing
        baseline_arrivals = len(arrivals.times)
        baseline_departures = len(departures.times)

        expected = await _queue(deps, emulator, count)
        sender = OutboxSender(deps, bot, pace=deps.pace)
        together = Browsing(dp, bot, remote, think)
        browsing = asyncio.create_task(together.run(users))
        started = time.perf_counter()
        stats = await sender.drain()
        drain = time.perf_counter() - started
        together.stop.set()
        await browsing
    finally:
        await bot.session.close()
        await provider.close()
        await sim.stop()
        await deps.close()
        await engine.dispose()
        await remote.stop()

    lost, duplicated = _compare(emulator, expected)
    mixed_times = arrivals.times[baseline_arrivals:]
    p50_alone, p99_alone = _percentiles(alone.latencies)
    p50, p99 = _percentiles(together.latencies)
    print(
        f"{browsers} customers browsing (a tap every {think:g} s), {len(expected):,} "
        f"notifications; replies and outbox {'share one pace' if shared else 'paced apart'}"
    )
    print(
        f"baseline, browsing alone   {len(alone.latencies):,} updates  "
        f"p50 {p50_alone:.0f} ms  p99 {p99_alone:.0f} ms"
    )
    print(
        f"with the outbox draining   {len(together.latencies):,} updates  "
        f"p50 {p50:.0f} ms  p99 {p99:.0f} ms  refused: {sum(together.failures.values())}"
        f" {dict(together.failures) or ''}"
    )
    pace = deps.pace.stats
    rows = [
        ("drain time", f"{drain:.1f} s ({stats.sent:,} sent, {stats.sent / drain:.2f}/s)"),
        (
            "peak, any 1 s window",
            f"{peak(departures.times[baseline_departures:])} msgs/s leaving the bot, "
            f"{peak(mixed_times)} arriving (sends and edits; set {rate:g})",
        ),
        ("429s received", f"{emulator.counters.too_many_requests} ({stats.rate_limited} outbox)"),
        ("lost / duplicated", f"{lost} / {duplicated}"),
        (
            "replies paced",
            f"{pace.replies:,}, {pace.replies_waited:,} waited, "
            f"the longest {pace.reply_wait_max * 1000:.0f} ms",
        ),
    ]
    for name, value in rows:
        print(f"{name:<26} {value}")
    if lost or duplicated or stats.sent != len(expected):
        raise SystemExit("messages were lost or duplicated")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--virtual", action="store_true")
    parser.add_argument("--mixed", action="store_true")
    parser.add_argument("--browsers", type=int, default=20)
    parser.add_argument("--baseline-seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--unshared", action="store_true")
    parser.add_argument("--emulator-thread", action="store_true")
    args = parser.parse_args()
    if args.mixed:
        asyncio.run(
            mixed(
                args.count,
                args.rate,
                args.browsers,
                args.baseline_seconds,
                args.think,
                not args.unshared,
                args.emulator_thread,
            )
        )
    else:
        asyncio.run(main(args.count, args.rate, args.virtual, args.emulator_thread))
