"""Catalogue sync: every CATALOG_SYNC_MINUTES, at start-up, and on the admins' /sync.

New services appear, changed rates, ranges and flags update, services gone from the panel
are hidden (their orders keep their snapshot). Prices are computed from the snapshot at
each quote, and checkout prices the order again: the customer pays the price current at
confirmation (a change in between asks them to confirm again).
"""

from __future__ import annotations

import logging

from bot.deps import Deps
from bot.provider.errors import ProviderFailure
from bot.shop.catalog import SyncReport
from bot.shop.services import Shop

log = logging.getLogger(__name__)

PROVIDER_NAME = "main"  # the one panel, as bot/app.py names it


async def sync_catalog(deps: Deps, *, provider_name: str = PROVIDER_NAME) -> SyncReport:
    """Load the panel's catalogue into the shop (the function `/sync` calls).

    Raises ProviderFailure (ProviderUnavailable, ProviderError) when the panel does not
    give its list; nothing changes then. An empty list is not trusted (a panel hiccup must
    not hide the whole shop): it changes nothing and reports zero services.
    """
    services = await deps.provider.services()
    if not services:
        log.warning("catalogue sync: the panel listed no services; the catalogue is kept")
        return SyncReport(added=0, changed=0, removed=0, total=0, unsupported=0)
    async with deps.session_factory() as session, session.begin():
        report = await Shop(session, deps).catalog.sync(
            provider_name, deps.settings.provider_url or "", services
        )
    log.info(
        "catalogue synced: %s services, %s new, %s changed, %s removed, %s unsupported",
        report.total,
        report.added,
        report.changed,
        report.removed,
        report.unsupported,
    )
    return report


async def scheduled_sync(deps: Deps) -> SyncReport | None:
    """The scheduled job: a panel that is down only delays the sync."""
    try:
        return await sync_catalog(deps)
    except ProviderFailure as exc:
        log.warning("catalogue not synced: %s", exc)
        return None


__all__ = ["PROVIDER_NAME", "scheduled_sync", "sync_catalog"]
