"""The migrations build the schema the models describe, forth and back, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.clock import FakeClock
from bot.shop.enums import OrderState
from bot.shop.shop_settings import ShopSettings
from db.migrate import alembic_config, current, downgrade, upgrade
from db.models import Base
from db.repositories.orders import OrderRepo

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


async def test_a_one_panel_shop_becomes_panel_main(db: TestDatabase) -> None:
    """0005 on a database made by 0004 with orders in every state: everything is panel
    `main`, nothing is lost, ids keep working; the panel's settings move under `main`."""
    engine = db.create_engine()
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    states = [state.value for state in OrderState]
    try:
        await upgrade(engine, "0004")
        async with engine.begin() as connection:
            run = connection.execute
            await run(
                text(
                    "INSERT INTO users (id, telegram_id, balance, created_at) "
                    "VALUES (3, 1001, 5000000, :now)"
                ),
                {"now": now},
            )
            await run(
                text(
                    "INSERT INTO providers (id, name, url, created_at) "
                    "VALUES (1, 'main', 'https://panel.example/api/v2', :now)"
                ),
                {"now": now},
            )
            await run(
                text(
                    "INSERT INTO services (id, provider_id, provider_service_id, type, name, "
                    "category, rate, min, max, first_seen_at, last_seen_at) VALUES (7, 1, '101', "
                    "'Default', 'Followers', 'Instagram Followers', 500000, 10, 1000, :now, :now)"
                ),
                {"now": now},
            )
            for number, state in enumerate(states, start=11):
                await run(
                    text(
                        "INSERT INTO orders (id, user_id, checkout_token, service_id, "
                        "provider_id, provider_service_id, service_name, service_type, category, "
                        "rate, fields, quantity, charge, cost, currency, markup, state, "
                        "provider_order_id, created_at, updated_at) VALUES (:id, 3, :token, 7, "
                        ":provider, '101', 'Followers', 'Default', 'Instagram Followers', 500000, "
                        "'{}', 100, 65000, 50000, 'USD', 30000000, :state, :panel_id, :now, :now)"
                    ),
                    {
                        "id": number,
                        "token": f"t-{number}",
                        # One order lost its panel row once (SET NULL): it is main's too.
                        "provider": None if state == "unknown" else 1,
                        "state": state,
                        "panel_id": None if state in ("submitting", "failed") else str(number),
                        "now": now,
                    },
                )
                await run(
                    text(
                        "INSERT INTO order_events (order_id, to_state, at) "
                        "VALUES (:id, :state, :now)"
                    ),
                    {"id": number, "state": state, "now": now},
                )
            for key, value in (
                ("maintenance", "0"),
                ("panel.paused_since", now.isoformat()),
                ("panel.paused_reason", "Not enough funds on balance"),
                ("panel.paused_cause", "no_funds"),
                ("panel.down_since", now.isoformat()),
                ("panel.balance_low", "1"),
                ("catalog.refused_since", now.isoformat()),
            ):
                await run(
                    text("INSERT INTO settings (key, value, updated_at) VALUES (:k, :v, :now)"),
                    {"k": key, "v": value, "now": now},
                )
        await upgrade(engine, "head")
        async with engine.begin() as connection:
            rows = (
                await connection.execute(
                    text("SELECT id, provider_id, state FROM orders ORDER BY id")
                )
            ).all()
            assert [(r[0], r[1], r[2]) for r in rows] == [
                (number, 1, state) for number, state in enumerate(states, start=11)
            ]
            events = (await connection.execute(text("SELECT count(*) FROM order_events"))).one()
            assert events[0] == len(states)
            keys = dict((await connection.execute(text("SELECT key, value FROM settings"))).all())
            assert keys == {
                "maintenance": "0",
                "panel.main.paused_since": now.isoformat(),
                "panel.main.paused_reason": "Not enough funds on balance",
                "panel.main.paused_cause": "no_funds",
                "panel.main.down_since": now.isoformat(),
                "panel.main.balance_low": "1",
                "panel.main.catalog_refused_since": now.isoformat(),
            }
        # The application reads them as `main`'s, and follows the same orders by id.
        clock = FakeClock(now)
        async with engine.connect() as connection, AsyncSession(bind=connection) as session:
            settings = ShopSettings.from_session(session, clock)
            pause = await settings.panel_pause("main")
            assert pause is not None and pause.reason == "Not enough funds on balance"
            assert await settings.panel_balance_low("main")
            due = await OrderRepo(session).poll_due(
                checked_before=now, limit=100, provider_ids=[1, None]
            )
            assert due == [(12, "12")]  # the active one, same id, same panel id
            order = await OrderRepo(session).get(16)
            assert order is not None and order.provider_id == 1
        await downgrade(engine, "0004")
        async with engine.begin() as connection:
            keys = {r[0] for r in await connection.execute(text("SELECT key FROM settings"))}
            assert "panel.paused_since" in keys and "catalog.refused_since" in keys
            assert (await connection.execute(text("SELECT count(*) FROM orders"))).one()[0] == 7
    finally:
        await engine.dispose()
