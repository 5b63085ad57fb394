"""Benchmark: updates through the webhook path at increasing rates, on SQLite and PostgreSQL.

A bot Application in webhook mode in this process (the real aiohttp webhook handler:
secret check, validation, background handling; the real dispatcher and database), the
provider simulator over HTTP, and the recording Bot session for replies. Customers browse
the catalogue (/start, New order, Instagram, Followers, a service card, a search): each
waits for the answer to its previous update, as a person does, while new updates arrive
open-loop at the target rate, over at most 40 connections (Telegram's default
max_connections).

Per database and rate: updates offered, sustained updates/s (offered / time until the last
one was handled), p50/p99 latency from the POST to the end of its handling, errors.

Run: .venv/bin/python bench/webhook_load.py [--rates 50,100,200,400] [--seconds 4]
     [--databases sqlite,postgres]
PostgreSQL is TEST_DATABASE_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test)
in a database of its own, dropped after; skipped with a message when unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import logging
import os
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from aiogram.types import InlineKeyboardMarkup, Update
from sqlalchemy.engine import make_url

from bot import heap
from bot.app import Application
from bot.clock import FakeClock
from bot.config import Config
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.runners.webhook import create_webhook_app
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.recording import BOT_USER, RecordingSession
from bot.web import WebServer
from bot.webhook import SECRET_HEADER, WebhookHandler

KEY = "bench-key"
SECRET = "bench-secret"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
USERS = 600
CONNECTIONS = 40
update_ids = itertools.count(1)


class TimedHandler(WebhookHandler):
    """The real handler; it also tells the benchmark when each update was handled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.done: dict[int, asyncio.Future[float]] = {}
        self.failed = 0

    async def _process(self, update: Update) -> None:
        try:
            result = await self.dp.feed_update(self.bot, update)
            del result
        except Exception:
            self.failed += 1
        future = self.done.pop(update.update_id, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())


def _user(uid: int) -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": f"U{uid}", "language_code": "en"}


def _chat(uid: int) -> dict[str, Any]:
    return {"id": uid, "type": "private", "first_name": f"U{uid}"}


def message(uid: int, text: str) -> dict[str, Any]:
    n = next(update_ids)
    return {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "chat": _chat(uid),
            "from": _user(uid),
            "text": text,
        },
    }


def click(uid: int, message_id: int, text: str, data: str) -> dict[str, Any]:
    n = next(update_ids)
    return {
        "update_id": n,
        "callback_query": {
            "id": str(n),
            "from": _user(uid),
            "chat_instance": "bench",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": _chat(uid),
                "from": BOT_USER.model_dump(exclude_none=True),
                "text": text,
            },
        },
    }


# The browsing cycle: (kind, argument). A click picks a button of the last reply.
CYCLE: list[tuple[str, str]] = [
    ("text", "/start"),
    ("click", "New order"),
    ("click", "Instagram"),
    ("click", "Followers"),
    ("click", "s:c:"),  # the first service card (callback data prefix)
    ("text", "followers"),  # a catalogue search
]


@dataclass
class Shopper:
    uid: int
    step: int = 0

    def next_update(self, session: RecordingSession) -> dict[str, Any]:
        kind, arg = CYCLE[self.step % len(CYCLE)]
        self.step += 1
        if kind == "text":
            return message(self.uid, arg)
        sent = session.sent_to(self.uid)
        if sent:
            last = sent[-1]
            markup = last.reply_markup
            if isinstance(markup, InlineKeyboardMarkup):
                for row in markup.inline_keyboard:
                    for button in row:
                        data = button.callback_data or ""
                        if data and (arg in button.text or data.startswith(arg)):
                            return click(self.uid, last.message_id, last.text, data)
        # The button is not there (a reply not seen yet): start the cycle over.
        self.step = 1
        return message(self.uid, "/start")


@dataclass
class Result:
    rate: int
    offered: int
    sustained: float
    p50: float
    p99: float
    errors: int
    latencies: list[float] = field(default_factory=list)


async def run_rate(
    rate: int,
    seconds: float,
    url: str,
    handler: TimedHandler,
    session: RecordingSession,
    idle: collections.deque[Shopper],
) -> Result:
    offered = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    freed = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    failed_before = handler.failed

    async def one(shopper: Shopper, http: aiohttp.ClientSession) -> None:
        nonlocal errors
        update = shopper.next_update(session)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        handler.done[update["update_id"]] = future
        started = time.perf_counter()
        try:
            async with http.post(url, json=update, headers={SECRET_HEADER: SECRET}) as response:
                await response.read()
                ok = response.status == 200
            if ok:
                latencies.append(await asyncio.wait_for(future, 120) - started)
            else:
                errors += 1
        except (aiohttp.ClientError, TimeoutError):
            errors += 1
        finally:
            handler.done.pop(update["update_id"], None)
            idle.append(shopper)
            freed.set()

    async with aiohttp.ClientSession(connector=connector) as http:
        tasks = []
        started = time.perf_counter()
        for n in range(offered):
            due = started + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            while not idle:  # every shopper waits for an answer: the bot is saturated
                freed.clear()
                await freed.wait()
            tasks.append(asyncio.create_task(one(idle.popleft(), http)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    errors += handler.failed - failed_before
    ordered = sorted(latencies) or [0.0]
    return Result(
        rate=rate,
        offered=offered,
        sustained=len(latencies) / elapsed,
        p50=statistics.median(ordered) * 1000,
        p99=ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000,
        errors=errors,
        latencies=latencies,
    )


async def bench_database(name: str, database_url: str, rates: list[int], seconds: float) -> None:
    sim = ProviderSimulator(key=KEY, clock=FakeClock(), balance=Decimal("1000000"))
    provider_url = await sim.start()
    settings = Config(
        bot_token="42:BENCH",  # type: ignore[arg-type]
        provider_url=provider_url,
        provider_key=KEY,  # type: ignore[arg-type]
        database_url=database_url,
        webhook_url="http://127.0.0.1/webhook",
        webhook_secret=SECRET,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    session = RecordingSession()
    app = await Application.create(
        settings,
        bot_session=session,
        jobs=False,
        throttling=ThrottlingMiddleware(create_i18n_quiet(), rate=1e6, burst=10**6),
    )
    # What is measured is the bot's own capacity. Telegram's budgets (NOTIFY_RATE_PER_SECOND
    # overall, a message a second per chat) would cap the replies at 25/s here whatever
    # the bot can do; the recording session has no such limits, so neither does the pace.
    app.deps.pace.__init__(1e6, burst=10**6, chat_rate=1e6, chat_burst=10**6)  # type: ignore[misc]
    handler = TimedHandler(app.dp, app.bot, SECRET, rejected=app.monitor.rejected)
    server = WebServer(create_webhook_app(app.monitor, handler), "127.0.0.1", 0)
    try:
        await app.startup()
        heap.settle()  # as the bot's runners do once start-up is done
        port = await server.start()
        handler.accepting = True
        url = f"http://127.0.0.1:{port}/webhook"
        shoppers = collections.deque(Shopper(100_000 + n) for n in range(USERS))
        # Warm-up (not measured): every shopper says /start once, so all exist.
        warm = await run_rate(400, USERS / 400, url, handler, session, shoppers)
        del warm
        for rate in rates:
            result = await run_rate(rate, seconds, url, handler, session, shoppers)
            print(
                f"{name:<10} {result.rate:>8} {result.offered:>8} {result.sustained:>12.1f} "
                f"{result.p50:>8.1f} {result.p99:>8.1f} {result.errors:>7}",
                flush=True,
            )
    finally:
        handler.accepting = False
        await server.stop()
        await handler.drain(30)
        await app.close()
        await sim.stop()


def create_i18n_quiet() -> Any:
    from bot.i18n import create_i18n

    return create_i18n()


async def postgres_database() -> tuple[str | None, str, Any]:
    """A fresh database on TEST_DATABASE_URL's server: (url, why not, drop)."""
    import asyncpg

    base = make_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG)
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"bench_{secrets.token_hex(4)}"
    try:
        connection = await asyncpg.connect(dsn, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        shown = base.render_as_string(hide_password=True)
        return None, f"PostgreSQL at {shown} unreachable: {type(exc).__name__}: {exc}", None
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    url = base.set(database=name).render_as_string(hide_password=False)
    return url, "", drop


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,100,200,400", help="target updates/s, ascending")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds per rate")
    parser.add_argument("--databases", default="sqlite,postgres", help="which, comma-separated")
    args = parser.parse_args()
    databases = {d.strip() for d in args.databases.split(",")}
    rates = [int(r) for r in args.rates.split(",") if r.strip()]
    logging.basicConfig(level=logging.ERROR)  # the per-update INFO lines would dominate
    print(
        f"webhook load: POST /webhook -> validation -> dispatcher -> database -> reply; "
        f"{USERS} browsing customers, {CONNECTIONS} connections, {args.seconds:g} s per rate"
    )
    print(
        f"{'database':<10} {'target/s':>8} {'offered':>8} {'sustained/s':>12} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    if "sqlite" in databases:
        with tempfile.TemporaryDirectory() as folder:
            sqlite = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
            await bench_database("sqlite", sqlite, rates, args.seconds)
    if "postgres" not in databases:
        return
    url, why, drop = await postgres_database()
    if url is None:
        print(f"postgres   skipped: {why}")
        return
    try:
        await bench_database("postgres", url, rates, args.seconds)
    finally:
        await drop()


if __name__ == "__main__":
    asyncio.run(main())
