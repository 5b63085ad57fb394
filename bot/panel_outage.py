"""The end of a panel outage: the poller found the panel not answering, told operators
and checkout has been refused since (bot/shop/placement.py); the first call it answers
again (a status poll, or the balance watch's check) ends it, with one alert."""

from __future__ import annotations

from bot.deps import Deps
from bot.i18n import in_language
from bot.outbox.writer import Outbox
from bot.shop.shop_settings import ShopSettings
from bot.texts.operator_alerts import alert_panel_back


async def panel_answers(deps: Deps, *, status: bool) -> bool:
    """The panel answered a call (`status`: a status check): end the outage, if one was
    announced (in its own transaction); True when it did. A panel that answered all
    along but refused status checks is back only when a status check works."""
    now = deps.clock.now()
    async with deps.session_factory() as session, session.begin():
        settings = ShopSettings.from_session(session, deps.clock)
        since = await settings.panel_down_since()
        if since is None or (not status and await settings.panel_down_answering()):
            return False
        await settings.set_panel_down_since(None)
        with in_language(deps.i18n, None):
            text = alert_panel_back(since, now)
        await Outbox.from_session(session, deps).to_operators(
            text, dedupe_key=f"panel:back:{since.isoformat()}"
        )
    return True


__all__ = ["panel_answers"]
