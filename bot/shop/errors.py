"""Domain errors of the shop.

Handlers map each class to a localized text, so an error carries data (amounts, ids,
states), never an English sentence meant for the customer. `str()` of an error is for
logs only.
"""

from __future__ import annotations

from typing import Any


class ShopError(Exception):
    """Base of every refusal the shop gives on purpose."""

    def __init__(self, **data: Any) -> None:
        self.data = data
        details = ", ".join(f"{key}={value!r}" for key, value in data.items())
        super().__init__(f"{type(self).__name__}({details})")


class InvalidAmount(ShopError):
    """Zero, negative, non-integral micro-units, float, or more precision than 1e-6."""

    def __init__(self, amount: object) -> None:
        super().__init__(amount=amount)
        self.amount = amount


class InvalidMarkup(ShopError):
    """A markup the shop refuses: negative (selling below cost) or not a number."""

    def __init__(self, percent: object) -> None:
        super().__init__(percent=percent)
        self.percent = percent


class InsufficientFunds(ShopError):
    def __init__(self, needed: int, available: int) -> None:
        super().__init__(needed=needed, available=available)
        self.needed = needed
        self.available = available

    @property
    def missing(self) -> int:
        return self.needed - self.available


class ReferenceConflict(ShopError):
    """A ledger reference reused for a different user, kind or amount."""

    def __init__(self, reference: str) -> None:
        super().__init__(reference=reference)
        self.reference = reference


class NotFound(ShopError):
    def __init__(self, entity: str, key: object) -> None:
        super().__init__(entity=entity, key=key)
        self.entity = entity
        self.key = key


class NotYours(ShopError):
    """The order (or other object) belongs to another user."""

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(entity=entity, key=key)
        self.entity = entity
        self.key = key


class ServiceUnavailable(ShopError):
    """Hidden, gone from the provider's catalogue, or of a type the bot cannot order."""

    def __init__(self, service_id: int) -> None:
        super().__init__(service_id=service_id)
        self.service_id = service_id


class QuantityOutOfRange(ShopError):
    def __init__(self, quantity: int, min: int, max: int, field: str = "quantity") -> None:
        super().__init__(quantity=quantity, min=min, max=max, field=field)
        self.quantity = quantity
        self.min = min
        self.max = max
        self.field = field


class InvalidOrderField(ShopError):
    """A field of the order form that cannot be sent (missing, malformed, not allowed)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(field=field, reason=reason)
        self.field = field
        self.reason = reason  # a short machine code or the validator's note, not UI text


class NotAWholeNumber(InvalidOrderField):
    """A count of the form that is not a whole number; it says the range it must be in."""

    def __init__(self, field: str, low: int, high: int) -> None:
        super().__init__(field, "not_a_whole_number")
        self.min = low
        self.max = high


class ProviderOrderIdTaken(InvalidOrderField):
    """The panel's order id is held by another order of the same panel already (a panel
    that reset its numbering, a second simulator run): ids are unique per panel."""

    def __init__(self, order_id: int, provider_order_id: str, other_id: int) -> None:
        ShopError.__init__(
            self,
            field="provider_order_id",
            reason="already_linked",
            order_id=order_id,
            provider_order_id=provider_order_id,
            other_id=other_id,
        )
        self.field, self.reason = "provider_order_id", "already_linked"
        self.order_id = order_id
        self.provider_order_id = provider_order_id
        self.other_id = other_id


class PriceChanged(ShopError):
    """The price moved between the quote and the checkout; the customer must confirm again."""

    def __init__(self, quoted: int, current: int) -> None:
        super().__init__(quoted=quoted, current=current)
        self.quoted = quoted
        self.current = current


class TransitionNotAllowed(ShopError):
    def __init__(self, order_id: int, current: str, requested: str) -> None:
        super().__init__(order_id=order_id, current=current, requested=requested)
        self.order_id = order_id
        self.current = current
        self.requested = requested


class AlreadyRefunded(ShopError):
    """Everything charged for the order has been given back already."""

    def __init__(self, order_id: int) -> None:
        super().__init__(order_id=order_id)
        self.order_id = order_id


class RefundTooLarge(ShopError):
    def __init__(self, order_id: int, requested: int, available: int) -> None:
        super().__init__(order_id=order_id, requested=requested, available=available)
        self.order_id = order_id
        self.requested = requested
        self.available = available


class RefundNotAllowed(ShopError):
    """A manual refund of an order whose fate is still open (submitting, unknown)."""

    def __init__(self, order_id: int, state: str) -> None:
        super().__init__(order_id=order_id, state=state)
        self.order_id = order_id
        self.state = state


class ProviderPaused(ShopError):
    """The panel cannot take orders now (it refused the shop's account: its balance ran
    out, the key, the IP, API access): nothing is charged.

    Raised before checkout while the pause is on; cleared by the balance watch job when
    the panel answers a balance check normally again (with enough funds, for funds).
    """

    def __init__(self) -> None:
        super().__init__()


class ProviderDown(ProviderPaused):
    """The panel has not been answering (operators were told): checkout is refused
    before paying, as for a pause, until the panel answers a status or balance call."""


__all__ = [
    "AlreadyRefunded",
    "InsufficientFunds",
    "InvalidAmount",
    "InvalidMarkup",
    "InvalidOrderField",
    "NotAWholeNumber",
    "NotFound",
    "NotYours",
    "PriceChanged",
    "ProviderDown",
    "ProviderOrderIdTaken",
    "ProviderPaused",
    "QuantityOutOfRange",
    "ReferenceConflict",
    "RefundNotAllowed",
    "RefundTooLarge",
    "ServiceUnavailable",
    "ShopError",
    "TransitionNotAllowed",
]
