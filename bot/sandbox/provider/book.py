"""The panel's books: balance, orders and refills, and the rules that change them.

Money invariant: balance + sum of every order's current charge == starting balance
(+ any balance set by hand). Refunds for Partial/Canceled outcomes are credited when
the clock passes the outcome, found through a heap so no call scans all orders.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal

from bot.provider.models import OrderStatus

from . import errors
from .add_form import AddPlan
from .errors import ApiError
from .state import Outcome, Scripted, SimOrder, SimRefill, plan_order, plan_refill

_DELIVERED = frozenset({OrderStatus.COMPLETED, OrderStatus.PARTIAL})


class OrderBook:
    def __init__(
        self,
        *,
        seed: int,
        balance: Decimal,
        first_order_id: int = 23501,
        first_refill_id: int = 1001,
        partial_share: float = 0.10,
        cancel_share: float = 0.05,
        reject_share: float = 0.15,
        keeps_delivered: bool = False,
    ) -> None:
        self.seed = seed
        self.keeps_delivered = keeps_delivered  # the `partial-cancel` dialect
        self.balance = Decimal(balance)
        self.orders: dict[str, SimOrder] = {}
        self.refills: dict[str, SimRefill] = {}
        self.partial_share = partial_share
        self.cancel_share = cancel_share
        self.reject_share = reject_share
        self._next_order = first_order_id
        self._next_refill = first_refill_id
        self._due: list[tuple[datetime, int]] = []  # (outcome time, order id) owing a refund
        self._by_link: dict[str, list[SimOrder]] = {}
        self._last_refill: dict[int, SimRefill] = {}

    @property
    def next_order_id(self) -> int:
        return self._next_order

    def renumber(self, next_order_id: int) -> None:
        """Hand out order ids from `next_order_id` on, as a panel that reset its numbering
        (ids it gave before may come again)."""
        self._next_order = next_order_id

    @property
    def next_refill_id(self) -> int:
        return self._next_refill

    def number_past(self, order_id: int, refill_id: int) -> None:
        """Hand out ids above these from now on (ids a client already holds stay unused)."""
        self._next_order = max(self._next_order, order_id + 1)
        self._next_refill = max(self._next_refill, refill_id + 1)

    def restore(
        self,
        orders: Iterable[SimOrder],
        refills: Iterable[SimRefill],
        *,
        balance: Decimal,
        next_order_id: int,
        next_refill_id: int,
    ) -> None:
        """Replace the books with saved ones (the demo's panel across restarts), rebuilding
        the indexes: refunds still owed, active orders by link, each order's last refill."""
        self.balance = Decimal(balance)
        self.orders = {str(o.order_id): o for o in orders}
        self.refills = {str(r.refill_id): r for r in refills}
        self._next_order = next_order_id
        self._next_refill = next_refill_id
        self._due = [
            (o.ends_at, o.order_id)
            for o in self.orders.values()
            if o.outcome in (Outcome.PARTIAL, Outcome.CANCELED) and o.ends_at is not None
        ]
        heapq.heapify(self._due)  # settling an order twice credits nothing more
        self._by_link = {}
        for order in self.orders.values():
            if order.link:
                self._by_link.setdefault(order.link, []).append(order)
        self._last_refill = {}
        for refill in sorted(self.refills.values(), key=lambda r: r.refill_id):
            self._last_refill[refill.order_id] = refill

    # -- lookups ----------------------------------------------------------------

    def order(self, raw_id: str | int) -> SimOrder | None:
        return self.orders.get(_key(raw_id))

    def refill(self, raw_id: str | int) -> SimRefill | None:
        return self.refills.get(_key(raw_id))

    # -- money ------------------------------------------------------------------

    def settle(self, now: datetime) -> None:
        """Credit back what orders that reached Partial/Canceled by now did not deliver."""
        while self._due and self._due[0][0] <= now:
            _, order_id = heapq.heappop(self._due)
            order = self.orders[str(order_id)]
            if order.scripted is None:  # a scripted order was settled when scripted
                self._sync_refund(order, now)

    def _sync_refund(self, order: SimOrder, now: datetime) -> None:
        owed = order.cost - order.view(now).charge
        self.balance += owed - order.refunded
        order.refunded = owed

    # -- changes ----------------------------------------------------------------

    def create(
        self, plan: AddPlan, form: Mapping[str, str], now: datetime, *, reject_duplicates: bool
    ) -> SimOrder:
        if reject_duplicates and self._has_active_link(plan.link, now):
            raise ApiError(errors.DUPLICATE_LINK)
        if plan.cost > self.balance:
            raise ApiError(errors.NOT_ENOUGH_FUNDS)
        order_id = self._next_order
        self._next_order += 1
        order = plan_order(
            self.seed,
            order_id,
            plan,
            now,
            partial_share=self.partial_share,
            cancel_share=self.cancel_share,
            keeps_delivered=self.keeps_delivered,
        )
        order.fields = {k: v for k, v in form.items() if k not in ("key", "action")}
        self.balance -= order.cost
        self.orders[str(order_id)] = order
        if order.outcome in (Outcome.PARTIAL, Outcome.CANCELED) and order.ends_at is not None:
            heapq.heappush(self._due, (order.ends_at, order_id))
        if order.link:
            self._by_link.setdefault(order.link, []).append(order)
        return order

    def _has_active_link(self, link: str, now: datetime) -> bool:
        if not link:
            return False
        # Prune finished orders as we go, so the list stays as short as the active ones.
        active = [o for o in self._by_link.get(link, ()) if not o.view(now).finished]
        self._by_link[link] = active
        return bool(active)

    def script(
        self,
        order: SimOrder,
        status: str,
        remains: int | None,
        now: datetime,
        posts: int | None = None,
    ) -> None:
        """Force what the order reports from now on, moving the money to match."""
        self.settle(now)
        if remains is None:
            remains = _default_remains(order, status, now)
        order.scripted = Scripted(status, remains, posts)
        self._sync_refund(order, now)

    def cancel(self, order: SimOrder, now: datetime) -> None:
        if not order.service.cancel:
            raise ApiError(errors.CANCEL_DISABLED)
        if order.view(now).finished:
            raise ApiError(errors.CANCEL_FINISHED)
        order.scripted = Scripted("Canceled", order.quantity)
        self._sync_refund(order, now)

    def request_refill(self, order: SimOrder, now: datetime) -> SimRefill:
        if not order.service.refill:
            raise ApiError(errors.REFILL_DISABLED)
        kind = OrderStatus.parse(order.view(now).status)
        if kind not in _DELIVERED:
            raise ApiError(
                errors.REFILL_NOT_AVAILABLE if kind.finished else errors.REFILL_NOT_COMPLETED
            )
        last = self._last_refill.get(order.order_id)
        if last is not None and not last.finished(now):
            raise ApiError(errors.REFILL_EXISTS)
        refill_id = self._next_refill
        self._next_refill += 1
        refill = plan_refill(
            self.seed, refill_id, order.order_id, now, reject_share=self.reject_share
        )
        self.refills[str(refill_id)] = refill
        self._last_refill[order.order_id] = refill
        return refill


def _key(raw_id: str | int) -> str:
    text = str(raw_id).strip()
    return str(int(text)) if text.isascii() and text.isdigit() else text


def _default_remains(order: SimOrder, status: str, now: datetime) -> int:
    kind = OrderStatus.parse(status)
    if kind is OrderStatus.COMPLETED:
        return 0
    if kind is OrderStatus.PARTIAL:
        return max(order.quantity // 2, 1)
    if kind.finished:  # Canceled, Refunded, Failed: nothing delivered
        return order.quantity
    return order.scripted.remains if order.scripted else order.view(now).remains
