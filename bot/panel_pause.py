"""Ordering paused for everyone while the panel refuses the shop's own account.

An account-level refusal (no funds, an invalid or disabled key, the server's IP not
allowed, API access switched off) would refuse every order in turn: each customer would
be charged, refunded and told something confusing, and operators alerted once per
order. Instead the first such refusal pauses checkout (customers see "temporarily
unavailable" and are not charged), operators get one alert naming the cause, and the
balance watch (bot/jobs/balance.py) lifts the pause when a `balance` call answers
normally again, with enough funds when funds were the cause.
"""

from __future__ import annotations

from bot.deps import Deps
from bot.i18n import Catalogues, in_language
from bot.outbox.writer import Outbox
from bot.provider.errors import AccountIssue, ProviderError
from bot.shop.money import Micro
from bot.shop.shop_settings import ShopSettings
from bot.texts.operator_alerts import alert_panel_paused


async def announce_pause(settings: ShopSettings, outbox: Outbox, i18n: Catalogues) -> bool:
    """Queue the one operator alert of the current pause, if not done yet."""
    pause = await settings.panel_pause()
    if pause is None or pause.announced:
        return False
    with in_language(i18n, None):
        text = alert_panel_paused(pause.reason, pause.cause)
    await outbox.to_operators(
        text, dedupe_key=f"panel:paused:{pause.since.isoformat()}:{pause.cause.value}"
    )
    await settings.mark_panel_pause_announced()
    return True


async def pause_for_refusal(deps: Deps, error: ProviderError, *, need: Micro | None = None) -> bool:
    """Pause ordering when `error` is about the shop's account (in its own transaction);
    True when it was such a refusal."""
    issue = error.account_issue
    if issue is None:
        return False
    async with deps.session_factory() as session, session.begin():
        settings = ShopSettings.from_session(session, deps.clock)
        await settings.pause_panel(
            error.text, cause=issue, need=need if issue is AccountIssue.NO_FUNDS else None
        )
        await announce_pause(settings, Outbox.from_session(session, deps), deps.i18n)
    return True


__all__ = ["announce_pause", "pause_for_refusal"]
