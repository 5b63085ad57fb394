"""Customer prices from provider rates, and refund shares.

Pure functions, no I/O. Provider `rate` is the price per 1000 units in the provider's
currency (per order for flat-price types). The shop's price is

    cost   = rate x units / 1000 x currency rate      (rounded up to a micro-unit)
    charge = cost x (1 + markup / 100)                (rounded up to the minor unit)

and a refund of the undelivered share is rounded down, so every rounding step is in the
shop's favour and the shop never sells below cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, localcontext

from bot.shop.errors import InvalidAmount, InvalidMarkup, QuantityOutOfRange
from bot.shop.money import MICRO_PER_UNIT, Micro, minor_unit, round_down, round_up

_PRECISION = 60  # wide enough that no intermediate product is ever rounded
_THOUSAND = Decimal(1000)
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class PricingConfig:
    """The shop-wide pricing inputs (SHOP_CURRENCY, CURRENCY_RATE, MARKUP_PERCENT)."""

    currency: str = "USD"
    currency_rate: Decimal = Decimal(1)  # shop currency units per provider currency unit
    default_markup: Decimal = Decimal(30)  # percent, when no markup row applies
    # PROVIDER_<NAME>_CURRENCY_RATE by providers row id; a panel not here uses the above.
    panel_rates: Mapping[int, Decimal] = field(default_factory=dict)

    def rate_of(self, provider_id: int | None) -> Decimal:
        """Shop units per unit of the currency of the panel behind `provider_id`."""
        if provider_id is None:
            return self.currency_rate
        return self.panel_rates.get(provider_id, self.currency_rate)


@dataclass(frozen=True, slots=True)
class Quote:
    quantity: int  # units delivered in total (quantity x runs); refund shares use it
    cost: Micro  # what the provider will take, in the shop currency, rounded up
    charge: Micro  # what the customer pays, a whole number of minor units
    markup_percent: Decimal
    currency: str
    # The charge before it is rounded up to the minor unit, in micro-units: a unit price
    # shown from it lets a customer check a total ("0.7018 per 1000": 5,000 cost 3.51).
    exact: Micro = 0


def check_markup(percent: Decimal) -> Decimal:
    """The markup itself if the shop accepts it: finite and not negative (never below cost)."""
    if not isinstance(percent, Decimal) or not percent.is_finite() or percent < 0:
        raise InvalidMarkup(percent)
    return percent


def resolve_markup(
    service: Decimal | None,
    category: Decimal | None,
    global_: Decimal | None,
    default: Decimal,
) -> Decimal:
    """The most specific markup set: service > category > global > the configured default."""
    for percent in (service, category, global_):
        if percent is not None:
            return percent
    return default


def _ceil_micro(value: Decimal) -> Micro:
    return int((value * MICRO_PER_UNIT).to_integral_value(rounding=ROUND_CEILING))


def price_order(
    rate: Decimal,
    quantity: int,
    *,
    flat: bool,
    runs: int | None = None,
    currency_rate: Decimal,
    markup_percent: Decimal,
    currency: str,
    price_override: Decimal | None = None,
) -> Quote:
    """The quote for `quantity` units (per run, for drip-feed) of a service.

    Flat-price services cost `rate` per order whatever the quantity. `price_override` is
    the admin's own customer rate in the shop currency (per 1000, or per order); it
    replaces the markup but is still never below cost. The charge is at least one minor
    unit: the shop gives nothing away by rounding.
    """
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0:
        raise InvalidAmount(rate)
    if (
        not isinstance(currency_rate, Decimal)
        or not currency_rate.is_finite()
        or currency_rate <= 0
    ):
        raise InvalidAmount(currency_rate)
    check_markup(markup_percent)
    if quantity < 1:
        raise QuantityOutOfRange(quantity, 1, quantity)
    if runs is not None and runs < 1:
        raise QuantityOutOfRange(runs, 1, runs, field="runs")
    total = quantity * (runs or 1)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        per = Decimal(1) if flat else Decimal(total) / _THOUSAND
        cost = _ceil_micro(rate * per * currency_rate)
        if price_override is not None:
            if not price_override.is_finite() or price_override < 0:
                raise InvalidAmount(price_override)
            raw = max(_ceil_micro(price_override * per), cost)
        else:
            raw = _ceil_micro(Decimal(cost) / MICRO_PER_UNIT * (1 + markup_percent / _HUNDRED))
    charge = max(round_up(raw, currency), minor_unit(currency))
    return Quote(
        quantity=total,
        cost=cost,
        charge=charge,
        markup_percent=markup_percent,
        currency=currency,
        exact=raw,
    )


def refund_share(charge: Micro, remains: int | None, quantity: int, currency: str) -> Micro:
    """The customer's money back for `remains` of `quantity` units not delivered.

    Rounded down to the minor unit; clamped so that nonsense from a provider (negative
    remains, more remains than ordered) can never refund more than the charge.
    """
    if charge <= 0 or quantity <= 0 or remains is None or remains <= 0:
        return 0
    if remains >= quantity:
        return charge
    return min(round_down(charge * remains // quantity, currency), charge)


__all__ = [
    "PricingConfig",
    "Quote",
    "check_markup",
    "price_order",
    "refund_share",
    "resolve_markup",
]
