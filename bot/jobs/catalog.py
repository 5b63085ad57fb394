"""Catalogue sync: the one way a panel's list reaches the shop, at start-up, on the
admins' /sync [panel] and every CATALOG_SYNC_MINUTES (a job per panel).

Each panel's services are rows keyed by (panel, panel service id): one panel's sync
never touches another's rows, and customers see one catalogue of them all.

New services appear, changed rates, ranges and flags update, services gone from the panel
are hidden (their orders keep their snapshot). Prices are computed from the snapshot at
each quote, and checkout prices the order again: the customer pays the price current at
confirmation (a change in between asks them to confirm again).

A list is not trusted when it is empty or not a list of services at all (a panel hiccup
must not hide the whole shop): it changes nothing, the report says why, and operators
are told once until a sync works again. An entry that fails the validator (a price that
is not a number, a `max` beyond 64 bits) is skipped and counted; the others sync.
"""

from __future__ import annotations

import asyncio
import logging

from bot.deps import Deps
from bot.i18n import in_language
from bot.outbox.writer import Outbox
from bot.panel_pause import pause_for_refusal
from bot.provider.errors import BadReply, ProviderError, ProviderFailure
from bot.shop.catalog import SyncReport
from bot.shop.panels import MAIN_PANEL
from bot.shop.services import Shop
from bot.shop.shop_settings import ShopSettings
from bot.texts.operator_alerts import alert_catalogue_refused, panel_tag

log = logging.getLogger(__name__)


async def sync_catalog(deps: Deps, *, provider_name: str = MAIN_PANEL) -> SyncReport:
    """Load one panel's catalogue into the shop (UnknownPanel: no such panel).

    Raises ProviderFailure (ProviderUnavailable, ProviderError) when the panel does not
    give its list; nothing changes then. An empty or unreadable list changes nothing
    either: the report comes back with `refused` set and operators are alerted.
    """
    panel = deps.panels.get(provider_name)
    try:
        listing = await panel.client.services()
    except BadReply as exc:
        return await _refuse(deps, panel.name, f"not a list of services ({exc.reason})")
    except ProviderError as exc:
        await pause_for_refusal(deps, exc, panel=panel.name)
        raise
    if not listing.services:
        return await _refuse(deps, panel.name, "the panel listed no services")
    async with deps.session_factory() as session, session.begin():
        report = await Shop(session, deps).catalog.sync(panel.name, panel.url, listing)
        await ShopSettings.from_session(session, deps.clock).set_catalogue_refused(None, panel.name)
        if report.provider_id is not None:
            deps.panels.bind(panel.name, report.provider_id)
    log.info(
        "catalogue of panel %s synced: %s services, %s new, %s changed, %s removed, "
        "%s unsupported, %s skipped",
        panel.name,
        report.total,
        report.added,
        report.changed,
        report.removed,
        report.unsupported,
        report.skipped,
    )
    return report


async def _refuse(deps: Deps, panel: str, reason: str) -> SyncReport:
    log.warning("catalogue sync of panel %s: %s; its services are kept as they were", panel, reason)
    async with deps.session_factory() as session, session.begin():
        settings = ShopSettings.from_session(session, deps.clock)
        if await settings.catalogue_refused_since(panel) is None:
            await settings.set_catalogue_refused(deps.clock.now(), panel)
            with in_language(deps.i18n, None):
                text = panel_tag(alert_catalogue_refused(reason), deps.panels.shown(panel))
            await Outbox.from_session(session, deps).to_operators(text)
    return SyncReport(added=0, changed=0, removed=0, total=0, unsupported=0, refused=reason)


async def scheduled_sync(deps: Deps, provider_name: str = MAIN_PANEL) -> SyncReport | None:
    """On the schedule: a panel that is down only delays the sync."""
    try:
        return await sync_catalog(deps, provider_name=provider_name)
    except ProviderFailure as exc:
        log.warning("catalogue of panel %s not synced: %s", provider_name, exc)
        return None


async def sync_all(deps: Deps) -> dict[str, SyncReport | None]:
    """At start-up: every panel's catalogue, at once (one slow panel delays only itself)."""
    names = deps.panels.names
    reports = await asyncio.gather(*(scheduled_sync(deps, name) for name in names))
    return dict(zip(names, reports, strict=True))


__all__ = ["scheduled_sync", "sync_all", "sync_catalog"]
