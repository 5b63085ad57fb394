"""Where the tests' services are, and whether they answer: PostgreSQL (TEST_DATABASE_URL)
and Redis (TEST_REDIS_URL). A test that needs one that does not answer skips with why."""

from __future__ import annotations

import os

import asyncpg
from sqlalchemy.engine import URL, make_url

DEFAULT_TEST_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
_CONNECT_TIMEOUT = 5.0
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"

# Per process: reachability of the PostgreSQL server is checked once (None = reachable).
_pg_error: dict[str, str | None] = {}


def postgres_url() -> URL:
    return make_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL)


def redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or DEFAULT_TEST_REDIS_URL


async def pg_admin(url: URL) -> asyncpg.Connection:
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.connect(dsn, timeout=_CONNECT_TIMEOUT)


async def postgres_error(url: URL) -> str | None:
    key = url.render_as_string(hide_password=False)
    if key not in _pg_error:
        try:
            connection = await pg_admin(url)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            _pg_error[key] = f"{type(exc).__name__}: {exc}"
        else:
            await connection.close()
            _pg_error[key] = None
    return _pg_error[key]
