"""Browsing answers kept per process (db/read_cache.py): never stale after a change made
by this process, and within `MAX_AGE_S` after one made behind its back."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

import db.read_cache
import db.sqlite_inline
from bot.shop.services import Shop
from db.uow import unit_of_work
from tests.integration.panels_world import PanelsWorld, panels_world


@contextmanager
def counted(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SELECTs run on the engine's database (its readers too) while inside."""
    seen: list[str] = []

    def note(_c: object, _cur: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine.sync_engine.__class__, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine.__class__, "before_cursor_execute", note)


async def _card_price(world: PanelsWorld, service_id: int) -> int:
    async with world.deps.session_factory() as session:
        return (await Shop(session, world.deps).catalog.card(service_id)).price


async def _platforms(world: PanelsWorld) -> list[tuple[str, int]]:
    async with world.deps.session_factory() as session:
        return [(p.name, p.services) for p in await Shop(session, world.deps).catalog.platforms()]


async def _closed_to(world: PanelsWorld, telegram_id: int) -> bool:
    """Whether the shop is closed for maintenance, as the customer's next update sees it."""
    async with world.deps.session_factory() as session:
        arrival = await Shop(session, world.deps).users.arrive(
            telegram_id, username=None, first_name="Z", language="en"
        )
        return arrival.maintenance


async def test_a_browsing_answer_is_kept_until_this_process_changes_a_row(
    engine: AsyncEngine,
) -> None:
    async with panels_world(engine, names=("main",)) as world:
        await world.open()
        before = await _platforms(world)
        with counted(engine) as selects:
            assert await _platforms(world) == before
        assert selects == []  # the kept answer: no statement at all

        service = world.plain("main")
        service_id = await world.service_id("main", service)
        async with world.deps.session_factory() as session:
            await Shop(session, world.deps).admin.set_hidden(0, service_id, True)
        after = await _platforms(world)
        assert sum(n for _, n in after) == sum(n for _, n in before) - 1


async def test_a_markup_is_priced_at_once(engine: AsyncEngine) -> None:
    async with panels_world(engine, names=("main",)) as world:
        await world.open()
        service_id = await world.service_id("main", world.plain("main"))
        price = await _card_price(world, service_id)
        assert await _card_price(world, service_id) == price
        async with unit_of_work(world.deps.session_factory, write=True) as session:
            # Any engine of the process, any statement: the change is seen.
            await session.execute(text("UPDATE services SET price_override = rate * 3"))
        assert await _card_price(world, service_id) != price


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_a_change_behind_the_process_is_seen_within_the_age_bound(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db.read_cache, "MAX_AGE_S", 0.5)
    async with panels_world(engine, names=("main",)) as world:
        await world.open()
        service_id = await world.service_id("main", world.plain("main"))
        price = await _card_price(world, service_id)
        # Another program writes to the file: nothing in this process sees the statement.
        path = engine.url.database
        assert path is not None
        other = sqlite3.connect(path)
        with other:
            other.execute("UPDATE services SET price_override = rate * 3")
        other.close()
        assert await _card_price(world, service_id) == price  # kept, within the bound
        await asyncio.sleep(0.6)
        assert await _card_price(world, service_id) != price


async def test_a_writing_use_case_never_reads_a_kept_answer(engine: AsyncEngine) -> None:
    async with panels_world(engine, names=("main",)) as world:
        await world.open()
        service_id = await world.service_id("main", world.plain("main"))
        kept = await _card_price(world, service_id)
        async with unit_of_work(world.deps.session_factory, write=True) as session:
            with counted(engine) as selects:
                card = await Shop(session, world.deps).catalog.card(service_id)
        assert card.price == kept
        assert any("FROM services" in s for s in selects)


async def test_maintenance_is_seen_by_the_next_update(engine: AsyncEngine) -> None:
    async with panels_world(engine, names=("main",)) as world:
        await world.open()

        async def closed() -> bool:
            return await _closed_to(world, 4242)

        assert await closed() is False
        async with world.deps.session_factory() as session:
            await Shop(session, world.deps).admin.set_maintenance(0, True)
        assert await closed() is True
        async with world.deps.session_factory() as session:
            await Shop(session, world.deps).admin.set_maintenance(0, False)
        assert await closed() is False


async def test_a_second_walk_through_the_catalogue_reads_nothing(engine: AsyncEngine) -> None:
    """Platforms, a platform's categories, a category's page, a card, a search: once
    seen, the same screens are answered without a statement while nothing changes."""
    async with panels_world(engine, names=("main",)) as world:
        await world.open()

        async def walk() -> None:
            async with world.deps.session_factory() as session:
                catalog = Shop(session, world.deps).catalog
                platforms = await catalog.platforms()
                categories = await catalog.categories(platforms[0].name)
                page = await catalog.services_page(categories[0], 0)
                await catalog.card(page.cards[0].id)
                await catalog.search("followers", locale="en")
                await catalog.search("подписчики", locale="ru")

        with counted(engine) as first:
            await walk()
        assert first  # the rows were read once
        with counted(engine) as again:
            await walk()
        assert again == []


async def test_an_arrival_is_kept_until_the_customer_or_the_settings_change(
    engine: AsyncEngine,
) -> None:
    """Who sent an update is read once; a ban, a credit or a new name is seen by the
    very next update."""
    async with panels_world(engine, names=("main",)) as world:
        await world.open()

        async def arrive(name: str = "Zed") -> tuple[bool, int]:
            async with world.deps.session_factory() as session:
                arrival = await Shop(session, world.deps).users.arrive(
                    4343, username="zed", first_name=name, language="en"
                )
                return arrival.user.banned, arrival.user.balance

        assert await arrive() == (False, 0)  # registered: a write
        assert await arrive() == (False, 0)  # read back once
        with counted(engine) as selects:
            assert await arrive() == (False, 0)
        assert selects == []  # kept: no statement, no transaction

        async with world.deps.session_factory() as session:
            shop = Shop(session, world.deps)
            user = await shop.users.find(4343)
            assert user is not None
            await shop.admin.set_banned(0, user.id, True)
        assert await arrive() == (True, 0)

        async with world.deps.session_factory() as session:
            shop = Shop(session, world.deps)
            await shop.admin.set_banned(0, user.id, False)
            await shop.admin.adjust(
                0, user.id, 5_000_000, credit=True, reason="gift", reference="kept-gift"
            )
        assert await arrive() == (False, 5_000_000)

        with counted(engine) as selects:
            assert await arrive(name="Zed Junior") == (False, 5_000_000)
        assert selects  # a new name is written, and read back
        async with world.deps.session_factory() as session:
            found = await Shop(session, world.deps).users.find(4343)
        assert found is not None and found.first_name == "Zed Junior"


async def test_a_read_made_while_a_commit_is_under_way_is_not_kept_past_it(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLAlchemy tells of a commit before the database has made it: a read in between
    still sees the old rows, and must not be what the next update is answered with."""
    if "sqlite" not in engine.url.get_backend_name() or engine.url.database in (None, ""):
        pytest.skip("the commit's wait for the disk is an SQLite file's")
    async with panels_world(engine, names=("main",)) as world:
        await world.open()

        async def closed() -> bool:
            return await _closed_to(world, 4545)

        assert await closed() is False
        assert await closed() is False
        reached, gate = asyncio.Event(), asyncio.Event()
        to_thread = asyncio.to_thread

        async def held(function: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(function, "__name__", "") == "commit":
                reached.set()  # counted as committed, not yet in the database
                await gate.wait()
            return await to_thread(function, *args, **kwargs)

        monkeypatch.setattr(db.sqlite_inline.asyncio, "to_thread", held)

        async def close_shop() -> None:
            async with world.deps.session_factory() as session:
                await Shop(session, world.deps).admin.set_maintenance(0, True)

        writing = asyncio.ensure_future(close_shop())
        await asyncio.wait_for(reached.wait(), 5)
        assert await closed() is False  # the commit is not made yet: the old switch
        gate.set()
        await writing
        assert await closed() is True  # seen by the very next update
