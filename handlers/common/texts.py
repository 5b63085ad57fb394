"""Words every customer feature uses: order states, ledger kinds, field names, pages, the
apology and the out-of-date button."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.shop.enums import OrderState
from bot.texts.format import fmt

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
    names = {
        OrderState.SUBMITTING: _("being placed"),
        OrderState.ACTIVE: _("in progress"),
        OrderState.COMPLETED: _("completed"),
        OrderState.PARTIAL: _("partially completed"),
        OrderState.CANCELED: _("canceled, refunded"),
        OrderState.FAILED: _("not placed, refunded"),
        OrderState.UNKNOWN: _("being checked"),
    }
    return names[state]


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
