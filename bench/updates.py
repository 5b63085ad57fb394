"""Benchmark: catalogue-browsing and order-flow updates through the real dispatcher.

Customers browse (start, new order, platform, category, service card) and order (link,
quantity, confirm, my orders) against the provider simulator, on a SQLite file, with the
recording Bot session. The same number of updates then goes through a bare aiogram echo
dispatcher, and the ratio says what the shop costs over aiogram itself.

Run: .venv/bin/python bench/updates.py [--updates 10000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from aiogram import Bot, Dispatcher, F
from aiogram.types import CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update, User

from bot.clock import FakeClock
from bot.config import Settings
from bot.factory import create_bot, create_deps, create_dispatcher
from bot.jobs.catalog import sync_catalog
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.provider.client import ProviderClient
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.recording import BOT_USER, RecordingSession
from bot.shop.money import to_micro
from bot.shop.services import Shop
from db.migrate import upgrade
from db.models import LedgerKind
from db.session import create_engine

KEY = "bench-key"
ids = itertools.count(1)


class Driver:
    def __init__(self, dp: Dispatcher, bot: Bot, session: RecordingSession) -> None:
        self.dp, self.bot, self.session = dp, bot, session
        self.latencies: list[float] = []

    async def feed(self, update: Update) -> None:
        started = time.perf_counter()
        await self.dp.feed_update(self.bot, update)
        self.latencies.append(time.perf_counter() - started)

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
    await driver.click(user, labelled("New order"))
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


async def bench_shop(updates: int, concurrency: int, folder: Path) -> tuple[float, float, float]:
    clock = FakeClock()
    sim = ProviderSimulator(key=KEY, clock=clock, balance=Decimal("10000000"))
    url = await sim.start()
    db_url = f"sqlite+aiosqlite:///{folder / 'bench.sqlite3'}"
    await upgrade(db_url)
    engine = create_engine(db_url)
    settings = Settings(bot_token="42:BENCH", provider_url=url, provider_key=KEY, _env_file=None)  # type: ignore[call-arg]
    provider = ProviderClient(url, KEY)
    deps = create_deps(settings, engine=engine, provider=provider, clock=clock)
    session = RecordingSession()
    bot = create_bot(settings, session=session)
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

    async def session_for(n: int, _: int) -> None:
        await shop_session(driver, users[n], f"https://instagram.com/p/bench{n}")

    elapsed = await run_users(len(users), concurrency, session_for)
    placed = sim.calls["add"]
    await provider.close()
    await sim.stop()
    await engine.dispose()
    result = figures("shop", driver.latencies, elapsed)
    print(f"{'':<14} orders placed: {placed} of {len(users)}")
    return result


async def bench_echo(updates: int, concurrency: int) -> tuple[float, float, float]:
    session = RecordingSession()
    bot = Bot("42:ECHO", session=session)
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    @dp.callback_query()
    async def answer(query: CallbackQuery) -> None:
        await query.answer()

    driver = Driver(dp, bot, session)
    users = [User(id=50_000 + n, is_bot=False, first_name="E") for n in range(updates // 10)]

    async def session_for(n: int, _: int) -> None:
        user = users[n]
        for i in range(10):
            await driver.send(user, f"hello {i}")

    elapsed = await run_users(len(users), concurrency, session_for)
    return figures("bare aiogram", driver.latencies, elapsed)


async def main(updates: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        shop = await bench_shop(updates, concurrency, Path(folder))
    echo = await bench_echo(updates, concurrency)
    print(
        f"ratio shop/bare: throughput {shop[0] / echo[0]:.3f}x, "
        f"p50 {shop[1] / echo[1]:.1f}x, p99 {shop[2] / echo[2]:.1f}x"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.updates, args.concurrency))
