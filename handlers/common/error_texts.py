"""Domain errors in the customer's words: one table, by the error's type."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.shop.errors import (
    AlreadyRefunded,
    InsufficientFunds,
    InvalidAmount,
    InvalidOrderField,
    NotAWholeNumber,
    NotFound,
    NotYours,
    PriceChanged,
    ProviderPaused,
    QuantityOutOfRange,
    ServiceUnavailable,
    ShopError,
    TransitionNotAllowed,
)
from bot.shop.tracking import (
    ActionNotAvailable,
    CancelAlreadyRequested,
    PanelDeclined,
    PanelUnavailable,
)
from bot.texts.format import ErrorTable, error_text, fmt, money, number
from handlers.common.texts import field_name


def shortfall(error: InsufficientFunds, currency: str) -> str:
    return fmt(
        _(
            "Not enough on your balance: the order costs {needed}, you have {available}.\n"
            "Top up <b>{missing}</b> and confirm again — your order is kept."
        ),
        needed=money(error.needed, currency),
        available=money(error.available, currency),
        missing=money(error.missing, currency),
    )


def price_changed(error: PriceChanged, currency: str) -> str:
    return fmt(
        _(
            "The price changed while you were ordering: it is now {current} instead of {quoted}. "
            "Please check the summary again."
        ),
        current=money(error.current, currency),
        quoted=money(error.quoted, currency),
    )


def _quantity(error: QuantityOutOfRange, currency: str) -> str:
    if error.field in {"comments", "usernames"}:
        return fmt(_("Send from {min} to {max} lines."), min=error.min, max=error.max)
    return fmt(
        _("Send a number from {min} to {max}."), min=number(error.min), max=number(error.max)
    )


def _not_found(error: NotFound | NotYours, currency: str) -> str:
    return _("Not found. It may have been removed, or it is not yours.")


CUSTOMER_ERRORS: ErrorTable = {
    QuantityOutOfRange: _quantity,
    NotAWholeNumber: lambda e, c: fmt(
        _("Please send a whole number from {min} to {max}, in digits."),
        min=number(e.min),
        max=number(e.max),
    ),
    InvalidOrderField: lambda e, c: _field_error(e.field, e.reason),
    InsufficientFunds: shortfall,
    PriceChanged: price_changed,
    ServiceUnavailable: lambda e, c: _(
        "This service is not available any more. Please choose another one."
    ),
    ProviderPaused: lambda e, c: _(
        "Ordering is temporarily unavailable. Nothing was charged; please try again "
        "a bit later — your order form is kept."
    ),
    NotFound: _not_found,
    NotYours: _not_found,
    AlreadyRefunded: lambda e, c: _("This order has already been refunded in full."),
    TransitionNotAllowed: lambda e, c: _("This order has already moved on; nothing was changed."),
    InvalidAmount: lambda e, c: _("That is not a valid amount."),
    # What the panel says to a customer's refresh, refill or cancel of an order.
    # The panel's own words are English and meant for operators: the customer gets ours.
    PanelDeclined: lambda e, c: panel_reason(e.text),
    CancelAlreadyRequested: lambda e, c: _(
        "You have already asked to cancel this order. The refund follows as soon as the "
        "provider confirms it."
    ),
    PanelUnavailable: lambda e, c: _(
        "The provider is not reachable right now. Please try again in a few minutes."
    ),
    ActionNotAvailable: lambda e, c: _("This is not possible for this order right now."),
    ShopError: lambda e, c: _("That did not work. Please try again."),
}
"""The customer's words for every domain error: the one place they are chosen."""


def customer_error(error: ShopError, currency: str) -> str:
    return error_text(CUSTOMER_ERRORS, error, currency)


# What panels say when they refuse a refill or a cancellation (compared in lower case, by
# a part of the text: panels word them slightly differently).
_CANCEL_CLOSED = ("cancel is not available", "cancel is disabled", "cannot be cancel")
_NOT_FOUND = ("incorrect order id", "order not found")
_REFILL_CLOSED = ("refill is not available", "refill is disabled")
_REFILL_EARLY = ("not completed yet",)
_REFILL_OPEN = ("refill is already",)


def panel_reason(text: str | None) -> str:
    """A panel's refusal of a customer's refill or cancellation, in the customer's words:
    the known refusals by what they mean, anything else as a general refusal."""
    said = (text or "").lower()

    def says(parts: tuple[str, ...]) -> bool:
        return any(part in said for part in parts)

    if says(_CANCEL_CLOSED):
        return _("The provider cannot cancel this order any more. It goes on as planned.")
    if says(_NOT_FOUND):
        return _(
            "The provider could not find this order just now. Please try again later; "
            "if it keeps happening, contact support."
        )
    if says(_REFILL_CLOSED):
        return _("The provider does not offer a refill for this order.")
    if says(_REFILL_EARLY):
        return _("A refill is possible only once the order is completed.")
    if says(_REFILL_OPEN):
        return _("A refill is already in progress for this order.")
    return _("The provider declined this request. Nothing was changed; please try again later.")


def _field_error(field: str, reason: str) -> str:
    messages = {
        "not_a_whole_number": _("Please send a whole number, in digits."),
        "bad_link": _(
            "That does not look like a link. Send the address of the post, video or profile, "
            "like instagram.com/p/abc123"
        ),
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
        reason, fmt(_("“{field}” is not valid. Please check it."), field=field_name(field))
    )
