"""The queries a big shop runs on every update or cycle use indexes (SQLite's plan):
the poller's due query, a customer's orders page, /stats' order groups. The statements
are captured while the real repository methods run, so the test follows the code."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from db.repositories.orders import OrderRepo
from db.repositories.stats import StatsRepo
from db.session import create_session_factory

pytestmark = pytest.mark.parametrize("db_kind", ["sqlite"])
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@contextmanager
def captured() -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def note(_c: object, _cur: object, statement: str, parameters: Any, *_: object) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


async def plans(
    engine: AsyncEngine, work: Callable[[AsyncSession], Awaitable[object]]
) -> list[str]:
    """Each captured statement's plan, its lines joined."""
    factory = create_session_factory(engine)
    with captured() as statements:
        async with factory() as session, session.begin():
            await work(session)
    assert statements
    found = []
    async with engine.connect() as connection:
        for statement, parameters in statements:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            found.append(" | ".join(str(row[-1]) for row in rows))
    return found


def full_scans(plan: str, tables: tuple[str, ...]) -> list[str]:
    """Steps that read a whole table row by row (an index scan or search is fine)."""
    steps = [step.strip() for step in plan.split("|")]
    return [
        s
        for s in steps
        if any(s == f"SCAN {t}" or s.startswith(f"SCAN {t} ") for t in tables) and "USING" not in s
    ]


async def test_the_due_query_reads_an_index(engine: AsyncEngine) -> None:
    async def due(session: AsyncSession) -> None:
        await OrderRepo(session).poll_due(checked_before=NOW, limit=50_000, provider_ids=[1])

    for plan in await plans(engine, due):
        assert "ix_orders_poll_due" in plan, plan
        assert full_scans(plan, ("orders",)) == [], plan


async def test_a_customers_orders_page_reads_an_index(engine: AsyncEngine) -> None:
    async def page(session: AsyncSession) -> None:
        await OrderRepo(session).page_for_user(1, limit=5, offset=50)

    for plan in await plans(engine, page):
        assert "USING" in plan and full_scans(plan, ("orders",)) == [], plan


async def test_stats_groups_read_the_covering_index(engine: AsyncEngine) -> None:
    async def groups(session: AsyncSession) -> None:
        await StatsRepo(session).order_groups(NOW)

    for plan in await plans(engine, groups):
        assert full_scans(plan, ("orders",)) == [], plan
        assert "COVERING INDEX ix_orders_stats" in plan, plan
