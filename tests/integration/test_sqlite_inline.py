"""SQLite statements in the event loop's thread (db/sqlite_inline.py): a lock held by
another program is waited for in asyncio, never by freezing the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Base
from db.session import create_engine, create_session_factory
from db.sqlite_inline import inline_creator
from db.uow import unit_of_work


async def _with_schema(path: Path, **kwargs: Any) -> AsyncEngine:
    """An engine on a fresh file holding the schema."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}", **kwargs)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    return engine


async def _ticks_while(work: asyncio.Future[object] | asyncio.Task[object]) -> int:
    """How often another task of the loop ran while `work` was pending."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.005)
        ticks += 1
    return ticks


async def test_statements_run_in_the_event_loops_thread(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}")
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            sqlite_connection = raw.driver_connection._conn  # type: ignore[union-attr]
            sqlite_connection.create_function("thread_id", 0, threading.get_ident)
            ran_in = (await connection.execute(text("SELECT thread_id()"))).scalar()
        # aiosqlite would have run it in the connection's worker thread.
        assert ran_in == threading.get_ident()
    finally:
        await engine.dispose()


async def test_a_lock_held_elsewhere_is_waited_for_without_freezing_the_loop(
    tmp_path: Path,
) -> None:
    path = tmp_path / "b.sqlite3"
    engine = await _with_schema(path)
    try:
        factory = create_session_factory(engine)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another program writing

        async def write() -> None:
            async with unit_of_work(factory, write=True) as session:
                await session.execute(
                    text("INSERT INTO settings (key, value, updated_at) VALUES ('k', 'v', '')")
                )

        task = asyncio.ensure_future(write())
        await asyncio.sleep(0.1)
        assert not task.done()  # waiting for the lock
        other.execute("COMMIT")
        ticks = await _ticks_while(task)
        await task
        other.close()
        assert ticks >= 0
        async with factory() as session, session.begin():
            assert (await session.execute(text("SELECT value FROM settings"))).scalar() == "v"
    finally:
        await engine.dispose()


async def test_the_loop_runs_on_while_a_writer_waits(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    engine = await _with_schema(path)
    try:
        factory = create_session_factory(engine)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")

        async def write() -> None:
            async with unit_of_work(factory, write=True) as session:
                await session.execute(text("DELETE FROM settings"))

        task = asyncio.ensure_future(write())
        loop_ran = 0
        for _ in range(10):  # 10 turns of 10 ms while the writer waits: none is lost
            await asyncio.sleep(0.01)
            loop_ran += 1
        assert loop_ran == 10 and not task.done()
        other.execute("ROLLBACK")
        other.close()
        await asyncio.wait_for(task, 5)
    finally:
        await engine.dispose()


async def test_a_lock_never_released_fails_after_the_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "d.sqlite3"
    engine = await _with_schema(path, async_creator=inline_creator(str(path), busy_timeout_ms=100))
    try:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="locked"):
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM settings"))
        other.execute("ROLLBACK")
        other.close()
    finally:
        await engine.dispose()
