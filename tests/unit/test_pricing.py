"""Pricing: examples, and properties that hold for any rate, quantity and markup."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.shop.errors import InvalidAmount, InvalidMarkup, QuantityOutOfRange
from bot.shop.money import MICRO_PER_UNIT, minor_unit
from bot.shop.pricing import check_markup, price_order, refund_share, resolve_markup

ONE = Decimal(1)


def _price(rate: str, quantity: int, **kw: object) -> tuple[int, int]:
    args: dict[str, object] = {
        "flat": False,
        "currency_rate": ONE,
        "markup_percent": Decimal(30),
        "currency": "USD",
    }
    args.update(kw)
    quote = price_order(Decimal(rate), quantity, **args)  # type: ignore[arg-type]
    return quote.cost, quote.charge


def test_per_thousand_with_markup() -> None:
    # 0.90 per 1000, 500 units: cost 0.45, +30% = 0.585 -> 0.59 (rounded up)
    assert _price("0.90", 500) == (450_000, 590_000)


def test_flat_price_ignores_quantity() -> None:
    assert _price("2.00", 1, flat=True) == (2_000_000, 2_600_000)
    assert _price("2.00", 37, flat=True) == (2_000_000, 2_600_000)


def test_drip_feed_prices_all_runs() -> None:
    quote = price_order(
        Decimal("1.00"),
        100,
        flat=False,
        runs=5,
        currency_rate=ONE,
        markup_percent=Decimal(0),
        currency="USD",
    )
    assert (quote.quantity, quote.cost, quote.charge) == (500, 500_000, 500_000)


def test_currency_rate_and_whole_unit_currency() -> None:
    # 1.00 per 1000 USD, 1000 units, 1 USD = 50 Stars-like units, +10%: 55 exactly
    assert _price(
        "1.00", 1000, currency_rate=Decimal(50), markup_percent=Decimal(10), currency="XTR"
    ) == (50_000_000, 55_000_000)
    # 0.01 of cost becomes a whole unit
    assert _price("0.01", 1000, currency="XTR", markup_percent=Decimal(0)) == (10_000, 1_000_000)


def test_cost_finer_than_micro_rounds_up() -> None:
    # 0.0001 per 1000, 1 unit: 1e-7 of cost -> 1 micro-unit; charge at least a cent
    assert _price("0.0001", 1) == (1, 10_000)


def test_free_service_still_costs_a_minor_unit() -> None:
    assert _price("0", 100) == (0, 10_000)


def test_price_override_replaces_markup_but_not_below_cost() -> None:
    assert _price("1.00", 1000, price_override=Decimal("5.00")) == (1_000_000, 5_000_000)
    assert _price("1.00", 1000, price_override=Decimal("0.50")) == (1_000_000, 1_000_000)


@pytest.mark.parametrize(
    ("kw", "error"),
    [
        ({"markup_percent": Decimal(-1)}, InvalidMarkup),
        ({"markup_percent": Decimal("NaN")}, InvalidMarkup),
        ({"currency_rate": Decimal(0)}, InvalidAmount),
        ({"runs": 0}, QuantityOutOfRange),
    ],
)
def test_refusals(kw: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        _price("1.00", 100, **kw)


def test_negative_rate_and_quantity_refused() -> None:
    with pytest.raises(InvalidAmount):
        _price("-1", 100)
    with pytest.raises(QuantityOutOfRange):
        _price("1", 0)


def test_resolve_markup_precedence() -> None:
    d = Decimal(30)
    assert resolve_markup(Decimal(5), Decimal(10), Decimal(20), d) == Decimal(5)
    assert resolve_markup(None, Decimal(10), Decimal(20), d) == Decimal(10)
    assert resolve_markup(None, None, Decimal(20), d) == Decimal(20)
    assert resolve_markup(None, None, None, d) == d
    assert resolve_markup(Decimal(0), Decimal(10), None, d) == Decimal(0)  # 0 is a markup


def test_check_markup() -> None:
    assert check_markup(Decimal("12.5")) == Decimal("12.5")
    with pytest.raises(InvalidMarkup):
        check_markup(Decimal("-0.01"))


def test_refund_share_examples() -> None:
    assert refund_share(1_000_000, 250, 1000, "USD") == 250_000
    assert refund_share(1_000_000, 333, 1000, "USD") == 330_000  # 0.333 -> 0.33
    assert refund_share(590_000, 1, 3, "USD") == 190_000  # 0.19666 -> 0.19
    assert refund_share(3_000_000, 1, 2, "XTR") == 1_000_000  # 1.5 Stars -> 1
    assert refund_share(1_000_000, 0, 1000, "USD") == 0
    assert refund_share(1_000_000, None, 1000, "USD") == 0


def test_refund_share_clamps_provider_nonsense() -> None:
    assert refund_share(1_000_000, -5, 1000, "USD") == 0
    assert refund_share(1_000_000, 10**12, 1000, "USD") == 1_000_000
    assert refund_share(1_000_000, 1000, 1000, "USD") == 1_000_000
    assert refund_share(0, 10, 100, "USD") == 0


# -------------------------------------------------------------------- properties

currencies = st.sampled_from(["USD", "XTR", "KWD"])
rates = st.decimals(min_value=0, max_value=10_000, places=6, allow_nan=False, allow_infinity=False)
markups = st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False, allow_infinity=False)
currency_rates = st.decimals(
    min_value=Decimal("0.0001"), max_value=10_000, places=4, allow_nan=False, allow_infinity=False
)


@given(
    rates,
    st.integers(1, 10**7),
    st.booleans(),
    st.none() | st.integers(1, 100),
    currency_rates,
    markups,
    currencies,
)
def test_charge_never_below_cost_times_markup(
    rate: Decimal,
    quantity: int,
    flat: bool,
    runs: int | None,
    currency_rate: Decimal,
    markup: Decimal,
    currency: str,
) -> None:
    quote = price_order(
        rate,
        quantity,
        flat=flat,
        runs=runs,
        currency_rate=currency_rate,
        markup_percent=markup,
        currency=currency,
    )
    units = Decimal(1) if flat else Decimal(quantity * (runs or 1)) / 1000
    exact_cost = rate * units * currency_rate * MICRO_PER_UNIT  # in micro-units, unrounded
    assert quote.cost >= exact_cost
    assert quote.charge >= exact_cost * (1 + markup / 100)
    assert quote.charge >= quote.cost * (1 + markup / 100)
    assert quote.charge % minor_unit(currency) == 0
    assert quote.charge > 0
    # ... and not more than a rounding step above the exact price (no hidden extra).
    assert quote.charge < quote.cost * (1 + markup / 100) + 1 + minor_unit(currency)


@given(st.integers(0, 10**12), st.integers(-(10**9), 10**9), st.integers(1, 10**9), currencies)
def test_refund_never_above_charge(charge: int, remains: int, quantity: int, currency: str) -> None:
    refund = refund_share(charge, remains, quantity, currency)
    assert 0 <= refund <= charge


@given(rates, st.integers(1, 10**6), st.integers(0, 10**6), currency_rates, markups, currencies)
def test_rounding_never_favours_the_customer(
    rate: Decimal,
    quantity: int,
    remains: int,
    currency_rate: Decimal,
    markup: Decimal,
    currency: str,
) -> None:
    """What the customer finally pays covers the exact price of what was delivered."""
    assume(remains <= quantity)
    quote = price_order(
        rate,
        quantity,
        flat=False,
        currency_rate=currency_rate,
        markup_percent=markup,
        currency=currency,
    )
    refund = refund_share(quote.charge, remains, quantity, currency)
    exact_price = rate * Decimal(quantity) / 1000 * currency_rate * MICRO_PER_UNIT
    exact_price *= 1 + markup / 100
    delivered = Decimal(quantity - remains) / quantity
    assert quote.charge - refund >= exact_price * delivered
    # The refund is never more than the exact share of the undelivered units' price paid.
    assert refund <= Decimal(quote.charge) * remains / quantity
    # Refund plus kept money is the charge: nothing invented, nothing lost.
    assert (quote.charge - refund) + refund == quote.charge


@given(rates, st.integers(1, 10**5), st.integers(2, 20), currency_rates, markups, currencies)
def test_splitting_an_order_never_pays_less(
    rate: Decimal,
    quantity: int,
    parts: int,
    currency_rate: Decimal,
    markup: Decimal,
    currency: str,
) -> None:
    """Buying in several orders never costs less than the exact price of the whole."""
    kw = {
        "flat": False,
        "currency_rate": currency_rate,
        "markup_percent": markup,
        "currency": currency,
    }
    whole = price_order(rate, quantity * parts, **kw)  # type: ignore[arg-type]
    split = sum(price_order(rate, quantity, **kw).charge for _ in range(parts))  # type: ignore[arg-type]
    exact = rate * Decimal(quantity * parts) / 1000 * currency_rate * MICRO_PER_UNIT
    assert split >= exact * (1 + markup / 100)
    assert whole.charge >= exact * (1 + markup / 100)
