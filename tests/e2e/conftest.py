"""Fixtures for the Telegram emulator's end-to-end tests (names start with ``tg_``)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.sandbox.telegram import LimitSettings, TelegramEmulator
from tests.services import pg_admin, postgres_error, postgres_url


class FakeMonotonic:
    """A monotonic clock for the rate limiter that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


class QuickCloseSession(AiohttpSession):
    """aiogram's session, minus the 250 ms sleep on close meant for TLS connections."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(base_url: str, token: str, *, parse_mode: str | None = "HTML") -> Bot:
    return Bot(
        token,
        session=QuickCloseSession(api=TelegramAPIServer.from_base(base_url)),
        default=DefaultBotProperties(parse_mode=parse_mode),
    )


@pytest.fixture
def tg_clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
async def tg_emulator(tg_clock: FakeMonotonic) -> AsyncIterator[TelegramEmulator]:
    """An emulator with Telegram's limits on, flood control driven by ``tg_clock``."""
    emulator = TelegramEmulator(token="123456:SANDBOX", limits=LimitSettings(), clock=tg_clock)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def tg_bot(tg_emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    assert tg_emulator.base_url is not None
    bot = make_bot(tg_emulator.base_url, tg_emulator.token)
    yield bot
    await bot.session.close()


PollingRunner = Callable[[Dispatcher, Bot], Awaitable[None]]


@pytest.fixture
async def tg_polling() -> AsyncIterator[PollingRunner]:
    """Start a dispatcher polling in the background; stopped at teardown."""
    import asyncio

    running: list[tuple[Dispatcher, asyncio.Task[None]]] = []

    async def start(dispatcher: Dispatcher, bot: Bot) -> None:
        started = asyncio.Event()
        dispatcher.startup.register(started.set)
        task = asyncio.get_running_loop().create_task(
            dispatcher.start_polling(bot, handle_signals=False, polling_timeout=10)
        )
        running.append((dispatcher, task))
        waiter = asyncio.ensure_future(started.wait())
        await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED, timeout=10)
        waiter.cancel()
        if task.done():
            task.result()

    yield start
    for dispatcher, task in running:
        with contextlib.suppress(RuntimeError):
            await dispatcher.stop_polling()
        with contextlib.suppress(Exception):
            await task


@pytest.fixture
async def app_database(db_kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """A DATABASE_URL of its own for a whole Application (it migrates it): a SQLite file, or
    a fresh PostgreSQL database on TEST_DATABASE_URL's server, dropped after."""
    if db_kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/app.db"
        return
    server = postgres_url()
    error = await postgres_error(server)
    if error is not None:
        shown = server.render_as_string(hide_password=True)
        pytest.skip(f"PostgreSQL at {shown} unreachable: {error}")
    name = f"e2e_{secrets.token_hex(5)}"
    connection = await pg_admin(server)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        connection = await pg_admin(server)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
