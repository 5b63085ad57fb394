"""Stars and money: what n Stars credit, the fewest Stars covering an amount, and the
top-up menu (see the package's docstring for the rounding rules)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

from bot.shop.errors import ShopError
from bot.shop.money import (
    MICRO_DIGITS,
    MICRO_PER_UNIT,
    Micro,
    round_down,
    round_up,
    to_micro_ceil,
)
from bot.shop.payments.errors import TopUpOutOfRange, TopUpsUnavailable
from bot.shop.payments.values import PaymentConfig, StarsQuote, TopUpMenu

_PRECISION = 60
# A preset may move this far (a fifth of it, at most this many whole units) to one whose
# Stars credit a whole amount: "9.00 USD · ⭐693" reads better than "10.01 USD · ⭐770".
_ROUND_SHARE = 5
_ROUND_TRIES = 25


class StarsPrices:
    """The conversions, from the payment configuration alone (no database)."""

    config: PaymentConfig

    @property
    def available(self) -> bool:
        return self.config.stars_rate is not None

    def _rate(self) -> Decimal:
        if self.config.stars_rate is None:
            raise TopUpsUnavailable()
        return self.config.stars_rate

    def credit_for(self, stars: int) -> Micro:
        """What n Stars credit: n x rate, rounded down to the shop's minor unit."""
        rate = self._rate()
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            exact = (Decimal(stars) * rate).scaleb(MICRO_DIGITS)
            micro = int(exact.to_integral_value(rounding=ROUND_FLOOR))
        return round_down(micro, self.config.currency)

    def quote(self, amount: Micro) -> StarsQuote:
        """The fewest whole Stars whose credit covers `amount`, and that credit.

        Raises TopUpsUnavailable, TopUpOutOfRange (more than one invoice can carry).
        """
        stars = self._stars_covering(round_up(max(amount, 1), self.config.currency))
        if stars > self.config.max_stars:
            low, high = self._bounds()
            raise TopUpOutOfRange(amount, min=low.credit, max=high.credit)
        return StarsQuote(stars, self.credit_for(stars))

    def _stars_covering(self, target: Micro) -> int:
        """The fewest Stars whose credit is at least `target` (a multiple of the minor
        unit), with no upper limit."""
        rate = self._rate()
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            quotient = Decimal(target).scaleb(-MICRO_DIGITS) / rate
            stars = max(int(quotient.to_integral_value(rounding=ROUND_CEILING)), 1)
        # Guard against the last digit of the division, in both directions.
        while self.credit_for(stars) < target:
            stars += 1
        while stars > 1 and self.credit_for(stars - 1) >= target:
            stars -= 1
        return stars

    def quote_stars(self, stars: int) -> StarsQuote:
        """A quote for a Stars count (a preset button); TopUpOutOfRange outside 1..max
        or when it would credit nothing."""
        if not 1 <= stars <= self.config.max_stars or self.credit_for(stars) <= 0:
            low, high = self._bounds()
            raise TopUpOutOfRange(stars, min=low.credit, max=high.credit)
        return StarsQuote(stars, self.credit_for(stars))

    def _round_quote(self, amount: Micro) -> StarsQuote:
        """The quote for `amount` when its Stars credit exactly it; else the nearest whole
        amount (within a fifth of it) that some Stars count credits exactly; else the
        honest quote of `amount`, odd cents and all."""
        target = round_up(max(amount, 1), self.config.currency)
        honest = self.quote(target)
        if honest.credit == target:
            return honest
        low = target // MICRO_PER_UNIT
        reach = min(max(low // _ROUND_SHARE, 1), _ROUND_TRIES)
        wholes = [w for k in range(reach + 1) for w in (low + 1 + k, low - k) if w > 0]
        wholes.sort(key=lambda w: (abs(w * MICRO_PER_UNIT - target), w * MICRO_PER_UNIT < target))
        for whole in wholes:
            try:
                quote = self.quote(whole * MICRO_PER_UNIT)
            except ShopError:
                continue
            if quote.credit == whole * MICRO_PER_UNIT:
                return quote
        return honest

    def _bounds(self) -> tuple[StarsQuote, StarsQuote]:
        """The smallest top-up (one minor unit's worth) and the largest invoice."""
        smallest = self._stars_covering(round_up(1, self.config.currency))
        largest = self.config.max_stars
        return (
            StarsQuote(smallest, self.credit_for(smallest)),
            StarsQuote(largest, self.credit_for(largest)),
        )

    def menu(self) -> TopUpMenu:
        """The presets (each as Stars and exact credit) and the custom amount's range."""
        rate = self._rate()
        presets: dict[int, StarsQuote] = {}
        for amount in self.config.presets:
            try:
                quote = self._round_quote(to_micro_ceil(amount))
            except ShopError:  # too large for one invoice
                continue
            presets.setdefault(quote.stars, quote)
        low, high = self._bounds()
        return TopUpMenu(
            presets=tuple(sorted(presets.values(), key=lambda q: q.stars)),
            min=low,
            max=high,
            rate=rate,
            currency=self.config.currency,
        )


__all__ = ["StarsPrices"]
