"""Ordering paused to a panel while it refuses the shop's own account.

An account-level refusal (no funds, an invalid or disabled key, the server's IP not
allowed, API access switched off) would refuse every order in turn: each customer would
be charged, refunded and told something confusing, and operators alerted once per
order. Instead the first such refusal pauses new orders to that panel (customers see
"temporarily unavailable" and are not charged, unless the service has a backup on
another panel), operators get one alert naming the cause, and the balance watch
(bot/jobs/balance.py) lifts the pause when a `balance` call answers normally again, with
enough funds when funds were the cause. Each panel has its own pause.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.deps import Deps
from bot.i18n import Catalogues, in_language
from bot.outbox.writer import Outbox
from bot.provider.errors import AccountIssue, ProviderError
from bot.provider.panels import MAIN_PANEL
from bot.shop.money import Micro
from bot.shop.shop_settings import ShopSettings
from bot.texts.operator_alerts import alert_panel_paused, panel_tag


async def announce_pause(
    settings: ShopSettings,
    outbox: Outbox,
    i18n: Catalogues,
    *,
    panel: str = MAIN_PANEL,
    shown: str | None = None,
    about: Callable[[], str] | None = None,
) -> bool:
    """Queue the one operator alert of the panel's current pause, if not done yet
    (`shown`: the panel's name in the alert, in a shop of several; `about`: the order
    being placed when the pause was met, rendered in the alert's language)."""
    pause = await settings.panel_pause(panel)
    if pause is None or pause.announced:
        return False
    with in_language(i18n, None):
        text = panel_tag(alert_panel_paused(pause.reason, pause.cause), shown)
        if about is not None:
            text += "\n" + about()
    prefix = "panel:paused" if panel == MAIN_PANEL else f"panel:{panel}:paused"
    await outbox.to_operators(
        text, dedupe_key=f"{prefix}:{pause.since.isoformat()}:{pause.cause.value}"
    )
    await settings.mark_panel_pause_announced(panel)
    return True


async def pause_for_refusal(
    deps: Deps, error: ProviderError, *, need: Micro | None = None, panel: str = MAIN_PANEL
) -> bool:
    """Pause ordering to `panel` when `error` is about the shop's account (in its own
    transaction); True when it was such a refusal."""
    issue = error.account_issue
    if issue is None:
        return False
    async with deps.session_factory() as session, session.begin():
        settings = ShopSettings.from_session(session, deps.clock)
        await settings.pause_panel(
            error.text,
            cause=issue,
            need=need if issue is AccountIssue.NO_FUNDS else None,
            panel=panel,
        )
        await announce_pause(
            settings,
            Outbox.from_session(session, deps),
            deps.i18n,
            panel=panel,
            shown=deps.panels.shown(panel),
        )
    return True


__all__ = ["announce_pause", "pause_for_refusal"]
