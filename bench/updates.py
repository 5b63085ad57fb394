"""Benchmark: catalogue-browsing and order-flow updates through the real dispatcher.

Customers browse (start, new order, platform, category, service card) and order (link,
quantity, confirm, my orders) against the provider simulator, on a SQLite file, with the
recording Bot session. Then a bare aiogram dispatcher, with no shop behind it, answers
the very same updates with the very same Bot API calls (texts, keyboards, edits, callback
answers: replayed from the shop's run), at the same concurrency: the ratio is what the
shop itself costs, with Telegram's side of the work equal in both runs.

`--bot-api-latency-ms N` makes every Bot API call take N ms, like a round trip to
Telegram: while a lock or transaction were held across a send, throughput could not
exceed 1000/N updates per second.

Run: .venv/bin/python bench/updates.py [--updates 10000] [--concurrency 8]
     [--bot-api-latency-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update, User

from bot import heap
from bot.clock import FakeClock
from bot.config import Config
from bot.factory import create_bot, create_deps, create_dispatcher
from bot.jobs.catalog import sync_catalog
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.provider.client import ProviderClient
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.recording import BOT_USER, RecordingSession
from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.services import Shop
from db.migrate import upgrade
from db.session import create_engine

KEY = "bench-key"
ids = itertools.count(1)


_update: ContextVar[int] = ContextVar("bench_update", default=0)


class Recorder(BaseRequestMiddleware):
    """Notes which Bot API calls each update made, for the baseline to replay."""

    def __init__(self) -> None:
        self.calls: dict[int, list[TelegramMethod[Any]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        self.calls.setdefault(_update.get(), []).append(method)
        return await make_request(bot, method)


class Driver:
    def __init__(self, dp: Dispatcher, bot: Bot, session: RecordingSession) -> None:
        self.dp, self.bot, self.session = dp, bot, session
        self.latencies: list[float] = []
        self.fed: dict[int, list[Update]] = {}  # per customer, in order

    async def feed(self, update: Update) -> None:
        user = update.message.from_user if update.message else update.callback_query.from_user  # type: ignore[union-attr]
        assert user is not None
        self.fed.setdefault(user.id, []).append(update)
        token = _update.set(update.update_id)
        started = time.perf_counter()
        try:
            await self.dp.feed_update(self.bot, update)
        finally:
            self.latencies.append(time.perf_counter() - started)
            _update.reset(token)

    async def send(self, user: User, text: str) -> None:
        chat = Chat(id=user.id, type="private")
        message = Message(
            message_id=next(ids), date=datetime.now(UTC), chat=chat, from_user=user, text=text
        )
        await self.feed(Update(update_id=next(ids), message=message))

    async def click(self, user: User, pick: Callable[[list[tuple[str, str]]], str]) -> None:
        sent = self.session.sent_to(user.id)[-1]
        markup = sent.reply_markup
        assert isinstance(markup, InlineKeyboardMarkup), sent.text
        buttons = [(b.text, b.callback_data or "") for row in markup.inline_keyboard for b in row]
        data = pick(buttons)
        chat = Chat(id=user.id, type="private")
        message = Message(
            message_id=sent.message_id,
            date=datetime.now(UTC),
            chat=chat,
            from_user=BOT_USER,
            text=sent.text,
            reply_markup=markup,
        )
        query = CallbackQuery(
            id=str(next(ids)), from_user=user, chat_instance="b", data=data, message=message
        )
        await self.feed(Update(update_id=next(ids), callback_query=query))


def first(prefix: str) -> Callable[[list[tuple[str, str]]], str]:
    def pick(buttons: list[tuple[str, str]]) -> str:
        return next(data for _text, data in buttons if data.startswith(prefix))

    return pick


def labelled(label: str) -> Callable[[list[tuple[str, str]]], str]:
    def pick(buttons: list[tuple[str, str]]) -> str:
        for text, data in buttons:
            if label in text:
                return data
        raise LookupError(f"no {label!r} button in {buttons}")

    return pick


async def shop_session(driver: Driver, user: User, link: str) -> None:
    """Ten updates: browse to the cheapest Instagram follower service and order it."""
    await driver.send(user, "/start")
    await driver.send(user, "🛒 New order")  # the persistent menu under the chat
    await driver.click(user, labelled("Instagram"))
    await driver.click(user, labelled("Followers"))
    await driver.click(user, first("s:c:"))
    await driver.click(user, labelled("Order"))
    await driver.send(user, link)
    text = driver.session.sent_to(user.id)[-1].text
    minimum = text.split("from ")[1].split(" ")[0]
    await driver.send(user, minimum)
    if "Skip" in str(driver.session.sent_to(user.id)[-1].reply_markup):
        await driver.click(user, labelled("Skip"))  # drip-feed offered: deliver at once
    await driver.click(user, labelled("Confirm"))
    await driver.send(user, "/orders")


async def run_users(
    count: int, concurrency: int, session_for: Callable[[int, int], Awaitable[None]]
) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            await session_for(n, n)
        # The harness keeps every update, Bot API call and message (the baseline replays
        # them; the recording session stands for Telegram's memory), none of which a
        # bot's process would hold: a finished customer's records are moved out of the
        # collector's walks, in both runs alike, so it walks what the dispatcher makes.
        gc.freeze()

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(count)))
    return time.perf_counter() - started


def figures(name: str, latencies: list[float], elapsed: float) -> tuple[float, float, float]:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    rate = len(latencies) / elapsed
    print(
        f"{name:<14} {len(latencies):>6} updates  {rate:>8.0f} updates/s  "
        f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
    )
    return rate, p50, p99


Figures = tuple[float, float, float]


async def bench_shop(
    updates: int, concurrency: int, folder: Path, latency: float
) -> tuple[Figures, Driver, Recorder]:
    clock = FakeClock()
    sim = ProviderSimulator(key=KEY, clock=clock, balance=Decimal("10000000"))
    url = await sim.start()
    db_url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    await upgrade(db_url)
    engine = create_engine(db_url)
    settings = Config(bot_token="42:BENCH", provider_url=url, provider_key=KEY, _env_file=None)  # type: ignore[call-arg]
    provider = ProviderClient(url, KEY)
    deps = create_deps(settings, engine=engine, provider=provider, clock=clock)
    session = RecordingSession(latency=latency)
    bot = create_bot(settings, session=session)
    recorder = Recorder()
    bot.session.middleware(recorder)
    dp = create_dispatcher(deps, throttling=ThrottlingMiddleware(deps.i18n, rate=1e6, burst=10**6))
    await sync_catalog(deps)
    users = [
        User(id=10_000 + n, is_bot=False, first_name=f"U{n}", language_code="en")
        for n in range(updates // 10)
    ]
    async with deps.session_factory() as s, s.begin():
        shop = Shop(s, deps)
        for user in users:
            dto, _ = await shop.users.enter(
                user.id, username=None, first_name=user.first_name, language="en"
            )
            await shop.wallet.credit(dto.id, to_micro("1000"), LedgerKind.PROMO, f"b:{user.id}")
    driver = Driver(dp, bot, session)
    heap.settle()  # as the bot's runners do once start-up is done

    async def session_for(n: int, _: int) -> None:
        await shop_session(driver, users[n], f"https://instagram.com/p/bench{n}")

    elapsed = await run_users(len(users), concurrency, session_for)
    placed = sim.calls["add"]
    await provider.close()
    await sim.stop()
    await deps.close()
    await engine.dispose()
    result = figures("shop", driver.latencies, elapsed)
    print(f"{'':<14} orders placed: {placed} of {len(users)}")
    return result, driver, recorder


async def bench_bare(concurrency: int, latency: float, shop: Driver, recorder: Recorder) -> Figures:
    """A bare dispatcher making, for each update, the calls the shop made for it."""
    session = RecordingSession(latency=latency)
    bot = Bot("42:BARE", session=session)
    dp = Dispatcher()

    async def replay(_: Message | CallbackQuery) -> None:
        for method in recorder.calls.get(_update.get(), []):
            await bot(method)

    dp.message.register(replay)
    dp.callback_query.register(replay)
    driver = Driver(dp, bot, session)
    customers = list(shop.fed.values())

    async def session_for(n: int, _: int) -> None:
        for update in customers[n]:
            await driver.feed(update)

    elapsed = await run_users(len(customers), concurrency, session_for)
    return figures("bare aiogram", driver.latencies, elapsed)


async def main(updates: int, concurrency: int, latency_ms: float) -> None:
    latency = latency_ms / 1000
    print(f"{concurrency} customers at a time, Bot API latency {latency_ms:g} ms")
    with tempfile.TemporaryDirectory() as folder:
        shop, driver, recorder = await bench_shop(updates, concurrency, Path(folder), latency)
    bare = await bench_bare(concurrency, latency, driver, recorder)
    print(
        f"ratio shop/bare: throughput {shop[0] / bare[0]:.3f}x, "
        f"p50 {shop[1] / bare[1]:.1f}x, p99 {shop[2] / bare[2]:.1f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--bot-api-latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.concurrency, args.bot_api_latency_ms))
