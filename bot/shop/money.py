"""Money as integers of micro-units (1e-6) of the shop currency.

Arithmetic goes through Decimal; a float never touches an amount. Each currency has a
minor unit (a cent for USD, one whole Star for XTR): charges are rounded up to it and
refunds down, so rounding always favours the shop and never invents money.
"""

from __future__ import annotations

import re
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    Context,
    Decimal,
    InvalidOperation,
    localcontext,
)

from bot.shop.errors import InvalidAmount

Micro = int
"""An amount in micro-units (1e-6) of a currency."""

MICRO_DIGITS = 6
MICRO_PER_UNIT: Micro = 10**MICRO_DIGITS
# The largest single amount accepted (1e12 units): far below BIGINT's 9.2e18, so sums of
# many of them still fit a balance column.
MAX_AMOUNT: Micro = 10**18

# Digits after the point of each currency's minor unit; anything not listed has 2.
# XTR (Telegram Stars) and other whole-unit currencies are indivisible.
_MINOR_DIGITS: dict[str, int] = {
    "XTR": 0,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "UGX": 0,
    "PYG": 0,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}
_DEFAULT_MINOR_DIGITS = 2
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,13}(\.[0-9]{0,6})?|\.[0-9]{1,6}")
# Enough digits that scaling never rounds: amounts are far shorter than this.
_PRECISION = 60
# The same precision as a context passed to each operation: the status poller converts
# tens of thousands of panel charges a cycle, and entering a local context for each
# (copying the thread's context and setting it twice) costs more than the arithmetic.
_SCALING = Context(prec=_PRECISION)


def minor_digits(currency: str) -> int:
    """Digits after the point of the currency's minor unit (USD 2, XTR 0)."""
    return _MINOR_DIGITS.get(currency.upper(), _DEFAULT_MINOR_DIGITS)


def minor_unit(currency: str) -> Micro:
    """The currency's smallest payable step, in micro-units (USD: 10_000)."""
    return 10 ** (MICRO_DIGITS - minor_digits(currency))


def _as_decimal(value: Decimal | int | str) -> Decimal:
    # bool is an int, float is inexact: both are refused rather than guessed at.
    if isinstance(value, (bool, float)):
        raise InvalidAmount(value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidAmount(value) from None
    else:
        raise InvalidAmount(value)
    if not number.is_finite():
        raise InvalidAmount(value)
    return number


def to_micro(value: Decimal | int | str) -> Micro:
    """Exact conversion of an amount in currency units to micro-units.

    More precision than a micro-unit is refused (InvalidAmount), never rounded away.
    """
    number = _as_decimal(value)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        scaled = number.scaleb(MICRO_DIGITS)
        if scaled != scaled.to_integral_value():
            raise InvalidAmount(value)
        return int(scaled)


def to_micro_ceil(value: Decimal | int | str) -> Micro:
    """Micro-units of a provider amount, rounded up when it is finer than a micro-unit.

    For costs: rounding a cost up can only make the shop's price higher, never lower.
    """
    number = _as_decimal(value)
    scaled = number.scaleb(MICRO_DIGITS, context=_SCALING)
    return int(scaled.to_integral_value(rounding=ROUND_CEILING, context=_SCALING))


def to_micro_floor(value: Decimal | int | str) -> Micro:
    """Micro-units of a provider amount, rounded down when it is finer than a micro-unit.

    For what is on hand (a panel balance): never recorded as more than it is.
    """
    number = _as_decimal(value)
    scaled = number.scaleb(MICRO_DIGITS, context=_SCALING)
    return int(scaled.to_integral_value(rounding=ROUND_FLOOR, context=_SCALING))


def from_micro(amount: Micro) -> Decimal:
    """The amount in currency units, exactly."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return Decimal(amount).scaleb(-MICRO_DIGITS)


def parse_amount(text: str) -> Micro:
    """A positive amount typed by a person: "10", "2.5", "2,50", " 1 000.00 ".

    Raises InvalidAmount for anything else, for zero and negatives, and for more
    precision than a micro-unit.
    """
    cleaned = text.strip()[:64].replace("\u00a0", "").replace(" ", "").replace(",", ".")
    # ASCII digits only, and few of them: an amount is never longer than this.
    if not _PLAIN_AMOUNT.fullmatch(cleaned):
        raise InvalidAmount(text[:40])
    amount = to_micro(cleaned)
    if amount <= 0 or amount > MAX_AMOUNT:
        raise InvalidAmount(text)
    return amount


def check_positive(amount: object) -> Micro:
    """The amount itself when it is a positive int of micro-units; InvalidAmount otherwise."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidAmount(amount)
    return amount


def round_up(amount: Micro, currency: str) -> Micro:
    """Up to the next minor unit (towards +inf): for charges."""
    step = minor_unit(currency)
    return -(-amount // step) * step


def round_down(amount: Micro, currency: str) -> Micro:
    """Down to the minor unit (towards -inf): for refunds."""
    step = minor_unit(currency)
    return (amount // step) * step


def format_amount(amount: Micro, currency: str, *, code: bool = False) -> str:
    """Plain text of the amount with the currency's digits ("12.50", "7"; "12.50 USD").

    Digits beyond the minor unit are cut towards zero: a balance is never shown larger
    than it is. Locale-specific grouping is the i18n layer's business.
    """
    digits = minor_digits(currency)
    text = f"{from_micro(amount).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_DOWN):f}"
    if text.startswith("-") and Decimal(text) == 0:
        text = text[1:]
    return f"{text} {currency.upper()}" if code else text


__all__ = [
    "MAX_AMOUNT",
    "MICRO_DIGITS",
    "MICRO_PER_UNIT",
    "Micro",
    "check_positive",
    "format_amount",
    "from_micro",
    "minor_digits",
    "minor_unit",
    "parse_amount",
    "round_down",
    "round_up",
    "to_micro",
    "to_micro_ceil",
    "to_micro_floor",
]
