"""The Redis client of REDIS_URL (FSM, event isolation, the shared throttle, leader locks):
opened, checked with PING, closed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from redis.asyncio import Redis


def create_redis(url: str) -> Redis:
    import redis.asyncio as redis

    return redis.from_url(url, health_check_interval=30, socket_connect_timeout=5, socket_timeout=5)


async def ping_redis(client: Redis, timeout: float = 2.0) -> None:
    """Raises when Redis does not answer PING within `timeout`."""
    async with asyncio.timeout(timeout):
        if not await cast("Awaitable[bool]", client.ping()):
            raise ConnectionError("PING was not answered")


async def close_redis(client: Redis | None) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            await client.aclose(close_connection_pool=True)


__all__ = ["close_redis", "create_redis", "ping_redis"]
