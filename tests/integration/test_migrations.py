"""The migrations build the schema the models describe, forth and back, on both databases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
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
