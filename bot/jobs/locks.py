"""Leader locks: one status poller and one outbox sender across replicas.

A job runs only while it holds its lock; the holder keeps it from run to run, so when
its replica stops (or dies) another replica takes over within a cycle.

- PostgreSQL (DATABASE_URL is postgresql+asyncpg): a session-level advisory lock
  (`pg_try_advisory_lock`) on a dedicated connection held while leader. The server frees
  it when that connection's backend exits: at once when the holder's process dies (its
  kernel closes the socket), and within `KEEPALIVE_SECONDS` when its host vanishes
  without a word (TCP keepalives on that connection; the system default is two hours).
- Redis (REDIS_URL set): `SET key token NX PX ttl`, renewed in the background while held
  and released only by its holder (compare-and-delete). A holder that dies frees the lock
  after `ttl`.
- SQLite: one process is assumed (SQLite is a file on one machine; run one replica); the
  in-process lock only keeps two holders in the same process apart.

`create_lock()` picks Redis when REDIS_URL is set, else PostgreSQL's advisory lock, else
the in-process lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

KEY_PREFIX = "smm-bot"
# Server-side TCP keepalives on a lock's connection (seconds idle, seconds between probes,
# probes): the server drops a holder whose host went silent after at most their total.
KEEPALIVE = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}
KEEPALIVE_SECONDS = KEEPALIVE["tcp_keepalives_idle"] + (
    KEEPALIVE["tcp_keepalives_interval"] * KEEPALIVE["tcp_keepalives_count"]
)
_SET_KEEPALIVE = text(
    "SELECT " + ", ".join(f"set_config('{name}', '{n}', false)" for name, n in KEEPALIVE.items())
)


class LeaderLock(Protocol):
    name: str

    @property
    def held(self) -> bool: ...

    async def acquire(self) -> bool:
        """Take the lock, or keep it when held; True while this holder has it."""
        ...

    async def release(self) -> None:
        """Give it up (a no-op when not held)."""
        ...

    async def close(self) -> None:
        """Release and free any connection the lock keeps."""
        ...


class LocalLock:
    """In-process: holders sharing `registry` exclude each other; nothing else does."""

    def __init__(self, name: str, registry: dict[str, object] | None = None) -> None:
        self.name = name
        self._registry: dict[str, object] = {} if registry is None else registry
        self._token = object()

    @property
    def held(self) -> bool:
        return self._registry.get(self.name) is self._token

    async def acquire(self) -> bool:
        holder = self._registry.setdefault(self.name, self._token)
        return holder is self._token

    async def release(self) -> None:
        if self.held:
            del self._registry[self.name]

    async def close(self) -> None:
        await self.release()


def advisory_key(name: str, namespace: str = "") -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    digest = hashlib.blake2b(f"{KEY_PREFIX}:{namespace}:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PgAdvisoryLock:
    """A PostgreSQL session advisory lock held on a dedicated connection of `engine`."""

    def __init__(self, engine: AsyncEngine, name: str, *, namespace: str | None = None) -> None:
        self.engine = engine
        self.name = name
        self.namespace = (engine.url.database or "") if namespace is None else namespace
        self.key = advisory_key(name, self.namespace)
        self._conn: AsyncConnection | None = None
        self._guard = asyncio.Lock()

    @property
    def held(self) -> bool:
        return self._conn is not None

    async def acquire(self) -> bool:
        async with self._guard:
            if self._conn is not None:
                try:
                    await self._conn.execute(text("SELECT 1"))
                    await self._conn.commit()
                    return True
                except Exception as exc:  # the connection died: so did the lock
                    log.warning("lock %s: connection lost (%s); leadership lost", self.name, exc)
                    await self._drop()
            conn = await self.engine.connect()
            try:
                await conn.execute(_SET_KEEPALIVE)
                got = (
                    await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
                ).scalar()
                await conn.commit()  # the lock outlives the transaction; do not idle in one
            except BaseException:
                await conn.invalidate()
                await conn.close()
                raise
            if got:
                self._conn = conn
                log.info("lock %s: this replica is the leader", self.name)
                return True
            await conn.close()
            return False

    async def release(self) -> None:
        async with self._guard:
            if self._conn is None:
                return
            conn, self._conn = self._conn, None
            try:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                await conn.commit()
                await conn.close()
            except Exception:
                # Never hand a connection that may still hold the lock back to the pool.
                with contextlib.suppress(Exception):
                    await conn.invalidate()
                with contextlib.suppress(Exception):
                    await conn.close()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def close(self) -> None:
        await self.release()


_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLock:
    """SET NX PX with a random token, renewed every ttl/3 while held."""

    def __init__(
        self,
        client: Any,
        name: str,
        *,
        ttl: float = 30.0,
        namespace: str = "",
        owns_client: bool = False,
    ) -> None:
        self.client = client
        self.name = name
        self.ttl_ms = max(1000, int(ttl * 1000))
        self.key = (
            f"{KEY_PREFIX}:lock:{namespace}:{name}" if namespace else f"{KEY_PREFIX}:lock:{name}"
        )
        self._token = secrets.token_hex(16)
        self._held = False
        self._renewer: asyncio.Task[None] | None = None
        self._owns_client = owns_client
        self._guard = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str, name: str, **kwargs: Any) -> RedisLock:
        import redis.asyncio as redis

        return cls(redis.from_url(url), name, owns_client=True, **kwargs)

    @property
    def held(self) -> bool:
        return self._held

    async def acquire(self) -> bool:
        async with self._guard:
            if self._held:
                if await self._renew():
                    return True
                log.warning("lock %s: expired or taken over; leadership lost", self.name)
                self._stop_renewing()
            got = await self.client.set(self.key, self._token, nx=True, px=self.ttl_ms)
            self._held = bool(got)
            if self._held:
                log.info("lock %s: this replica is the leader", self.name)
                self._renewer = asyncio.create_task(self._renew_forever())
            return self._held

    async def _renew(self) -> bool:
        try:
            renewed = await self.client.eval(_RENEW, 1, self.key, self._token, self.ttl_ms)
        except Exception as exc:
            log.warning("lock %s: cannot renew (%s)", self.name, exc)
            return False
        self._held = bool(renewed)
        return self._held

    async def _renew_forever(self) -> None:
        while self._held:
            await asyncio.sleep(self.ttl_ms / 3000)
            if not await self._renew():
                log.warning("lock %s: lost while renewing", self.name)
                return

    def _stop_renewing(self) -> None:
        self._held = False
        if self._renewer is not None:
            self._renewer.cancel()
            self._renewer = None

    async def release(self) -> None:
        async with self._guard:
            was = self._held
            self._stop_renewing()
            if was:
                with contextlib.suppress(Exception):
                    await self.client.eval(_RELEASE, 1, self.key, self._token)

    async def close(self) -> None:
        await self.release()
        if self._owns_client:
            with contextlib.suppress(Exception):
                await self.client.aclose()


def create_lock(
    name: str,
    *,
    engine: AsyncEngine | None,
    redis_url: str | None,
    registry: dict[str, object] | None = None,
    namespace: str | None = None,
) -> LeaderLock:
    """The lock that fits the deployment: Redis, else PostgreSQL, else in-process."""
    if redis_url:
        return RedisLock.from_url(redis_url, name, namespace=namespace or "")
    if engine is not None and engine.dialect.name == "postgresql":
        return PgAdvisoryLock(engine, name, namespace=namespace)
    return LocalLock(name, registry)


__all__ = [
    "LeaderLock",
    "LocalLock",
    "PgAdvisoryLock",
    "RedisLock",
    "advisory_key",
    "create_lock",
]
