"""Admins' typed arguments: a customer reference, an amount to credit or debit, a
markup percent, a provider's order id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.numbers import parse_whole
from bot.shop.errors import InvalidAmount, InvalidMarkup, InvalidOrderField
from bot.shop.money import Micro, minor_unit, parse_amount, to_micro

MAX_ADJUSTMENT_UNITS = 100_000  # the largest /credit or /debit, in shop currency units
MAX_MARKUP = Decimal(1000)  # percent
MARKUP_DECIMALS = 2

_USERNAME = re.compile(r"^@([A-Za-z0-9_]{3,32})$")


@dataclass(frozen=True, slots=True)
class UserRef:
    """A customer as an admin names them: a Telegram id or an @username."""

    telegram_id: int | None = None
    username: str | None = None

    def __str__(self) -> str:
        return f"@{self.username}" if self.username else str(self.telegram_id)


def parse_user_ref(text: str) -> UserRef | None:
    text = text.strip()
    if (telegram_id := parse_whole(text, low=1)) is not None:
        return UserRef(telegram_id=telegram_id)
    if match := _USERNAME.match(text):
        return UserRef(username=match.group(1))
    return None


def max_adjustment() -> Micro:
    return to_micro(MAX_ADJUSTMENT_UNITS)


def parse_adjustment(text: str, currency: str) -> Micro:
    """A positive amount with at most the currency's decimals, up to the ceiling."""
    amount = parse_amount(text)  # InvalidAmount for text, zero, negatives
    if amount % minor_unit(currency) or amount > max_adjustment():
        raise InvalidAmount(text)
    return amount


def parse_percent(text: str) -> Decimal:
    """A markup from 0 to 1000 percent with at most two decimals ("30", "12.5", "7,25%")."""
    cleaned = text.strip().removesuffix("%").replace(",", ".")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", cleaned):
        raise InvalidMarkup(text)
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise InvalidMarkup(text) from None
    exponent = percent.normalize().as_tuple().exponent
    if percent > MAX_MARKUP or (isinstance(exponent, int) and exponent < -MARKUP_DECIMALS):
        raise InvalidMarkup(text)
    return percent


def parse_provider_order_id(text: str) -> str:
    """A panel's order id as panels give them: a whole number 1..2^63-1."""
    value = parse_whole(text.strip().removeprefix("#"), low=1)
    if value is None:
        raise InvalidOrderField("provider_order_id", "invalid")
    return str(value)


__all__ = [
    "MARKUP_DECIMALS",
    "MAX_ADJUSTMENT_UNITS",
    "MAX_MARKUP",
    "UserRef",
    "max_adjustment",
    "parse_adjustment",
    "parse_percent",
    "parse_provider_order_id",
    "parse_user_ref",
]
