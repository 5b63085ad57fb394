"""Each panel's catalogue synced on its own into rows keyed by (panel, panel service id);
customers see one catalogue of them all, priced at each panel's currency rate."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.factory import create_bot
from bot.jobs.catalog import sync_all, sync_catalog
from bot.jobs.scheduler import create_jobs
from bot.panels_setup import register_panels
from bot.provider.models import ServiceType
from bot.sandbox.recording import RecordingSession
from bot.shop.money import from_micro
from bot.shop.pricing import price_order
from bot.shop.services import Shop
from db.models import ServiceRow
from db.repositories.providers import ProviderRepo
from tests.integration.panels_world import PanelsWorld, panels_world


async def _rows(world: PanelsWorld) -> dict[str, dict[str, ServiceRow]]:
    async with world.deps.session_factory() as session, session.begin():
        providers = {p.id: p.name for p in await ProviderRepo(session).all()}
        rows = await session.scalars(select(ServiceRow))
        found: dict[str, dict[str, ServiceRow]] = {}
        for row in rows:
            found.setdefault(providers[row.provider_id], {})[row.provider_service_id] = row
        return found


async def test_each_panel_syncs_its_own_rows(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await register_panels(world.deps)
        reports = await sync_all(world.deps)
        assert set(reports) == {"main", "backup"}
        rows = await _rows(world)
        for name, sim in world.sims.items():
            assert set(rows[name]) == {str(s.service_id) for s in sim.catalogue}
        # The same panel service id at two panels is two services.
        shared = set(rows["main"]) & set(rows["backup"])
        assert shared
        some = next(iter(shared))
        assert rows["main"][some].id != rows["backup"][some].id

        # A service gone from the backup panel is hidden there only.
        gone = next(iter(world.sims["backup"].catalogue))
        world.sims["backup"].catalogue.remove(gone.service_id)
        world.clock.advance(60)
        report = await sync_catalog(world.deps, provider_name="backup")
        assert report.removed == 1
        rows = await _rows(world)
        assert rows["backup"][str(gone.service_id)].removed_at is not None
        assert [r for r in rows["main"].values() if r.removed_at is not None] == []


async def test_one_catalogue_priced_at_each_panels_rate(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await register_panels(world.deps)
        await sync_all(world.deps)
        rows = await _rows(world)
        async with world.deps.session_factory() as session, session.begin():
            shop = Shop(session, world.deps)
            listed = sum(p.services for p in await shop.catalog.platforms())
            cards = {}
            for name in ("main", "backup"):
                row = next(
                    r
                    for r in rows[name].values()
                    if ServiceType.parse(r.type) is ServiceType.DEFAULT and r.rate > 0
                )
                cards[name] = (row, await shop.catalog.card(row.id))
        orderable = [
            r
            for by_id in rows.values()
            for r in by_id.values()
            if ServiceType.parse(r.type) is not None
        ]
        assert listed == len(orderable)  # one catalogue: both panels' services
        for name, rate in (("main", Decimal(1)), ("backup", Decimal(2))):
            row, card = cards[name]
            expected = price_order(
                from_micro(row.rate),
                1000,
                flat=False,
                currency_rate=rate,
                markup_percent=Decimal(30),
                currency="USD",
            )
            assert card.price == expected.charge, name
            # Nothing on the card tells which panel serves it.
            assert name not in repr(card).replace(row.name, "")
            assert world.sims[name].url not in repr(card)


async def test_a_panel_no_longer_configured_leaves_the_storefront(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await register_panels(world.deps)
        await sync_all(world.deps)
        async with world.deps.session_factory() as session, session.begin():
            both = sum(p.services for p in await Shop(session, world.deps).catalog.platforms())
        world.deps.panels.skip("backup", "taken out of PROVIDERS")
        await register_panels(world.deps)
        async with world.deps.session_factory() as session, session.begin():
            left = sum(p.services for p in await Shop(session, world.deps).catalog.platforms())
        assert 0 < left < both


async def test_a_catalogue_job_per_panel(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        bot = create_bot(world.deps.settings, session=RecordingSession())
        jobs = create_jobs(world.deps, bot)
        try:
            jobs._add_jobs()
            ids = {job.id for job in jobs.scheduler.get_jobs()}
            assert {"catalog.sync", "catalog.sync.backup"} <= ids
            await jobs.run_now("catalog.sync.backup")
            rows = await _rows(world)
            assert set(rows) == {"backup"}
        finally:
            await jobs.poller_lock.close()
            await bot.session.close()
