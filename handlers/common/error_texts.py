"""Domain errors in the customer's words."""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import gettext as _

from bot.shop.errors import (
    AlreadyRefunded,
    InsufficientFunds,
    InvalidAmount,
    InvalidOrderField,
    NotFound,
    NotYours,
    PriceChanged,
    ProviderPaused,
    QuantityOutOfRange,
    ServiceUnavailable,
    ShopError,
    TransitionNotAllowed,
)
from bot.texts.format import money
from handlers.common.texts import field_name


def shortfall(error: InsufficientFunds, currency: str) -> str:
    return _(
        "Not enough on your balance: the order costs {needed}, you have {available}.\n"
        "Top up <b>{missing}</b> and confirm again — your order is kept."
    ).format(
        needed=money(error.needed, currency),
        available=money(error.available, currency),
        missing=money(error.missing, currency),
    )


def price_changed(error: PriceChanged, currency: str) -> str:
    return _(
        "The price changed while you were ordering: it is now {current} instead of {quoted}. "
        "Please check the summary again."
    ).format(current=money(error.current, currency), quoted=money(error.quoted, currency))


def panel_said_no(reason: str | None) -> str:
    return _("The provider declined: {reason}").format(reason=escape((reason or "")[:200]))


def action_not_available() -> str:
    return _("This is not possible for this order right now.")


def provider_unavailable() -> str:
    return _("The provider is not reachable right now. Please try again in a few minutes.")


def shop_error(error: ShopError, currency: str) -> str:
    """The one place where domain errors become words for the customer."""
    match error:
        case QuantityOutOfRange(min=low, max=high, field=field):
            if field in {"comments", "usernames"}:
                return _("Send from {min} to {max} lines.").format(min=low, max=high)
            return _("Send a number from {min} to {max}.").format(min=low, max=high)
        case InvalidOrderField(reason=reason, field=field):
            return _field_error(field, reason)
        case InsufficientFunds():
            return shortfall(error, currency)
        case PriceChanged():
            return price_changed(error, currency)
        case ServiceUnavailable():
            return _("This service is not available any more. Please choose another one.")
        case ProviderPaused():
            return _(
                "Ordering is temporarily unavailable. Nothing was charged; please try again "
                "a bit later — your order form is kept."
            )
        case NotFound() | NotYours():
            return _("Not found. It may have been removed, or it is not yours.")
        case AlreadyRefunded():
            return _("This order has already been refunded in full.")
        case TransitionNotAllowed():
            return _("This order has already moved on; nothing was changed.")
        case InvalidAmount():
            return _("That is not a valid amount.")
    return _("That did not work. Please try again.")


def _field_error(field: str, reason: str) -> str:
    messages = {
        "not_a_whole_number": _("Please send a whole number, like 1000."),
        "bad_link": _("That does not look like a link. Send a full link starting with https://"),
        "empty": _("Please send at least one line."),
        "too_long": _("That is too long. Send fewer or shorter lines."),
        "line_too_long": _("One of the lines is too long (300 characters at most)."),
        "bad_username": _("Usernames may contain only letters, digits, dots and underscores."),
        "bad_hashtag": _("Send one hashtag, letters and digits only, like #travel."),
        "not_allowed": _("Please choose one of the buttons."),
        "bad_date": _("Send a date like 31/12/2026."),
        "past_date": _("That date has passed. Send a date in the future."),
    }
    return messages.get(
        reason, _("“{field}” is not valid. Please check it.").format(field=field_name(field))
    )
