"""A broadcast's progress and report, to the admin who started it: sent, blocked the bot,
failed and left (in all and per language), its state and the time left at the
configured rate. Pure functions of data, gettext, HTML."""

from __future__ import annotations

import math

from aiogram.utils.i18n import gettext as _

from bot.i18n import LANGUAGE_NAMES
from bot.shop.admin_broadcast import BroadcastProgress
from bot.shop.enums import BroadcastState
from bot.texts.format import fmt


def _language(code: str | None) -> str:
    return LANGUAGE_NAMES.get(code or "", code or "—")


def eta(seconds: int) -> str:
    """Hours and minutes, abbreviated (no plural forms needed)."""
    if seconds < 60:
        return _("under a minute")
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return fmt(_("≈ {minutes} min"), minutes=minutes)
    return fmt(_("≈ {hours} h {minutes} min"), hours=minutes // 60, minutes=minutes % 60)


def _headline(p: BroadcastProgress) -> str:
    figures = {
        "sent": p.sent,
        "blocked": p.blocked,
        "failed": p.failed,
        "pending": p.pending,
        "not_sent": p.not_sent,
        "total": p.total,
    }
    if p.state == BroadcastState.CANCELLED:
        return fmt(
            _(
                "⏹ Broadcast cancelled: {sent} sent, {blocked} blocked the bot, {failed} "
                "failed; {not_sent} not sent (of {total})."
            ),
            **figures,
        )
    if p.state == BroadcastState.DONE or p.pending == 0:
        return fmt(
            _(
                "📣 Broadcast done: {sent} sent, {blocked} blocked the bot, {failed} failed "
                "(of {total})."
            ),
            **figures,
        )
    if p.state == BroadcastState.PAUSED:
        return fmt(
            _(
                "⏸ Broadcast paused: {sent} sent, {blocked} blocked the bot, {failed} failed, "
                "{pending} waiting (of {total}). Nothing more goes out until you resume it."
            ),
            **figures,
        )
    return fmt(
        _(
            "📣 Broadcast: {sent} sent, {blocked} blocked the bot, {failed} failed, {pending} "
            "waiting (of {total})."
        ),
        **figures,
    )


def _language_line(part: BroadcastProgress) -> str:
    if part.state == BroadcastState.CANCELLED:
        text: str = fmt(
            _(
                "• {language}: {sent} sent, {blocked} blocked the bot, {failed} failed, "
                "{not_sent} not sent (of {total})"
            ),
            language=_language(part.language),
            sent=part.sent,
            blocked=part.blocked,
            failed=part.failed,
            not_sent=part.not_sent,
            total=part.total,
        )
        return text
    return fmt(
        _(
            "• {language}: {sent} sent, {blocked} blocked the bot, {failed} failed, "
            "{pending} waiting (of {total})"
        ),
        language=_language(part.language),
        sent=part.sent,
        blocked=part.blocked,
        failed=part.failed,
        pending=part.pending,
        total=part.total,
    )


def broadcast_status(p: BroadcastProgress, rate: float) -> str:
    """The headline for its state, a line per language when it went out in several, and
    while it is sending the time left at `rate` messages a second (order notifications
    share that rate and go first, so it is a lower bound)."""
    lines = [_headline(p), *(_language_line(part) for part in p.languages)]
    if p.eta_seconds is not None:
        lines.append(
            fmt(
                _("⏱ {eta} to go at {rate} messages a second."),
                eta=eta(p.eta_seconds),
                rate=f"{rate:g}",
            )
        )
    return "\n".join(lines)


__all__ = ["broadcast_status", "eta"]
