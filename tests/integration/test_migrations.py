"""The migrations build the schema the models describe, forth and back, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from db.migrate import alembic_config, current, downgrade, upgrade
from db.models import Base

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


def _head() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads: {heads}"
    return heads[0]


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_upgrade_downgrade_upgrade_and_models_agree(db: TestDatabase) -> None:
    engine = db.create_engine()
    try:
        assert await current(engine) is None
        await upgrade(engine)
        assert await current(engine) == _head()
        assert await _tables(engine) == set(Base.metadata.tables) | {"alembic_version"}

        await downgrade(engine, "base")
        assert await current(engine) is None
        assert await _tables(engine) <= {"alembic_version"}

        await upgrade(engine, "head")
        assert await current(engine) == _head()
        async with engine.connect() as connection:
            diff = await connection.run_sync(_diff)
        assert diff == [], f"models and migrations disagree: {diff}"
    finally:
        await engine.dispose()


async def test_upgrade_by_url_is_idempotent(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'dir' / 'bot.sqlite3'}"
    await upgrade(url)
    await upgrade(url)  # at head already: nothing to do, no error
    assert await current(url) == _head()


async def test_usual_time_revision_keeps_the_data_forth_and_back(db: TestDatabase) -> None:
    """0004 adds services.average_minutes and an index on orders, on tables with rows."""
    engine = db.create_engine()
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    try:
        await upgrade(engine, "0003")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO providers (id, name, url, created_at) "
                    "VALUES (1, 'main', 'https://panel.example/api/v2', :now)"
                ),
                {"now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO services (id, provider_id, provider_service_id, type, name, "
                    "category, rate, min, max, first_seen_at, last_seen_at) VALUES (7, 1, '101', "
                    "'Default', 'Followers', 'Instagram Followers', 500000, 10, 1000, :now, :now)"
                ),
                {"now": now},
            )
        await upgrade(engine, "head")
        async with engine.begin() as connection:
            row = (
                await connection.execute(text("SELECT name, average_minutes FROM services"))
            ).one()
            assert tuple(row) == ("Followers", None)
            await connection.execute(text("UPDATE services SET average_minutes = 135"))
            indexes = await connection.run_sync(
                lambda sync: {i["name"] for i in inspect(sync).get_indexes("orders")}
            )
            assert "ix_orders_service_id_state_finished_at" in indexes
        await downgrade(engine, "0003")
        async with engine.begin() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns("services")}
            )
            assert "average_minutes" not in columns
            assert (await connection.execute(text("SELECT name FROM services"))).scalar_one() == (
                "Followers"
            )
    finally:
        await engine.dispose()
