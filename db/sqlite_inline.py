"""SQLite statements run in the event loop's own thread, not in aiosqlite's worker.

aiosqlite gives every connection a thread and sends each call there through a queue,
waking the event loop again with the result: a chat update makes dozens of such calls
(execute, fetch, begin, commit), and each costs two thread switches under the GIL, far
more than the statement itself, which on a local file takes microseconds. Here the
same aiosqlite connection object carries out each call at once in the caller's thread,
so SQLAlchemy's aiosqlite dialect works unchanged and a call costs what the statement
costs.

Two things must never hold the event loop, and are kept off it:

- waiting for a lock: the connection's busy timeout is 0, so SQLite answers "busy" at
  once and the call is retried after an asyncio sleep (the statement did nothing: BEGIN
  IMMEDIATE that found another process writing, or a read that met a WAL recovery),
  until `busy_timeout_ms` has passed; writers of this process already queue in asyncio
  for the one writer connection (db/session.py);
- a COMMIT that writes, which waits for the disk (fsync): it is sent to a thread, one
  hop per writing transaction instead of one per call (a reader's commit has nothing
  to do and stays inline).

A read runs inline too, so a long scan (statistics, an export) holds the loop while it
runs; the indexes keep those to a few hundred milliseconds on a big shop
(bench/big_shop.py).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

_BUSY_FIRST_NAP_S = 0.001
_BUSY_LONGEST_NAP_S = 0.05


class _NoThread:
    """Stands where aiosqlite keeps its worker thread: nothing to start or to wait for."""

    daemon = True

    def start(self) -> None:
        return None

    def join(self, timeout: float | None = None) -> None:
        return None


class _InlineQueue:
    """aiosqlite's request queue, served at once: the call runs as it is put."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to the awaiting caller, as aiosqlite does
            if future is not None and not future.done():
                future.set_exception(error)
            elif future is None:
                raise
            return
        if future is not None and not future.done():
            future.set_result(result)


def _busy(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and (
        getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        or "database is locked" in str(error)
    )


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run in the caller's thread (see the module)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout_ms: int) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _InlineQueue()  # type: ignore[assignment]
        self._thread = _NoThread()  # type: ignore[assignment]
        self._busy_timeout_s = busy_timeout_ms / 1000

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if fn == self._connection.commit and self._connection.in_transaction:
            # The disk's wait happens off the loop; nothing else uses this connection
            # meanwhile (SQLAlchemy holds it for the awaiting transaction alone).
            return await asyncio.to_thread(fn, *args, **kwargs)
        deadline = None
        nap = _BUSY_FIRST_NAP_S
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if not _busy(error) or not self._safe_to_retry():
                    raise
                now = time.monotonic()
                deadline = deadline or now + self._busy_timeout_s
                if now >= deadline:
                    raise
            await asyncio.sleep(nap)
            nap = min(nap * 2, _BUSY_LONGEST_NAP_S)

    def _safe_to_retry(self) -> bool:
        """Busy outside a transaction did nothing (a BEGIN, or an autocommit read)."""
        connection = self._connection
        return connection is not None and not connection.in_transaction


def inline_creator(database: str, *, busy_timeout_ms: int) -> Callable[[], Any]:
    """The `async_creator` for an engine whose connections run inline."""

    def create() -> InlineConnection:
        # check_same_thread off: the COMMIT is carried out on a helper thread.
        connector = partial(sqlite3.connect, database, check_same_thread=False)
        return InlineConnection(connector, busy_timeout_ms)

    return create


__all__ = ["InlineConnection", "inline_creator"]
