"""The admin's tools over several panels, through the dispatcher: /sync [panel]."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import ServiceRow, Setting
from tests.handlers.arrange import audit
from tests.harness import Customer, ShopApp

pytestmark = [
    pytest.mark.shop("admin", panels=("backup",)),
    pytest.mark.parametrize("db_kind", ["sqlite"]),
]


async def _rows(app: ShopApp) -> list[tuple[object, ...]]:
    async with app.deps.session_factory() as session, session.begin():
        services = (await session.execute(select(ServiceRow.id, ServiceRow.removed_at))).all()
        settings = (await session.execute(select(Setting.key, Setting.value))).all()
        return [tuple(services), tuple(settings)]


async def test_sync_one_panel_or_all(app: ShopApp, admin: Customer) -> None:
    backup = app.more["backup"]
    gone = next(iter(backup.catalogue))
    backup.catalogue.remove(gone.service_id)
    app.clock.advance(60)
    await admin.send("/sync backup")
    assert "<b>backup</b> · ✅ Catalogue synced" in admin.last_text
    assert "1 hidden" in admin.last_text
    [entry] = await audit(app)
    assert (entry.action, entry.target_id) == ("sync", "backup")

    app.sim.faults.html = True  # main is unreachable: backup still syncs
    await admin.send("/sync")
    replies = [m.text for m in admin.messages()[-2:]]
    assert replies[0].startswith("<b>main</b> · ") and "not reachable" in replies[0]
    assert replies[1].startswith("<b>backup</b> · ✅ Catalogue synced")
    assert [e.target_id for e in await audit(app)] == ["backup", "backup"]


async def test_sync_of_an_unknown_panel_changes_nothing(app: ShopApp, admin: Customer) -> None:
    before = await _rows(app)
    for command in ("/sync nope", "/sync backup main"):
        await admin.send(command)
        assert "Usage: <code>/sync [panel]</code>" in admin.last_text
    await admin.send("/sync nope")
    panels = "Panels: <code>main</code>, <code>backup</code>."
    assert f"There is no panel <code>nope</code>. {panels}" in admin.last_text
    assert await _rows(app) == before
    assert await audit(app) == []
