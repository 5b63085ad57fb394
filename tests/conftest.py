"""Root fixtures: databases for every test suite.

Every database fixture is parametrized over ``db_kind``: ``"sqlite"`` and ``"postgres"``.
PostgreSQL is TEST_DATABASE_URL (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``);
when it is unreachable the postgres case is skipped with the URL (password hidden) and the
error. Postgres cases carry the ``postgres`` marker. Several test runs may share the
server: each run and each ``db`` works in its own schema (``t_<random>``), dropped after.

``engine`` -> AsyncEngine on a database with every table, and no rows.
    SQLite: a copy of a template file (tables created once per run) under tmp_path.
    PostgreSQL: one schema per run with the tables, emptied before each test.
    Tables come from ``metadata.create_all``; tests/integration/test_migrations.py proves
    the migrations build the same schema.

``session_factory`` -> async_sessionmaker on ``engine`` (expire_on_commit=False).

``session`` -> one AsyncSession from it, no transaction begun
    (``async with session.begin(): ...``; repositories never commit).

``ready_db`` -> TestDatabase behind ``engine`` (``.url``, ``.engine_kwargs``,
    ``.create_engine()``), to build more engines on the same data (e.g. an app under test).

``db`` -> TestDatabase of a fresh, EMPTY database (no tables): for migration tests.

``clock`` -> FakeClock at 2026-01-01 12:00 UTC.

Only SQLite (e.g. for many fast handler tests)::

    @pytest.mark.parametrize("db_kind", ["sqlite"])
    async def test_something(session_factory): ...

or ``pytestmark = pytest.mark.parametrize("db_kind", ["sqlite"])`` for a module.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from db.models import Base
from db.read_cache import forget_all
from db.session import create_engine, create_session_factory
from tests.services import pg_admin, postgres_error, postgres_url

T = TypeVar("T")


@dataclass
class TestDatabase:
    kind: str  # "sqlite" | "postgres"
    url: str
    engine_kwargs: dict[str, Any] = field(default_factory=dict)
    schema: str | None = None

    __test__ = False  # not a test class, whatever its name

    def create_engine(self, **kwargs: Any) -> AsyncEngine:
        return create_engine(self.url, **{**self.engine_kwargs, **kwargs})


def _in_thread(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from a sync (session) fixture.

    Its own thread and loop: the tests' loops are not touched, and nothing made here
    (connections) outlives the call.
    """
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work()).result()  # type: ignore[arg-type]


async def _pg_execute(url: URL, sql: str) -> None:
    connection = await pg_admin(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _skip_if_unreachable(url: URL, error: str | None) -> None:
    if error is not None:
        pytest.skip(
            f"PostgreSQL at {url.render_as_string(hide_password=True)} unreachable: {error}"
        )


def _postgres_db(url: URL, schema: str) -> TestDatabase:
    return TestDatabase(
        "postgres",
        url.render_as_string(hide_password=False),
        engine_kwargs={"connect_args": {"server_settings": {"search_path": schema}}},
        schema=schema,
    )


async def _create_tables(database: TestDatabase) -> None:
    engine = database.create_engine()
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def db(db_kind: str, tmp_path: Path) -> AsyncIterator[TestDatabase]:
    """A fresh database without tables."""
    if db_kind == "sqlite":
        yield TestDatabase("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
        return
    url = postgres_url()
    _skip_if_unreachable(url, await postgres_error(url))
    schema = f"t_{secrets.token_hex(6)}"
    await _pg_execute(url, f'CREATE SCHEMA "{schema}"')
    try:
        yield _postgres_db(url, schema)
    finally:
        await _pg_execute(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    _in_thread(lambda: _create_tables(TestDatabase("sqlite", f"sqlite+aiosqlite:///{path}")))
    return path


@pytest.fixture(scope="session")
def _postgres_tables() -> Iterator[TestDatabase]:
    """One schema with the tables for the whole run."""
    url = postgres_url()
    _skip_if_unreachable(url, _in_thread(lambda: postgres_error(url)))
    schema = f"t_{secrets.token_hex(6)}"
    database = _postgres_db(url, schema)
    _in_thread(lambda: _pg_execute(url, f'CREATE SCHEMA "{schema}"'))
    try:
        _in_thread(lambda: _create_tables(database))
        yield database
    finally:
        _in_thread(lambda: _pg_execute(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


# Emptying a few small tables: DELETE is ~30x faster than TRUNCATE. Sequences restart so
# ids start at 1 as they do on a fresh SQLite file.
_EMPTY_TABLES = "; ".join(
    [f'DELETE FROM "{table.name}"' for table in reversed(Base.metadata.sorted_tables)]
    + [
        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), 1, false)"
        for table in Base.metadata.sorted_tables
        if "id" in table.c and table.c.id.autoincrement
    ]
)


@pytest.fixture
async def ready_db(db_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> TestDatabase:
    """A database with every table and no rows."""
    # The rows are emptied behind the process's back (asyncpg, a file copy): answers kept
    # for an earlier test of this process must not outlive them.
    forget_all()
    if db_kind == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return TestDatabase("sqlite", f"sqlite+aiosqlite:///{path}")
    database: TestDatabase = request.getfixturevalue("_postgres_tables")
    connection = await pg_admin(make_url(database.url))
    try:
        await connection.execute(f'SET search_path TO "{database.schema}"; {_EMPTY_TABLES}')
    finally:
        await connection.close()
    return database


@pytest.fixture
async def engine(ready_db: TestDatabase) -> AsyncIterator[AsyncEngine]:
    engine = ready_db.create_engine()
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    async with session_factory() as session:
        yield session


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
