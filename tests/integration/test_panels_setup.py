"""Start-up with several panels: a providers row per panel by name (its URL, never its
key), a panel whose URL answers garbage reported and left out while the others work, and
the keys absent from the database, the logs and every message."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.factory import create_panels
from bot.jobs.catalog import sync_catalog
from bot.panels_setup import setup_panels
from bot.sandbox.provider import ProviderSimulator
from db.repositories.providers import ProviderRepo
from tests.harness import dump_rows
from tests.integration.panels_world import KEYS, panels_settings, panels_world


async def test_rows_by_name_and_a_garbage_panel_left_out(
    engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    broken = ProviderSimulator(key="broken-panel-secret-key-3", seed=3)
    broken.faults.update(html=True)
    async with panels_world(
        engine, names=("main", "backup", "broken"), sims={"broken": broken}
    ) as world:
        skipped = await setup_panels(world.deps)
        assert list(skipped) == ["broken"]
        assert "HTML" in skipped["broken"]
        assert world.deps.panels.names == ("main", "backup")
        async with world.deps.session_factory() as session, session.begin():
            rows = {row.name: row for row in await ProviderRepo(session).all()}
        assert set(rows) == {"main", "backup"}
        assert rows["backup"].url == world.sims["backup"].url
        assert world.deps.panels.id_of("backup") == rows["backup"].id
        alerts = await world.operator_texts()
        assert len(alerts) == 1 and "broken" in alerts[0]
        # The others keep working: both catalogues sync.
        for name in ("main", "backup"):
            report = await sync_catalog(world.deps, provider_name=name)
            assert report.total > 0
        dumped = repr(await dump_rows(engine))
        keys = [*KEYS.values(), broken.key]
        assert [key for key in keys if key in dumped] == []
        assert [key for key in keys if key in caplog.text] == []
        assert [key for key in keys if any(key in text for text in alerts)] == []


async def test_a_second_start_updates_the_url_by_name(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await setup_panels(world.deps)
        first = world.deps.panels.id_of("backup")
    async with panels_world(engine) as world:
        await setup_panels(world.deps)
        assert world.deps.panels.id_of("backup") == first
        async with world.deps.session_factory() as session, session.begin():
            row = await ProviderRepo(session).by_name("backup")
        assert row is not None and row.url == world.sims["backup"].url


async def test_providers_configure_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDERS", "backup")
    monkeypatch.setenv("PROVIDER_BACKUP_URL", "https://backup.example/api/v2")
    monkeypatch.setenv("PROVIDER_BACKUP_KEY", KEYS["backup"])
    monkeypatch.setenv("PROVIDER_BACKUP_CURRENCY_RATE", "90")
    monkeypatch.setenv("PROVIDER_BACKUP_TIMEOUT_SECONDS", "12")
    settings = panels_settings("https://main.example/api/v2")
    panels = create_panels(settings)
    try:
        assert panels.names == ("main", "backup")
        backup = panels.get("backup")
        assert backup.currency_rate == Decimal(90) and backup.timeout_seconds == 12
        assert KEYS["backup"] not in repr(backup) and KEYS["backup"] not in repr(settings)
        assert panels.get("main").currency_rate == Decimal(1)
    finally:
        await panels.close()
