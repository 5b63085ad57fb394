"""The end of a panel outage: the poller found the panel not answering, told operators
and checkout to it has been refused since (bot/shop/placement.py); the first call it
answers again (a status poll, or the balance watch's check) ends it, with one alert.
Each panel has its own outage."""

from __future__ import annotations

from bot.deps import Deps
from bot.i18n import in_language
from bot.outbox.writer import Outbox
from bot.provider.panels import MAIN_PANEL
from bot.shop.shop_settings import ShopSettings
from bot.texts.operator_alerts import alert_panel_back, panel_tag


async def panel_answers(deps: Deps, *, status: bool, panel: str = MAIN_PANEL) -> bool:
    """The panel answered a call (`status`: a status check): end its outage, if one was
    announced (in its own transaction); True when it did. A panel that answered all
    along but refused status checks is back only when a status check works."""
    now = deps.clock.now()
    async with deps.session_factory() as session, session.begin():
        settings = ShopSettings.from_session(session, deps.clock)
        since = await settings.panel_down_since(panel)
        if since is None or (not status and await settings.panel_down_answering(panel)):
            return False
        await settings.set_panel_down_since(None, panel=panel)
        with in_language(deps.i18n, None):
            text = panel_tag(alert_panel_back(since, now), deps.panels.shown(panel))
        prefix = "panel:back" if panel == MAIN_PANEL else f"panel:{panel}:back"
        await Outbox.from_session(session, deps).to_operators(
            text, dedupe_key=f"{prefix}:{since.isoformat()}"
        )
    return True


__all__ = ["panel_answers"]
