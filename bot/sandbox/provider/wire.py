"""How replies spell ids, numbers and per-item errors (panels disagree, even with themselves)."""

from __future__ import annotations

from decimal import ROUND_UP, Decimal
from typing import Any

AMOUNT_STEP = Decimal("0.00001")  # panels report charges and balances to 5 places


def money(value: Decimal) -> Decimal:
    """An amount as the panel keeps it: 5 places, rounded up so a cost is never undercharged."""
    return value.quantize(AMOUNT_STEP, rounding=ROUND_UP)


class Wire:
    """Spelling of one reply, chosen by the `ids_as_numbers` and bare-error faults.

    `numbers` None follows the protocol's examples: each call site says whether that
    field is a number (`default_number=True`) or a string there.
    """

    def __init__(self, numbers: bool | None = None, bare_errors: bool = False) -> None:
        self.numbers = numbers
        self.bare_errors = bare_errors

    def _as_number(self, default_number: bool) -> bool:
        return default_number if self.numbers is None else self.numbers

    def number(self, value: int, *, default_number: bool = False) -> int | str:
        return value if self._as_number(default_number) else str(value)

    def amount(self, value: Decimal, *, default_number: bool = False) -> float | str:
        text = f"{money(value):f}"
        # float() of a 5-place decimal prints back as the same digits in JSON.
        return float(text) if self._as_number(default_number) else text

    def rate(self, value: Decimal) -> float | str:
        return float(value) if self._as_number(False) else f"{value:f}"

    def item_error(self, text: str) -> Any:
        return text if self.bare_errors else {"error": text}
