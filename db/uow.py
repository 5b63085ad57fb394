"""Units of work: a transaction belongs to a use case, never to an update.

A service method that touches the database is a use case: ``@reads`` or ``@writes`` opens
one short transaction on the service's session when none is open yet, commits it when the
method returns (rolls it back when it raises) and forgets every loaded row, so the next
use case reads fresh data. A use case called from inside another one joins the outer
transaction. The application's sessions never begin a transaction by themselves
(``autobegin=False``): a query outside a use case fails loudly instead of leaving a
transaction open while the bot talks to Telegram or a panel.

Reads and writes differ on SQLite only. Writers share one connection (BEGIN IMMEDIATE), so
they queue in asyncio, first come first served, and each holds the write lock only for its
few statements. Readers have a pool of their own under WAL (plain BEGIN, ``query_only``):
a reader never waits for a writer. On PostgreSQL both go to the same pool.

``open_transactions()`` counts the use cases open in the current task; the Bot API guard
(bot/tx_guard.py) uses it to prove that no message is sent while one is open.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

P = ParamSpec("P")
R = TypeVar("R")

_MODE = "uow_mode"
_READER = "uow_reader"
_READER_ASYNC = "uow_reader_async"
_open: ContextVar[int] = ContextVar("open_transactions", default=0)


class NestedWriteError(RuntimeError):
    """A writing use case was called inside a reading one: a programming error (on SQLite
    the read snapshot could not be upgraded to the write lock)."""


class RoutingSession(Session):
    """Sends the statements of a read use case to the reader engine (when there is one)."""

    def get_bind(self, mapper: Any = None, **kw: Any) -> Any:
        reader: Engine | None = self.info.get(_READER)
        if reader is not None and self.info.get(_MODE) == "read":
            return reader
        return super().get_bind(mapper, **kw)


def in_read_use_case(session: AsyncSession) -> bool:
    """Whether `session` holds a reading use case's transaction now (not a writing one,
    nor a transaction begun by hand)."""
    return session.in_transaction() and session.info.get(_MODE) == "read"


def open_transactions() -> int:
    """Use-case transactions open in the current task (0 outside any)."""
    return _open.get()


@asynccontextmanager
async def transaction(session: AsyncSession, *, write: bool) -> AsyncIterator[AsyncSession]:
    """One use case's transaction on `session`; joins the one already open, if any."""
    if session.in_transaction():
        if write and session.info.get(_MODE) == "read":
            raise NestedWriteError("a writing use case was called inside a reading one")
        yield session
        return
    session.info[_MODE] = "write" if write else "read"
    token = _open.set(_open.get() + 1)
    try:
        async with session.begin():
            yield session
    finally:
        _open.reset(token)
        session.info.pop(_MODE, None)
        # The next use case reads fresh rows, not this one's identity map.
        session.expunge_all()


@asynccontextmanager
async def unit_of_work(
    factory: Callable[[], AsyncSession], *, write: bool
) -> AsyncIterator[AsyncSession]:
    """A fresh session holding one transaction: for jobs, which have no update's session."""
    async with factory() as session, transaction(session, write=write):
        yield session


class HasSession(Protocol):
    @property
    def session(self) -> AsyncSession: ...


S = TypeVar("S", bound=HasSession)


def _use_case(
    write: bool,
) -> Callable[
    [Callable[Concatenate[S, P], Awaitable[R]]], Callable[Concatenate[S, P], Awaitable[R]]
]:
    def decorate(
        method: Callable[Concatenate[S, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, P], Awaitable[R]]:
        @functools.wraps(method)
        async def run(self: S, *args: P.args, **kwargs: P.kwargs) -> R:
            async with transaction(self.session, write=write):
                return await method(self, *args, **kwargs)

        return run

    return decorate


reads = _use_case(write=False)
writes = _use_case(write=True)


def reader_info(reader: AsyncEngine | None) -> dict[str, Any]:
    """The session `info` that routes read use cases to `reader`."""
    return {_READER: reader.sync_engine, _READER_ASYNC: reader} if reader is not None else {}


def lone_reader(session: AsyncSession) -> AsyncEngine | None:
    """The reader engine, for a single SELECT that needs no transaction of the session's
    (one statement sees one consistent state by itself); None when there is no reader
    of its own (an in-memory SQLite) or a use case is open on the session (its reads
    belong to it)."""
    if session.in_transaction():
        return None
    reader: AsyncEngine | None = session.info.get(_READER_ASYNC)
    return reader


__all__ = [
    "NestedWriteError",
    "RoutingSession",
    "in_read_use_case",
    "lone_reader",
    "open_transactions",
    "reader_info",
    "reads",
    "transaction",
    "unit_of_work",
    "writes",
]
