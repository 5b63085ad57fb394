"""The async engine and session factory, from a DATABASE_URL.

SQLite (the default) is tuned for a bot with concurrent writers:

- WAL: readers never block the writer and the writer never blocks readers;
- foreign keys on (SQLite leaves them off by default);
- a busy timeout, so a writer waits for the lock instead of failing at once;
- every writing transaction starts with BEGIN IMMEDIATE: it takes the write lock up
  front, so concurrent read-then-write transactions (a debit, a checkout) queue behind
  each other instead of failing with "database is locked" when one tries to upgrade its
  read lock. Writers share one pooled connection, so they queue in asyncio;
- reading use cases go to a reader engine of their own (`create_reader`): a small pool of
  `query_only` connections with a plain BEGIN, which under WAL never waits for a writer.

Transactions are short by rule: a use case never holds one across a Telegram or panel
call (db/uow.py).

PostgreSQL needs nothing special: the queries use conditional UPDATEs, row locks and
ON CONFLICT, which are correct under its default READ COMMITTED.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from db.sqlite_inline import inline_creator
from db.uow import RoutingSession, reader_info

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/bot.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_READERS = 4
PG_POOL_SIZE = 20


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_in_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(url)


def create_engine(url: str | URL, *, echo: bool = False, **kwargs: Any) -> AsyncEngine:
    """An AsyncEngine for `url`; extra keyword arguments go to `create_async_engine`."""
    sa_url = make_url(url)
    if sa_url.get_backend_name() != "sqlite":
        # No ping before each use case: it was a round trip per transaction, a third of
        # a browsing update's time. A connection the server dropped fails its one use
        # case (rolled back, nothing half done); SQLAlchemy then drops the whole pool's
        # stale connections, and recycling keeps idle ones from meeting a server timeout.
        kwargs.setdefault("pool_recycle", 1800)
        # SQLAlchemy's default pool keeps 5 connections and closes each one beyond them
        # after its use: under 40 webhook connections a busy shop opened (TLS attempt,
        # authentication) a fresh PostgreSQL connection for a good share of its use cases.
        kwargs.setdefault("pool_size", PG_POOL_SIZE)
        kwargs.setdefault("max_overflow", PG_POOL_SIZE)
        return _create_async_engine(sa_url, echo=echo, **kwargs)

    memory = _sqlite_in_memory(sa_url)
    if not memory and not sa_url.query.get("uri"):
        Path(sa_url.database or "").expanduser().parent.mkdir(parents=True, exist_ok=True)
        # SQLite has one writer at a time, and every transaction here is a writer (BEGIN
        # IMMEDIATE). One pooled connection makes waiters queue in asyncio, first come
        # first served, instead of sleeping in SQLite's busy handler with growing naps.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
        kwargs.setdefault(
            "async_creator", inline_creator(_path(sa_url), busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS)
        )
    engine = _create_async_engine(sa_url, echo=echo, **kwargs)
    _tune_sqlite(engine, wal=not memory, inline="async_creator" in kwargs)
    return engine


def _path(url: URL) -> str:
    return str(Path(url.database or "").expanduser())


def create_reader(engine: AsyncEngine) -> AsyncEngine | None:
    """The engine for reading use cases beside `engine`, or None where reads share it
    (an in-memory SQLite, which is one connection).

    On PostgreSQL it is the same pool in autocommit: each SELECT sees what is committed
    when it starts, exactly as inside a READ COMMITTED transaction, without the BEGIN
    and COMMIT round trips (asyncpg switches autocommit on the client).
    """
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    if url.get_backend_name() != "sqlite" or _sqlite_in_memory(url) or url.query.get("uri"):
        return None
    reader = _create_async_engine(
        url,
        pool_size=SQLITE_READERS,
        max_overflow=SQLITE_READERS,
        pool_timeout=60,
        async_creator=inline_creator(_path(url), busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS),
    )
    _tune_sqlite(reader, wal=True, read_only=True, inline=True)
    return reader


def _tune_sqlite(
    engine: AsyncEngine, *, wal: bool, read_only: bool = False, inline: bool = False
) -> None:
    # Inline connections must not sleep in SQLite's busy handler (that would hold the
    # event loop): they are told "busy" at once and wait in asyncio (db/sqlite_inline.py).
    busy_timeout_ms = 0 if inline else SQLITE_BUSY_TIMEOUT_MS

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the sqlite3 driver (it skips it for SELECT and SAVEPOINT,
        # which breaks isolation and savepoints); the "begin" hook below emits our own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first, so the switch to WAL also waits for a lock if it must.
            cursor.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
            if wal and not read_only:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            if read_only:
                cursor.execute("PRAGMA query_only = ON")
        finally:
            cursor.close()

    if read_only:
        # A reader runs each SELECT in its own implicit read transaction (autocommit):
        # no BEGIN round trip, and nothing can be left open between use cases.
        return

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(
    engine: AsyncEngine, *, reader: AsyncEngine | None = None, autobegin: bool = True
) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (DTOs are built after it).

    The application's sessions have `autobegin=False`: every statement runs inside a use
    case's transaction (db/uow.py), read ones on `reader` when given.
    """
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        sync_session_class=RoutingSession,
        autobegin=autobegin,
        info=reader_info(reader),
    )


__all__ = [
    "DEFAULT_DATABASE_URL",
    "SQLITE_BUSY_TIMEOUT_MS",
    "create_engine",
    "create_reader",
    "create_session_factory",
    "is_sqlite",
]
