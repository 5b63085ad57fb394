"""Shared state for replicas: Redis (FSM, event isolation, throttle) and locked migrations.

Without REDIS_URL the bot is one process: FSM in memory, no cross-process isolation. With
it, every replica reads and writes the same FSM records, and two updates of one customer
never run at once, whichever replicas they land on (aiogram's RedisEventIsolation: a
Redis lock per chat and user, held for the whole update).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable
from datetime import timedelta
from typing import TYPE_CHECKING, cast

from bot.config import Config

if TYPE_CHECKING:
    from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

# An abandoned order form stays in Redis this long, then it is forgotten.
FSM_TTL = timedelta(days=7)
# The per-customer isolation lock must outlive the slowest update: a placement waits up
# to the panel's `add` timeout. A lock that expired under a running update would let the
# next one in (the checkout token still keeps a double Confirm to one order).
ISOLATION_MARGIN_SECONDS = 60.0
MIGRATION_LOCK = "smm-bot:migrate"


def add_timeout(settings: Config) -> float:
    """How long placing an order may wait for the panel (bot/factory.py's add_timeout)."""
    return max(settings.provider_timeout_seconds, 60.0)


def create_redis(url: str) -> Redis:
    import redis.asyncio as redis

    return redis.from_url(url, health_check_interval=30, socket_connect_timeout=5, socket_timeout=5)


def create_fsm_storage(
    settings: Config, client: Redis | None
) -> tuple[BaseStorage, BaseEventIsolation | None]:
    """RedisStorage with per-update isolation when `client` is given, else memory."""
    from aiogram.fsm.storage.memory import MemoryStorage

    if client is None:
        return MemoryStorage(), None
    from aiogram.fsm.storage.base import DefaultKeyBuilder
    from aiogram.fsm.storage.redis import RedisStorage

    storage = RedisStorage(
        client,
        key_builder=DefaultKeyBuilder(with_bot_id=True),
        state_ttl=FSM_TTL,
        data_ttl=FSM_TTL,
    )
    timeout = add_timeout(settings) + ISOLATION_MARGIN_SECONDS
    return storage, storage.create_isolation(lock_kwargs={"timeout": timeout})


async def ping_redis(client: Redis, timeout: float = 2.0) -> None:
    """Raises when Redis does not answer PING within `timeout`."""
    async with asyncio.timeout(timeout):
        if not await cast("Awaitable[bool]", client.ping()):
            raise ConnectionError("PING was not answered")


async def close_redis(client: Redis | None) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            await client.aclose(close_connection_pool=True)


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock (bot/jobs/locks.py's scheme)."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def migrate(database_url: str) -> None:
    """Upgrade the database to the latest schema; replicas starting together take turns.

    On PostgreSQL a session advisory lock is held on a connection of its own while
    Alembic runs on another: the first replica migrates, the others wait and then find
    the schema at head. SQLite is one process by design and is migrated directly.
    """
    from sqlalchemy import text

    from db.migrate import upgrade
    from db.session import create_engine

    if not database_url.startswith("postgresql"):
        await upgrade(database_url)
        return
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as connection:
            key = _advisory_key(MIGRATION_LOCK)
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            await connection.commit()
            try:
                await upgrade(database_url)
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()
    finally:
        await engine.dispose()


__all__ = [
    "FSM_TTL",
    "add_timeout",
    "close_redis",
    "create_fsm_storage",
    "create_redis",
    "migrate",
    "ping_redis",
]
