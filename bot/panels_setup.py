"""The panels at start-up: a providers row per configured panel (its name and URL, never
its key), and a first call to each panel besides `main`: one whose URL answers something
that is not the API (an HTML page, JSON of another shape) is reported and left out, and
the others work as usual. A panel that does not answer at all is kept: it may be down
for a moment, and the watchdogs handle that as for any outage."""

from __future__ import annotations

import asyncio
import logging

from bot.deps import Deps
from bot.i18n import in_language
from bot.outbox.writer import Outbox
from bot.provider.errors import BadReply, NotApiReply, ProviderFailure
from bot.provider.panels import MAIN_PANEL, Panel
from bot.texts.operator_alerts import alert_panel_skipped
from db.repositories.providers import ProviderRepo

log = logging.getLogger(__name__)


async def register_panels(deps: Deps) -> None:
    """Upsert one providers row per panel, by name, and let the registry know its id."""
    now = deps.clock.now()
    async with deps.session_factory() as session, session.begin():
        repo = ProviderRepo(session)
        for panel in deps.panels:
            row = await repo.ensure(panel.name, panel.url, now=now)
            deps.panels.bind(panel.name, row.id)
        await repo.enable_only(deps.panels.names)
        deps.panels.forget(row.id for row in await repo.all())


async def _garbage(panel: Panel) -> str | None:
    """Why the panel's URL is not an API v2 endpoint, or None when it may be one."""
    try:
        await panel.client.balance()
    except (BadReply, NotApiReply) as exc:
        return exc.reason
    except ProviderFailure:
        return None  # down or refusing the account: kept, the watchdogs take it from here
    return None


async def probe_panels(deps: Deps) -> dict[str, str]:
    """Leave out every panel besides `main` whose URL answers garbage; returns name -> why."""
    others = [panel for panel in deps.panels if panel.name != MAIN_PANEL]
    reasons = await asyncio.gather(*(_garbage(panel) for panel in others))
    skipped = {panel.name: reason for panel, reason in zip(others, reasons, strict=True) if reason}
    if not skipped:
        return {}
    async with deps.session_factory() as session, session.begin():
        outbox = Outbox.from_session(session, deps)
        for name, reason in skipped.items():
            log.warning(
                "panel %s left out: its URL does not answer as an API v2 (%s)", name, reason
            )
            with in_language(deps.i18n, None):
                text = alert_panel_skipped(name, reason)
            await outbox.to_operators(text)
    for name, reason in skipped.items():
        panel = deps.panels.get(name)
        deps.panels.skip(name, reason)
        await panel.client.close()
    return skipped


async def setup_panels(deps: Deps) -> dict[str, str]:
    """Start-up: the probe, then a row (and its id) for each panel kept."""
    skipped = await probe_panels(deps)
    await register_panels(deps)
    return skipped


__all__ = ["probe_panels", "register_panels", "setup_panels"]
