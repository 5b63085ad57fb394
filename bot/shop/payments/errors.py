"""Why a top-up or a Stars refund is refused."""

from __future__ import annotations

from bot.shop.errors import ShopError


class TopUpsUnavailable(ShopError):
    """STARS_RATE is not set: the shop takes no payments."""


class TopUpOutOfRange(ShopError):
    """An amount (or Stars count) outside what one invoice can carry."""

    def __init__(self, amount: int, min: int, max: int) -> None:
        super().__init__(amount=amount, min=min, max=max)
        self.amount = amount
        self.min = min  # micro-units of the shop currency
        self.max = max


class NoShortfall(ShopError):
    """The balance covers the kept order now: nothing to top up."""

    def __init__(self, balance: int) -> None:
        super().__init__(balance=balance)
        self.balance = balance


class NotRefundable(ShopError):
    """The payment is not in a state a refund can start from (issued, refunded)."""

    def __init__(self, charge_id: str, state: str) -> None:
        super().__init__(charge_id=charge_id, state=state)
        self.charge_id = charge_id
        self.state = state


class CreditSpent(ShopError):
    """The credit of the payment is (partly) spent: the balance no longer covers it."""

    def __init__(self, needed: int, available: int) -> None:
        super().__init__(needed=needed, available=available)
        self.needed = needed
        self.available = available


__all__ = ["CreditSpent", "NoShortfall", "NotRefundable", "TopUpOutOfRange", "TopUpsUnavailable"]
