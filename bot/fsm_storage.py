"""aiogram's FSM storage and event isolation: in memory, or in Redis for replicas.

Without REDIS_URL the bot is one process: FSM in memory, no cross-process isolation. With
it, every replica reads and writes the same FSM records, and two updates of one customer
never run at once, whichever replicas they land on (aiogram's RedisEventIsolation: a
Redis lock per chat and user, held for the whole update).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from bot.config import Config
from bot.timeouts import add_timeout

if TYPE_CHECKING:
    from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
    from redis.asyncio import Redis

# An abandoned order form stays in Redis this long, then it is forgotten.
FSM_TTL = timedelta(days=7)
# The per-customer isolation lock must outlive the slowest update: a placement waits up
# to the panel's `add` timeout. A lock that expired under a running update would let the
# next one in (the checkout token still keeps a double Confirm to one order).
ISOLATION_MARGIN_SECONDS = 60.0


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


__all__ = ["FSM_TTL", "create_fsm_storage"]
