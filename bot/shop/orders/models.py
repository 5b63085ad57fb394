"""The values the order use cases hand out: a priced draft, an order, its history, a
page of orders, and what a checkout or a provider status did."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row

from bot.shop.enums import OrderState
from bot.shop.money import Micro
from bot.shop.paging import Paging
from db.models import Order, OrderEvent

MAX_PER_PAGE = 50


def new_checkout_token() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Draft:
    """A priced, validated order not yet paid; checkout(draft) buys it.

    Keep it (e.g. `to_dict()` in the FSM) between the confirmation screen and the
    "Confirm" press: its token makes a repeated confirm find the same order.
    """

    token: str
    user_id: int
    service_id: int
    service_name: str
    service_type: str
    category: str
    fields: dict[str, Any]  # the input, as given to quote()
    form: dict[str, str]  # what `add` will send, besides key and action
    link: str | None
    quantity: int  # units the charge covers in total
    runs: int | None
    interval: int | None
    rate: Micro  # provider rate used
    cost: Micro
    charge: Micro
    currency: str
    markup_percent: Decimal

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly (Decimal as text; dates in `fields` as ISO text)."""
        data = {f.name: getattr(self, f.name) for f in dc_fields(self)}
        data["fields"] = dict(self.fields)
        data["form"] = dict(self.form)
        data["markup_percent"] = str(self.markup_percent)
        data["fields"] = {
            k: v.isoformat() if isinstance(v, date) else v for k, v in self.fields.items()
        }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Draft:
        values = dict(data)
        values["markup_percent"] = Decimal(values["markup_percent"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class OrderDTO:
    id: int
    user_id: int
    state: OrderState
    service_id: int | None
    provider_id: int | None
    provider_service_id: str
    service_name: str
    service_type: str
    category: str
    link: str | None
    fields: dict[str, Any]
    quantity: int
    runs: int | None
    interval: int | None
    charge: Micro
    cost: Micro
    refunded: Micro
    currency: str
    provider_order_id: str | None
    provider_status: str | None
    start_count: int | None
    remains: int | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    last_checked_at: datetime | None

    @property
    def paid(self) -> Micro:
        """What the customer is out of pocket for it now."""
        return self.charge - self.refunded

    @classmethod
    def of(cls, row: Order | Row[Any]) -> OrderDTO:
        """From the ORM row or a Core row of the orders table (the poller reads those)."""
        return cls(**{name: getattr(row, name) for name in _ORDER_FIELDS})


# Looked up once: the status poller builds thousands of these a cycle.
_ORDER_FIELDS = tuple(f.name for f in dc_fields(OrderDTO))


@dataclass(frozen=True, slots=True)
class OrderEventDTO:
    id: int
    order_id: int
    from_state: OrderState | None
    to_state: OrderState
    refund: Micro
    note: str | None
    actor_id: int | None
    at: datetime

    @classmethod
    def of(cls, row: OrderEvent) -> OrderEventDTO:
        return cls(**{f.name: getattr(row, f.name) for f in dc_fields(cls)})


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    order: OrderDTO
    created: bool  # False: the token's order existed; do not submit it again


@dataclass(frozen=True, slots=True)
class OrderChange:
    """What applying a provider status did to an order."""

    order: OrderDTO
    previous: OrderState
    refund: Micro = 0
    # Set when the reply was not trusted: it changed nothing but the poll error count.
    rejected: str | None = None
    poll_errors: int = 0  # errors in a row, after a rejected reply

    @property
    def changed(self) -> bool:
        return self.previous != self.order.state


@dataclass(frozen=True, slots=True)
class OrderPage(Paging):
    orders: tuple[OrderDTO, ...]  # newest first
    page: int
    per_page: int
    total: int


__all__ = [
    "MAX_PER_PAGE",
    "CheckoutResult",
    "Draft",
    "OrderChange",
    "OrderDTO",
    "OrderEventDTO",
    "OrderPage",
    "new_checkout_token",
]
