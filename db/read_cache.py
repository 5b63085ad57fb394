"""Answers of reading use cases kept per process while the rows behind them are unchanged.

Browsing asks the same few questions over and over (the platforms with their counts, a
category's page, a service card, the shop's switches); each answer costs statements
and object building that dwarf a chat update's own work. Such a use case is wrapped in
`cached(tables)`: its frozen answer is kept, keyed by its arguments, until

- a transaction of this process that wrote to one of `tables` commits: every engine's
  statements are watched here, so an admin's /markup, /hide or the catalogue sync is
  seen by the very next update; or
- `MAX_AGE_S` has passed: the bound within which a change made by another process (a
  replica, a script) is seen.

A kept answer is only given to a reading use case: a writing one (checkout and the
like) reads the rows itself, in its own transaction, and refuses what changed meanwhile. Only
answers that are immutable (frozen dataclasses, tuples, strings) may be cached.

Answers sit on shelves, each dropping its least recently used beyond its size: the
catalogue's on `ANSWERS`, and a kind asked per customer (who sent an update) on a shelf of
its own (`shelf(size)`), so a crowd of customers cannot push the catalogue out.
"""

from __future__ import annotations

import functools
import re
import time
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import Pool

from db.uow import in_read_use_case

MAX_AGE_S = 1.0
MAX_ENTRIES = 4096

P = ParamSpec("P")
R = TypeVar("R")

_WRITE = re.compile(
    r"(?:^|\b)\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM|REPLACE\s+INTO)"
    r'\s+(?:ONLY\s+)?"?(\w+)"?',
    re.IGNORECASE,
)
_SCHEMA = re.compile(r"^\s*(?:CREATE|DROP|ALTER|TRUNCATE)\b", re.IGNORECASE)
_ALL = "*"  # a schema change: every table counts as changed
_COMMITTED = "read_cache_committed"

# database -> table -> how many committed transactions of this process wrote to it
_generations: defaultdict[Hashable, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))


class Shelf:
    """Kept answers of one kind, least recently used dropped first beyond `size`: the
    customers met on every update have a shelf of their own, so a busy hour's crowd
    cannot push the catalogue's few pages out."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[Hashable, tuple[tuple[int, ...], float, Any]] = OrderedDict()


ANSWERS = Shelf(MAX_ENTRIES)
_shelves: list[Shelf] = [ANSWERS]


def shelf(size: int) -> Shelf:
    """A shelf of its own for one kind of answer (created at import time)."""
    made = Shelf(size)
    _shelves.append(made)
    return made


def database_key(url: URL) -> Hashable:
    """Which database a URL names, whatever the driver (the writer and readers share it)."""
    return (url.get_backend_name(), url.host, url.port, url.database)


def generation(database: Hashable, tables: Iterable[str]) -> tuple[int, ...]:
    changed = _generations[database]
    return (changed[_ALL], *(changed[table] for table in tables))


def _changed(connection: Connection) -> set[str]:
    found: set[str] = connection.info.setdefault("read_cache_changed", set())
    return found


@event.listens_for(Engine, "before_cursor_execute")
def _watch(
    connection: Connection, _cursor: Any, statement: str, _p: Any, _c: Any, _many: bool
) -> None:
    head = statement.lstrip()[:7].upper()
    if head.startswith(("SELECT", "BEGIN", "SAVEPOI", "RELEASE", "PRAGMA")):
        return
    # A statement led by WITH may write after its common table expressions, to several.
    if head.startswith("WITH"):
        written = {m.group(1).lower() for m in _WRITE.finditer(statement)}
    else:
        match = _WRITE.match(statement)
        written = {match.group(1).lower()} if match is not None else set()
    if not written and _SCHEMA.match(statement):
        written = {_ALL}
    if not written:
        return
    _changed(connection).update(written)
    if not connection.in_transaction():  # autocommit: it commits as it runs
        _on_commit(connection)


@event.listens_for(Engine, "commit")
def _on_commit(connection: Connection) -> None:
    # SQLAlchemy tells of a commit before the database has carried it out (the COMMIT
    # then waits for the disk or the network): a read meanwhile still sees the old rows
    # and could be kept under the new count. So the tables count once more when the
    # connection is next used or goes back to its pool, by then committed.
    tables = _publish(connection)
    if tables:
        connection.info[_COMMITTED] = (database_key(connection.engine.url), tables)


def _committed(info: dict[Any, Any]) -> None:
    done = info.pop(_COMMITTED, None)
    if done is not None:
        database, tables = done
        _count(database, tables)


@event.listens_for(Engine, "begin")
def _on_begin(connection: Connection) -> None:
    _committed(connection.info)


@event.listens_for(Pool, "checkin")
def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        _committed(record.info)


@event.listens_for(Engine, "rollback")
def _on_rollback(connection: Connection) -> None:
    connection.info.pop("read_cache_changed", None)


def _publish(connection: Connection) -> set[str] | None:
    tables: set[str] | None = connection.info.pop("read_cache_changed", None)
    if tables:
        _count(database_key(connection.engine.url), tables)
    return tables


def _count(database: Hashable, tables: Iterable[str]) -> None:
    counts = _generations[database]
    for table in tables:
        counts[table] += 1


class HasSession(Protocol):
    @property
    def session(self) -> AsyncSession: ...


S = TypeVar("S", bound=HasSession)


def cached(
    *tables: str,
) -> Callable[
    [Callable[Concatenate[S, P], Awaitable[R]]], Callable[Concatenate[S, P], Awaitable[R]]
]:
    """Keep the reading use case's answer while `tables` are unchanged (see the module).

    The arguments must be hashable. What else shapes the answer (the prices' settings)
    is the instance's `cache_shape`, a hashable value, when it has one.
    """

    def decorate(
        method: Callable[Concatenate[S, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, P], Awaitable[R]]:
        name = f"{method.__module__}.{method.__qualname__}"

        @functools.wraps(method)
        async def run(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
            shape = getattr(self, "cache_shape", None)
            key = (name, shape, args, tuple(sorted(kwargs.items())))
            return await kept(self.session, tables, key, lambda: method(self, *args, **kwargs))

        return run

    return decorate


async def kept(
    session: AsyncSession,
    tables: tuple[str, ...],
    key: Hashable,
    load: Callable[[], Awaitable[R]],
    *,
    on: Shelf = ANSWERS,
) -> R:
    """`load()`'s answer, kept under `key` while `tables` are unchanged (see the module).

    Only a reading use case is answered from what was kept (one about to begin, when
    none is open yet): a writing one, or a transaction begun by hand, may have changed
    the rows it reads.
    """
    if session.in_transaction() and not in_read_use_case(session):
        return await load()
    database = database_key(session.sync_session.get_bind().engine.url)
    key = (database, key)
    before = generation(database, tables)
    now = time.monotonic()
    entries = on.entries
    entry = entries.get(key)
    if entry is not None and entry[0] == before and now - entry[1] < MAX_AGE_S:
        entries.move_to_end(key)
        value: R = entry[2]
        return value
    value = await load()
    entries[key] = (before, now, value)
    while len(entries) > on.size:
        entries.popitem(last=False)
    return value


def forget_all() -> None:
    """Drop every kept answer (a test that changes rows behind the process's back)."""
    for each in _shelves:
        each.entries.clear()


__all__ = [
    "ANSWERS",
    "MAX_AGE_S",
    "Shelf",
    "cached",
    "database_key",
    "forget_all",
    "generation",
    "kept",
    "shelf",
]
