"""Micro-unit money: exact parsing, rounding to the minor unit, display."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.shop.errors import InvalidAmount
from bot.shop.money import (
    MAX_AMOUNT,
    check_positive,
    format_amount,
    from_micro,
    minor_digits,
    minor_unit,
    parse_amount,
    round_down,
    round_up,
    to_micro,
    to_micro_ceil,
)


def test_minor_units() -> None:
    assert minor_digits("USD") == 2 and minor_unit("USD") == 10_000
    assert minor_digits("xtr") == 0 and minor_unit("XTR") == 1_000_000
    assert minor_unit("KWD") == 1_000
    assert minor_digits("ABC") == 2  # unknown: cents


@pytest.mark.parametrize(
    ("value", "micro"),
    [
        (Decimal("1"), 1_000_000),
        (Decimal("0.27819"), 278_190),
        ("0.000001", 1),
        (" 12.5 ", 12_500_000),
        (3, 3_000_000),
        (Decimal("-2.5"), -2_500_000),
        (Decimal("1E+2"), 100_000_000),
        (Decimal("123456789012.123456"), 123_456_789_012_123_456),
    ],
)
def test_to_micro_is_exact(value: object, micro: int) -> None:
    assert to_micro(value) == micro  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", [Decimal("0.0000001"), "1.1234567", 1.5, True, "abc", Decimal("NaN"), "Infinity", None]
)
def test_to_micro_refuses_what_it_cannot_hold(value: object) -> None:
    with pytest.raises(InvalidAmount):
        to_micro(value)  # type: ignore[arg-type]


def test_provider_amounts_finer_than_micro_round_up() -> None:
    assert to_micro_ceil("0.0000001") == 1
    assert to_micro_ceil(Decimal("0.27819")) == 278_190
    assert to_micro_ceil("-0.0000019") == -1


@pytest.mark.parametrize(
    ("text", "micro"),
    [
        ("10", 10_000_000),
        ("2.5", 2_500_000),
        ("2,50", 2_500_000),
        (" 1 000.00 ", 1_000_000_000),
        ("0.000001", 1),
    ],
)
def test_parse_amount(text: str, micro: int) -> None:
    assert parse_amount(text) == micro


@pytest.mark.parametrize(
    "text", ["", "0", "0.00", "-1", "1e3", "1.2.3", "1,000.00", "abc", "0.0000001", "1" * 20]
)
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(text)


@pytest.mark.parametrize("amount", [0, -1, 1.0, True, "5", None, MAX_AMOUNT + 1])
def test_check_positive_refuses(amount: object) -> None:
    with pytest.raises(InvalidAmount):
        check_positive(amount)


def test_rounding_to_minor_unit() -> None:
    assert round_up(1, "USD") == 10_000
    assert round_up(10_000, "USD") == 10_000
    assert round_down(19_999, "USD") == 10_000
    assert round_up(1, "XTR") == 1_000_000
    assert round_down(1_999_999, "XTR") == 1_000_000
    assert round_up(-15_000, "USD") == -10_000  # towards +inf
    assert round_down(-15_000, "USD") == -20_000  # towards -inf


@given(st.integers(-(10**15), 10**15), st.sampled_from(["USD", "XTR", "KWD"]))
def test_rounding_brackets_the_amount(amount: int, currency: str) -> None:
    step = minor_unit(currency)
    down, up = round_down(amount, currency), round_up(amount, currency)
    assert down <= amount <= up
    assert up - down in (0, step)
    assert down % step == 0 and up % step == 0


def test_format_amount() -> None:
    assert format_amount(12_500_000, "USD") == "12.50"
    assert format_amount(12_509_999, "USD") == "12.50"  # never shown larger than it is
    assert format_amount(7_000_000, "XTR", code=True) == "7 XTR"
    assert format_amount(-1_500_000, "usd", code=True) == "-1.50 USD"
    assert format_amount(-1, "USD") == "0.00"
    assert format_amount(0, "USD") == "0.00"


@given(st.integers(-(10**18), 10**18))
def test_micro_round_trip(amount: int) -> None:
    assert to_micro(from_micro(amount)) == amount
