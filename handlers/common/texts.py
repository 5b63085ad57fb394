"""Words every customer feature uses: order states, ledger kinds, field names, pages, the
apology and the out-of-date button."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext

from bot.i18n import pgettext
from bot.shop.enums import OrderState
from bot.texts.format import Markup, fmt, number

STATE_ICONS = {
    OrderState.SUBMITTING: "⏳",
    OrderState.ACTIVE: "🔄",
    OrderState.COMPLETED: "✅",
    OrderState.PARTIAL: "🟡",
    OrderState.CANCELED: "↩️",
    OrderState.FAILED: "⚠️",
    OrderState.UNKNOWN: "❓",
}


def state_name(state: OrderState) -> str:
    """The state said of an order ("Order #5 — completed"): in a context of its own, so
    that languages with gender agree with the word for an order ("Заказ #5 — выполнен")."""
    names = {
        OrderState.SUBMITTING: pgettext("order", "being placed"),
        OrderState.ACTIVE: pgettext("order", "in progress"),
        OrderState.COMPLETED: pgettext("order", "completed"),
        OrderState.PARTIAL: pgettext("order", "partially completed"),
        OrderState.CANCELED: pgettext("order", "canceled, refunded"),
        OrderState.FAILED: pgettext("order", "not placed, refunded"),
        OrderState.UNKNOWN: pgettext("order", "being checked"),
    }
    return names[state]


def drip_total(runs: int, total: int) -> Markup:
    """Runs x quantity per run = what is delivered in all ("5 runs × 1,000 = 5,000")."""
    return fmt(
        ngettext(
            "💧 In total: {runs} run × {per_run} = <b>{total}</b>",
            "💧 In total: {runs} runs × {per_run} = <b>{total}</b>",
            runs,
        ),
        runs=runs,
        per_run=number(total // runs),
        total=number(total),
    )


def duration(minutes: int) -> str:
    """A span of time in words, to the nearest sensible unit: "45 minutes", "2 hours 15
    minutes", "3 days 4 hours" (plural forms of the language)."""
    if minutes < 60:
        return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    if minutes < 1440:
        hours, rest = divmod(minutes, 60)
        text = ngettext("{n} hour", "{n} hours", hours).format(n=hours)
        rest = rest // 5 * 5  # "2 hours 13 minutes" pretends to a precision no median has
        if rest:
            text += " " + ngettext("{n} minute", "{n} minutes", rest).format(n=rest)
        return text
    days, rest = divmod(minutes, 1440)
    text = ngettext("{n} day", "{n} days", days).format(n=days)
    hours = rest // 60
    if hours:
        text += " " + ngettext("{n} hour", "{n} hours", hours).format(n=hours)
    return text


def cancelled() -> str:
    return _("Okay, cancelled. Nothing was ordered and nothing was charged.")


def page_suffix(page: int, pages: int) -> str:
    return "" if pages <= 1 else "\n" + fmt(_("Page {page} of {pages}"), page=page + 1, pages=pages)


_FIELD_NAMES: dict[str, Any] = {
    "link": __("Link"),
    "quantity": __("Quantity"),
    "runs": __("Runs"),
    "interval": __("Interval, min"),
    "comments": __("Comments"),
    "usernames": __("Usernames"),
    "keywords": __("Keywords"),
    "groups": __("Groups"),
    "hashtags": __("Hashtags"),
    "hashtag": __("Hashtag"),
    "username": __("Username"),
    "media": __("Media"),
    "answer_number": __("Answer"),
    "min": __("Min per post"),
    "max": __("Max per post"),
    "posts": __("Posts"),
    "old_posts": __("Old posts"),
    "delay": __("Delay, min"),
    "expiry": __("Until"),
}


def field_name(name: str) -> str:
    return str(_FIELD_NAMES.get(name, name))


def ledger_kind(kind: str) -> str:
    names = {
        "topup": _("top-up"),
        "charge": _("order"),
        "refund": _("refund"),
        "adjustment": _("adjustment"),
        "referral": _("referral reward"),
        "promo": _("promo"),
    }
    return names.get(str(kind), str(kind))


def apology() -> str:
    return _(
        "Sorry, something went wrong on our side. Please try again in a moment; if you were "
        "ordering, check /orders first."
    )


def stale_button() -> str:
    return _("This button is out of date. Send /start for the current menu.")
