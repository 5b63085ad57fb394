"""Most shops in the tests (handler tests, the jobs' world) open with the rows a first
catalogue sync left, kept per process (tests/harness.py): those must be exactly what a sync
makes, whatever ran before, or a test's outcome would depend on the order of the run."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Base
from tests.harness import Rows, dump_rows, load_rows, running_shop


async def _empty(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(delete(table))
        if engine.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                if "id" in table.c and table.c.id.autoincrement:
                    sequence = f"pg_get_serial_sequence('\"{table.name}\"', 'id')"
                    await connection.execute(sql(f"SELECT setval({sequence}, 1, false)"))


def _without_urls(rows: Rows) -> Rows:
    return {
        name: [{**row, "url": None} if name == "providers" else row for row in table]
        for name, table in rows.items()
    }


async def test_an_opened_shop_has_the_catalogue_a_sync_makes(engine: AsyncEngine) -> None:
    async with running_shop(engine) as app:
        opened = await dump_rows(engine)
        assert {row["url"] for row in opened["providers"]} == {app.sim.url}
    await _empty(engine)
    async with running_shop(engine, synced_catalogue=True) as app:
        synced = await dump_rows(engine)
        assert len(synced["services"]) > 100
        assert _without_urls(opened) == _without_urls(synced)

        # Loaded back into an empty database, the rows come out the same, new rows take ids
        # of their own, and a sync finds the catalogue current.
        await _empty(engine)
        await load_rows(engine, synced, provider_url=app.sim.url or "")
        assert await dump_rows(engine) == synced
        if engine.dialect.name == "postgresql":
            assert await _next_ids(engine, synced) == {
                name: max(row["id"] for row in table) + 1 for name, table in synced.items()
            }
        await app.sync_catalog()
        assert await dump_rows(engine) == synced


async def _next_ids(engine: AsyncEngine, rows: Rows) -> dict[str, int]:
    """The id PostgreSQL's sequence gives next, per table (taking it)."""
    async with engine.begin() as connection:
        return {
            name: await connection.scalar(
                sql(f"SELECT nextval(pg_get_serial_sequence('\"{name}\"', 'id'))")
            )
            for name in rows
        }
