"""How one panel status reply settles an order: whether it can be trusted for that order,
the state it ends the order in, and how much of the charge goes back. Pure, no I/O.

Only OrderService.apply_provider_state (bot/shop/orders/transitions.py) acts on these answers, so
the customer's Refresh, the admin's refresh and link, and the poller all decide an
order's fate the same way.

Endings, for an order the panel has finished with:

* Completed: nothing back, except a subscription that served fewer posts than were paid
  for: the unserved posts' share comes back (the order ends `partial`);
* Partial: the `remains` share comes back;
* Expired: a subscription's end, settled like Completed; any other order like Canceled;
* Canceled, Refunded, Failed: everything back, unless the panel shows that part was
  delivered: `remains` above 0 and below the quantity, or (without such a `remains`) a
  charge kept for it; then the undelivered share comes back. A charge of 0 or a
  `remains` of the whole quantity always means everything back.

Shares are rounded down to the currency's minor unit and never exceed the charge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bot.numbers import parse_whole
from bot.provider.models import OrderState as PanelState
from bot.provider.models import OrderStatus as PanelStatus
from bot.provider.models import ServiceType
from bot.shop.enums import OrderState
from bot.shop.money import Micro, round_down, to_micro_ceil
from bot.shop.pricing import refund_share

STATUS_TEXT_MAX = 64


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the rules need to know of an order (a row or a DTO)."""

    quantity: int  # units the charge covers (subscriptions: max per post x posts)
    charge: Micro
    cost: Micro  # the expected panel cost, in the shop currency
    currency: str
    service_type: str
    fields: Mapping[str, Any]  # the `add` form as sent
    provider_id: int | None = None  # the order's panel (its currency rate)
    # Worked out once: every rule asks (the poller judges thousands of replies a cycle).
    _subscription: tuple[int, int] | None = field(
        init=False, repr=False, compare=False, default=None
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_subscription", self._terms())

    @classmethod
    def of(cls, order: Any) -> OrderFacts:
        return cls(
            quantity=int(order.quantity),
            charge=int(order.charge),
            cost=int(order.cost),
            currency=str(order.currency),
            service_type=str(order.service_type),
            fields=dict(order.fields or {}),
            provider_id=getattr(order, "provider_id", None),
        )

    @property
    def subscription(self) -> tuple[int, int] | None:
        """(posts paid for, units per post) of a subscription; None for other orders."""
        return self._subscription

    def _terms(self) -> tuple[int, int] | None:
        if ServiceType.parse(self.service_type) is not ServiceType.SUBSCRIPTIONS:
            return None
        posts = parse_whole(str(self.fields.get("posts", "")), low=1)
        per_post = parse_whole(str(self.fields.get("max", "")), low=1)
        if posts is None or per_post is None:
            return None
        return posts, per_post


@dataclass(frozen=True, slots=True)
class Ending:
    state: OrderState
    refund: Micro


def posts_served(order: Any) -> tuple[int, int] | None:
    """(posts served, posts paid for) of a subscription order whose progress is known
    (kept as the units not delivered in `remains`); None otherwise."""
    subscription = OrderFacts.of(order).subscription
    if subscription is None or order.remains is None:
        return None
    paid, per_post = subscription
    unserved = min(-(-max(int(order.remains), 0) // per_post), paid)
    return paid - unserved, paid


def judge(order: OrderFacts, reply: PanelState, currency_rate: Decimal) -> str | None:
    """Why this reply cannot be trusted for this order (it is then only counted as a poll
    error), or None."""
    remains = reply.remains
    if remains is not None and remains > order.quantity:
        return f"remains {remains} above the quantity {order.quantity}"
    if remains is not None and remains < 0 and reply.status is not PanelStatus.COMPLETED:
        return f"negative remains {remains}"
    if reply.status is PanelStatus.PARTIAL and remains is None:
        return "Partial without remains"
    subscription = order.subscription
    if subscription is not None and reply.posts is not None and reply.posts > subscription[0]:
        return f"{reply.posts} posts served, {subscription[0]} paid for"
    if reply.charge is not None:
        if reply.charge < 0:
            return f"negative charge {reply.charge}"
        if _in_shop(reply.charge, currency_rate) > order.charge:
            return (
                f"charge {reply.charge} {reply.currency or ''} is above what the customer "
                f"paid ({order.charge} micro {order.currency})"
            )
    return None


def undelivered(order: OrderFacts, reply: PanelState) -> int | None:
    """Units not delivered according to the reply (subscriptions: from the posts served);
    None when the reply does not say."""
    subscription = order.subscription
    if subscription is not None and reply.posts is not None:
        paid, per_post = subscription
        return (paid - min(reply.posts, paid)) * per_post
    if reply.remains is None:
        return None
    return min(max(reply.remains, 0), order.quantity)


def progress(order: OrderFacts, reply: PanelState) -> dict[str, Any]:
    """The columns a reply updates on an order that goes on (None: keep the stored one)."""
    values: dict[str, Any] = {
        "provider_status": reply.raw_status[:STATUS_TEXT_MAX],
        "start_count": reply.start_count,
        "remains": undelivered(order, reply),
    }
    if reply.charge is not None:
        values["provider_charge"] = to_micro_ceil(reply.charge)
        values["provider_currency"] = reply.currency
    return values


def progress_changed(order: Any, values: Mapping[str, Any]) -> bool:
    """Whether `progress` values say anything the order (a row or a DTO) does not hold
    yet: a value given (None keeps the stored one) that differs from the stored one. The
    poller writes nothing but the check time for an order whose reply says nothing new."""
    return any(
        value is not None and value != getattr(order, name) for name, value in values.items()
    )


def ending(order: OrderFacts, reply: PanelState, currency_rate: Decimal) -> Ending | None:
    """The state and refund a trusted reply ends the order with; None while it runs."""
    status = reply.status
    if not status.finished:
        return None
    left = undelivered(order, reply)
    subscription = order.subscription is not None
    if status is PanelStatus.COMPLETED or (status is PanelStatus.EXPIRED and subscription):
        if subscription and left:
            return Ending(OrderState.PARTIAL, _share(order, left))
        return Ending(OrderState.COMPLETED, 0)
    if status is PanelStatus.PARTIAL:
        return Ending(OrderState.PARTIAL, _share(order, left))
    # Canceled, Refunded, Failed (and Expired for an order that is not a subscription).
    kept = None if reply.charge is None else _in_shop(reply.charge, currency_rate)
    if kept == 0 or (left is not None and left >= order.quantity):
        return Ending(OrderState.CANCELED, order.charge)
    if left is not None and 0 < left < order.quantity:
        return Ending(OrderState.CANCELED, _share(order, left))
    if kept is not None and order.cost > 0:
        unused = max(order.cost - kept, 0)
        refund = round_down(order.charge * unused // order.cost, order.currency)
        return Ending(OrderState.CANCELED, min(refund, order.charge))
    return Ending(OrderState.CANCELED, order.charge)


def _share(order: OrderFacts, left: int | None) -> Micro:
    return refund_share(order.charge, left, order.quantity, order.currency)


def _in_shop(charge: Decimal, currency_rate: Decimal) -> Micro:
    return to_micro_ceil(charge * currency_rate)


__all__ = [
    "Ending",
    "OrderFacts",
    "ending",
    "judge",
    "posts_served",
    "progress",
    "progress_changed",
    "undelivered",
]
