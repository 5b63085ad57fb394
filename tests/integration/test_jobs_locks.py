"""Leader locks: one poller and one sender across replicas. PostgreSQL's advisory lock and
Redis's lock run against the local servers (skipped, with the reason, when unreachable)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.locks import (
    KEEPALIVE,
    KEEPALIVE_SECONDS,
    LocalLock,
    PgAdvisoryLock,
    RedisLock,
    create_lock,
)
from tests.conftest import TestDatabase

DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


# ---------------------------------------------------------------------------- in process


async def test_local_locks_sharing_a_registry_exclude_each_other() -> None:
    registry: dict[str, object] = {}
    a, b = LocalLock("poller", registry), LocalLock("poller", registry)
    assert await a.acquire() and await a.acquire()  # kept by its holder
    assert not await b.acquire()
    await a.release()
    assert await b.acquire() and not await a.acquire()
    assert await LocalLock("poller").acquire()  # a lock of its own: always free


def test_create_lock_fits_the_deployment(tmp_path: Any) -> None:
    from db.session import create_engine

    sqlite = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    postgres = create_engine("postgresql+asyncpg://u@127.0.0.1:1/db")
    assert isinstance(create_lock("p", engine=sqlite, redis_url=None), LocalLock)
    assert isinstance(create_lock("p", engine=postgres, redis_url=None), PgAdvisoryLock)
    redis_lock = create_lock("p", engine=postgres, redis_url="redis://127.0.0.1:6379/0")
    assert isinstance(redis_lock, RedisLock)


# ---------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
async def replicas(ready_db: TestDatabase) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on the same database: two replicas of the bot."""
    if ready_db.kind != "postgres":
        pytest.skip("advisory locks are PostgreSQL's")
    one, two = ready_db.create_engine(), ready_db.create_engine()
    try:
        yield one, two
    finally:
        await one.dispose()
        await two.dispose()


@pytest.mark.parametrize("db_kind", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_advisory_lock_one_leader_and_takeover(
    replicas: tuple[AsyncEngine, AsyncEngine],
) -> None:
    namespace = secrets.token_hex(4)  # test runs share the server
    one = PgAdvisoryLock(replicas[0], "poller", namespace=namespace)
    two = PgAdvisoryLock(replicas[1], "poller", namespace=namespace)
    other_job = PgAdvisoryLock(replicas[1], "sender", namespace=namespace)
    try:
        assert await one.acquire() and await one.acquire()
        assert not await two.acquire()
        assert await other_job.acquire()  # another job's lock is another lock
        await one.release()
        assert await two.acquire() and not await one.acquire()
    finally:
        for lock in (one, two, other_job):
            await lock.close()


@pytest.mark.parametrize("db_kind", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_advisory_lock_is_freed_when_the_leaders_connection_dies(
    replicas: tuple[AsyncEngine, AsyncEngine],
) -> None:
    namespace = secrets.token_hex(4)
    one = PgAdvisoryLock(replicas[0], "poller", namespace=namespace)
    two = PgAdvisoryLock(replicas[1], "poller", namespace=namespace)
    try:
        assert await one.acquire()
        assert one._conn is not None
        pid = (await one._conn.execute(text("SELECT pg_backend_pid()"))).scalar()
        await one._conn.commit()
        # The leader's connection dies. pg_terminate_backend(pid) alone only signals the
        # backend, which frees its locks when it has exited, a moment later; with a timeout
        # it returns once the backend is gone (PostgreSQL 14+), so the lock is free then.
        async with replicas[1].connect() as admin:
            gone = await admin.scalar(
                text("SELECT pg_terminate_backend(:pid, :timeout_ms)"),
                {"pid": pid, "timeout_ms": 30_000},
            )
            await admin.commit()
        assert gone is True
        assert await two.acquire()  # taken over as soon as the old backend exited
        assert not await one.acquire()  # the old leader notices it lost it
        assert not one.held
    finally:
        await one.close()
        await two.close()


@pytest.mark.parametrize("db_kind", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_the_server_drops_a_leader_whose_host_goes_silent(
    replicas: tuple[AsyncEngine, AsyncEngine],
) -> None:
    """A host that vanishes sends no FIN: without keepalives the server would keep the
    backend, and the lock, for the system's two hours."""
    lock = PgAdvisoryLock(replicas[0], "poller", namespace=secrets.token_hex(4))
    try:
        assert await lock.acquire() and lock._conn is not None
        if (await lock._conn.scalar(text("SELECT inet_server_addr()"))) is None:
            pytest.skip("keepalives apply to TCP connections, not a Unix socket")
        rows = await lock._conn.execute(
            text("SELECT name, setting FROM pg_settings WHERE name LIKE 'tcp_keepalives_%'")
        )
        assert {name: int(setting) for name, setting in rows} == KEEPALIVE
        assert KEEPALIVE_SECONDS <= 60
    finally:
        await lock.close()


# ---------------------------------------------------------------------------- Redis


@pytest.fixture
async def redis_client() -> AsyncIterator[Any]:
    import redis.asyncio as redis

    url = os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL
    client = redis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:  # any failure means there is no server to test against
        await client.aclose()
        pytest.skip(f"Redis at {url} unreachable: {type(exc).__name__}: {exc}")
    try:
        yield client
    finally:
        await client.aclose()


async def test_redis_lock_one_leader_and_release(redis_client: Any) -> None:
    namespace = secrets.token_hex(4)
    one = RedisLock(redis_client, "poller", namespace=namespace, ttl=30)
    two = RedisLock(redis_client, "poller", namespace=namespace, ttl=30)
    try:
        assert await one.acquire() and await one.acquire()
        assert not await two.acquire()
        await one.release()
        assert await redis_client.get(one.key) is None
        assert await two.acquire() and not await one.acquire()
        # Only its holder can release it.
        await one.release()
        assert await redis_client.get(two.key) == two._token.encode()
    finally:
        await one.close()
        await two.close()


async def test_redis_lock_renews_and_is_taken_over_when_it_expires(redis_client: Any) -> None:
    namespace = secrets.token_hex(4)
    one = RedisLock(redis_client, "sender", namespace=namespace, ttl=30)
    two = RedisLock(redis_client, "sender", namespace=namespace, ttl=30)
    try:
        assert await one.acquire()
        await redis_client.pexpire(one.key, 5000)
        assert await one.acquire()  # renewing puts the full ttl back
        assert await redis_client.pttl(one.key) > 20_000
        # The leader dies without releasing: its key expires (forced here, not waited for).
        one._stop_renewing()
        one._held = True
        await redis_client.delete(one.key)
        assert await two.acquire()
        assert not await one.acquire()  # it finds another holder and steps down
    finally:
        await one.close()
        await two.close()
