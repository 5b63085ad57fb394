"""Catalogue sync: the one way the panel's list reaches the shop, at start-up, on the
admins' /sync and every CATALOG_SYNC_MINUTES.

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
from bot.texts.operator_alerts import alert_catalogue_refused

log = logging.getLogger(__name__)


async def sync_catalog(deps: Deps, *, provider_name: str = MAIN_PANEL) -> SyncReport:
    """Load the panel's catalogue into the shop.

    Raises ProviderFailure (ProviderUnavailable, ProviderError) when the panel does not
    give its list; nothing changes then. An empty or unreadable list changes nothing
    either: the report comes back with `refused` set and operators are alerted.
    """
    try:
        listing = await deps.provider.services()
    except BadReply as exc:
        return await _refuse(deps, f"not a list of services ({exc.reason})")
    except ProviderError as exc:
        await pause_for_refusal(deps, exc)
        raise
    if not listing.services:
        return await _refuse(deps, "the panel listed no services")
    async with deps.session_factory() as session, session.begin():
        report = await Shop(session, deps).catalog.sync(
            provider_name, deps.settings.provider_url or "", listing
        )
        await ShopSettings.from_session(session, deps.clock).set_catalogue_refused(None)
    log.info(
        "catalogue synced: %s services, %s new, %s changed, %s removed, %s unsupported, %s skipped",
        report.total,
        report.added,
        report.changed,
        report.removed,
        report.unsupported,
        report.skipped,
    )
    return report


async def _refuse(deps: Deps, reason: str) -> SyncReport:
    log.warning("catalogue sync: %s; the catalogue is kept as it was", reason)
    async with deps.session_factory() as session, session.begin():
        settings = ShopSettings.from_session(session, deps.clock)
        if await settings.catalogue_refused_since() is None:
            await settings.set_catalogue_refused(deps.clock.now())
            with in_language(deps.i18n, None):
                text = alert_catalogue_refused(reason)
            await Outbox.from_session(session, deps).to_operators(text)
    return SyncReport(added=0, changed=0, removed=0, total=0, unsupported=0, refused=reason)


async def scheduled_sync(deps: Deps) -> SyncReport | None:
    """At start-up and on the schedule: a panel that is down only delays the sync."""
    try:
        return await sync_catalog(deps)
    except ProviderFailure as exc:
        log.warning("catalogue not synced: %s", exc)
        return None


__all__ = ["scheduled_sync", "sync_catalog"]
