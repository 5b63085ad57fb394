"""The admin's tools over several panels, through the dispatcher: /sync [panel], /backup."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.jobs.catalog import sync_catalog
from bot.provider.models import ServiceType
from bot.shop.errors import ProviderPaused
from db.models import ServiceBackup, ServiceRow, Setting
from tests.handlers.arrange import LINK, OPERATORS, audit, outbox, place, user_id
from tests.harness import KEY, Customer, ShopApp, catalog_id

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


async def _backups(app: ShopApp) -> list[tuple[int, int, int]]:
    async with app.deps.session_factory() as session, session.begin():
        rows = await session.execute(
            select(
                ServiceBackup.service_id, ServiceBackup.position, ServiceBackup.backup_service_id
            )
        )
        return sorted(tuple(r) for r in rows)  # type: ignore[misc]


async def test_backup_shows_both_sides_then_asks_to_confirm(app: ShopApp, admin: Customer) -> None:
    ours = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    theirs = app.more["backup"].find_service(ServiceType.DEFAULT, dripfeed=False)
    service = await catalog_id(app, ours.service_id)
    spare = await catalog_id(app, theirs.service_id, "backup")
    await admin.send(f"/backup {service} backup:{theirs.service_id}")
    text = admin.last_text
    assert "Add a backup?" in text
    assert f"#{service} «{ours.name}» at <code>main</code>" in text
    assert f"#{spare} «{theirs.name}» at <code>backup</code>" in text
    assert "Customers pay" in text and "margin" in text
    assert await _backups(app) == []  # nothing until confirmed
    await admin.click("Cancel")
    assert "Nothing was changed." in admin.last_text and await _backups(app) == []

    await admin.send(f"/backup {service} backup:{theirs.service_id}")
    await admin.click("Confirm")
    assert "Backup added." in admin.last_text
    assert await _backups(app) == [(service, 1, spare)]
    await admin.send(f"/backup {service}")
    assert f"1. #{spare} «{theirs.name}» at <code>backup</code>" in admin.last_text
    assert [e.action for e in await audit(app)] == ["backup.add", "backup"]

    await admin.send(f"/backup {service} off backup")
    assert "is removed" in admin.last_text and await _backups(app) == []
    assert "No backups" in admin.last_text


async def test_bad_backups_change_nothing(app: ShopApp, admin: Customer) -> None:
    ours = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    theirs = app.more["backup"].find_service(ServiceType.DEFAULT, dripfeed=False)
    other_type = next(
        s for s in app.more["backup"].catalogue if s.service_type not in (None, ServiceType.DEFAULT)
    )
    service = await catalog_id(app, ours.service_id)
    spare = await catalog_id(app, theirs.service_id, "backup")
    # The backup's own backup is this service: adding it back would be a loop.
    await admin.send(f"/backup {spare} main:{ours.service_id}")
    await admin.click("Confirm")
    assert await _backups(app) == [(spare, 1, service)]
    before = await _rows(app)
    cases = {
        f"/backup {service} nope:{theirs.service_id}": "There is no panel <code>nope</code>",
        f"/backup {service} backup:999999": "lists no service <code>999999</code>",
        f"/backup {service} backup:{other_type.service_id}": "must be of the same type",
        f"/backup {service} main:{ours.service_id}": "cannot be its own backup",
        f"/backup {service} backup:{theirs.service_id}": "a loop",
        f"/backup {service} off backup": "has no backup at panel <code>backup</code>",
        f"/backup {service} off nope": "There is no panel <code>nope</code>",
        "/backup 999999": "There is no service #999999",
        "/backup": "Usage: <code>/backup",
        f"/backup {service} backup": "Usage: <code>/backup",
        f"/backup x backup:{theirs.service_id}": "Usage: <code>/backup",
    }
    for command, words in cases.items():
        await admin.send(command)
        assert words in admin.last_text, (command, admin.last_text)
    assert await _rows(app) == before
    assert await _backups(app) == [(spare, 1, service)]


async def test_panels_and_switching_one_off(app: ShopApp, admin: Customer, alice: Customer) -> None:
    placed = await place(app, alice)
    await admin.send("/panels")
    text = admin.last_text
    assert "<b>main</b> · 🟢 taking orders" in text and "<b>backup</b> · 🟢 taking orders" in text
    assert f"balance {app.sim.balance:f} USD" in text
    assert "active orders: 1" in text

    # main off: a service with a backup goes to it, the others are unavailable.
    ours = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    theirs = app.more["backup"].change_service(
        app.more["backup"].find_service(ServiceType.DEFAULT, dripfeed=False).service_id,
        rate=ours.rate / 4,
        min=ours.min,
        max=ours.max,
    )
    app.clock.advance(60)
    await sync_catalog(app.deps, provider_name="backup")
    service = await catalog_id(app, ours.service_id)
    await admin.send(f"/backup {service} backup:{theirs.service_id}")
    await admin.click("Confirm")
    await admin.send("/panel main off")
    assert "takes no new orders now" in admin.last_text
    await admin.send("/panel main off")
    assert "switched off already" in admin.last_text
    await admin.send("/panels")
    assert "<b>main</b> · ⛔ switched off since" in admin.last_text
    cheap = app.more["backup"].catalogue
    moved = await place(app, alice)
    assert moved.provider_id != placed.provider_id
    assert app.more["backup"].calls["add"] == 1 and len(cheap) > 0
    other = next(
        s
        for s in app.sim.catalogue
        if s.service_type is ServiceType.DEFAULT
        and not s.dripfeed
        and s.service_id != ours.service_id
    )
    uid = await user_id(app, alice)
    async with app.shop() as shop:
        draft = await shop.orders.quote(
            uid, await catalog_id(app, other.service_id), {"link": LINK, "quantity": other.min}
        )
        with pytest.raises(ProviderPaused):
            await shop.placement.place(draft)
    await admin.send("/panel main on")
    assert "takes new orders again" in admin.last_text
    assert (await place(app, alice)).provider_id == placed.provider_id
    actions = [e.action for e in await audit(app) if e.action.startswith("panel")]
    assert actions == ["panels", "panel.off", "panel.off", "panels", "panel.on"]
    # The failover was told to operators once.
    alerts = [m.text for m in await outbox(app, OPERATORS) if "backup panel" in m.text]
    assert len(alerts) == 1 and "main: off, passed over" in alerts[0]
    assert f"#{moved.id} (/order {moved.id})" in alerts[0]
    assert "@alice (id 1001) · /user 1001" in alerts[0] and moved.service_name[:20] in alerts[0]

    await admin.send("/panel nope off")
    assert "There is no panel <code>nope</code>" in admin.last_text
    for bad in ("/panel", "/panel main", "/panel main maybe", "/panels now"):
        await admin.send(bad)
        assert "Usage: <code>/panel" in admin.last_text, bad


async def test_stats_by_panel(app: ShopApp, admin: Customer, alice: Customer) -> None:
    await place(app, alice)
    await admin.send("/stats all")
    text = admin.last_text
    assert "<b>By panel</b>" in text
    assert "<code>main</code>: revenue" in text and "<code>backup</code>: revenue 0.00 USD" in text


async def test_no_panel_key_in_what_admins_and_operators_read(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    keys = [KEY, app.more["backup"].key]
    app.more["backup"].faults.update(account_refusal="Invalid API key")
    app.sim.faults.update(html=True)
    await admin.send("/panels")
    await admin.send("/sync")
    await admin.send("/provider")
    texts = [m.text or "" for m in app.session.messages.values()]
    texts += [m.text for m in await outbox(app)]
    assert texts and [k for k in keys if any(k in t for t in texts)] == []
