"""Orders and refills of the simulated panel, and how each moves along the clock.

An order's whole life is drawn when it is created, from a generator seeded with the
simulator's seed and the order id, so the same seed always tells the same story:
Pending for 10-60 s, then In progress for about 1-24 min (longer for bigger quantities),
then its outcome. Reading a status only evaluates that timeline at the clock's time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from bot.provider.models import OrderStatus, RefillStatus, ServiceType

from .add_form import AddPlan
from .catalog import SimService
from .wire import money

_UNDELIVERED = frozenset({OrderStatus.CANCELED, OrderStatus.REFUNDED, OrderStatus.FAILED})


class Outcome(StrEnum):
    COMPLETED = "Completed"
    PARTIAL = "Partial"
    CANCELED = "Canceled"
    SUBSCRIPTION = "Subscription"  # Active until its posts or expiry run out, then Completed


@dataclass(frozen=True, slots=True)
class OrderView:
    """What `status` reports for an order at one moment."""

    status: str
    remains: int
    charge: Decimal
    start_count: int

    @property
    def finished(self) -> bool:
        return OrderStatus.parse(self.status).finished


@dataclass(frozen=True, slots=True)
class Scripted:
    status: str
    remains: int


@dataclass(slots=True)
class SimOrder:
    order_id: int
    service: SimService  # as it was when ordered
    link: str  # "" for Subscriptions
    quantity: int  # units in total (drip-feed: quantity x runs; Subscriptions: max x posts)
    cost: Decimal  # taken from the balance at `add`
    created_at: datetime
    started_at: datetime  # Pending until then
    ends_at: datetime | None  # outcome reached; None: an unlimited subscription
    outcome: Outcome
    final_remains: int
    start_count: int
    fields: dict[str, str] = field(default_factory=dict)  # the add form, without key/action
    refunded: Decimal = Decimal(0)  # credited back to the balance so far
    scripted: Scripted | None = None  # a test's override, kept until scripted again

    def view(self, now: datetime) -> OrderView:
        if self.scripted is not None:
            status, remains = self.scripted.status, self.scripted.remains
        else:
            status, remains = self._natural(now)
        started = self.scripted is not None or now >= self.started_at
        return OrderView(
            status=status,
            remains=remains,
            charge=charge_for(self.cost, self.quantity, status, remains),
            start_count=self.start_count if started else 0,
        )

    def _natural(self, now: datetime) -> tuple[str, int]:
        if self.outcome is Outcome.SUBSCRIPTION:
            done = self.ends_at is not None and now >= self.ends_at
            return ("Completed" if done else "Active"), 0
        if now < self.started_at:
            return "Pending", self.quantity
        assert self.ends_at is not None
        if now >= self.ends_at:
            remains = {Outcome.COMPLETED: 0, Outcome.CANCELED: self.quantity}
            return self.outcome.value, remains.get(self.outcome, self.final_remains)
        target = self.quantity - self.final_remains
        progress = (now - self.started_at) / (self.ends_at - self.started_at)
        return "In progress", self.quantity - int(target * progress)


def charge_for(cost: Decimal, quantity: int, status: str, remains: int) -> Decimal:
    """The charge a panel reports: nothing when undelivered, pro rata when Partial."""
    kind = OrderStatus.parse(status)
    if kind in _UNDELIVERED:
        return Decimal(0)
    if kind is OrderStatus.PARTIAL and quantity > 0:
        delivered = min(max(quantity - remains, 0), quantity)
        return money(cost * delivered / quantity)
    return cost


def plan_order(
    seed: int,
    order_id: int,
    plan: AddPlan,
    now: datetime,
    *,
    partial_share: float,
    cancel_share: float,
) -> SimOrder:
    rng = random.Random(f"{seed}:order:{order_id}")
    start_count = rng.randint(100, 50_000)
    pending = timedelta(seconds=rng.randint(10, 60))
    running = timedelta(seconds=min(60 + plan.quantity // 20, 1200) * rng.uniform(0.8, 1.2))
    roll = rng.random()
    share = rng.uniform(0.05, 0.6)
    cancel_wait = timedelta(seconds=rng.randint(30, 120))
    order = SimOrder(
        order_id=order_id,
        service=plan.service,
        link=plan.link,
        quantity=plan.quantity,
        cost=plan.cost,
        created_at=now,
        started_at=now + pending,
        ends_at=now + pending + running,
        outcome=Outcome.COMPLETED,
        final_remains=0,
        start_count=start_count,
    )
    if plan.service.service_type is ServiceType.SUBSCRIPTIONS:
        order.outcome = Outcome.SUBSCRIPTION
        order.started_at = now
        order.ends_at = _subscription_end(plan, now)
    elif roll < cancel_share:
        # Canceled by the panel before it starts: Pending, then Canceled.
        order.outcome = Outcome.CANCELED
        order.started_at = order.ends_at = now + pending + cancel_wait
    elif roll < cancel_share + partial_share and plan.quantity >= 2:
        order.outcome = Outcome.PARTIAL
        order.final_remains = min(max(int(plan.quantity * share), 1), plan.quantity - 1)
    return order


def _subscription_end(plan: AddPlan, now: datetime) -> datetime | None:
    ends: datetime | None = None
    if plan.posts:
        # A new post every two minutes after the delay: short, but long enough to watch.
        ends = now + timedelta(minutes=plan.delay + 2 * plan.posts)
    if plan.expiry is not None:
        expires = datetime.combine(plan.expiry + timedelta(days=1), time(), tzinfo=UTC)
        ends = min(ends, expires) if ends else expires
    return ends


@dataclass(slots=True)
class SimRefill:
    """A refill: Pending 30-90 s, In progress 1-5 min, then Completed (some Rejected)."""

    refill_id: int
    order_id: int
    created_at: datetime
    started_at: datetime
    ends_at: datetime
    outcome: str  # "Completed" or "Rejected"
    scripted: str | None = None

    def status(self, now: datetime) -> str:
        if self.scripted is not None:
            return self.scripted
        if now < self.started_at:
            return "Pending"
        return self.outcome if now >= self.ends_at else "In progress"

    def finished(self, now: datetime) -> bool:
        return RefillStatus.parse(self.status(now)).finished


def plan_refill(
    seed: int, refill_id: int, order_id: int, now: datetime, *, reject_share: float
) -> SimRefill:
    rng = random.Random(f"{seed}:refill:{refill_id}")
    started = now + timedelta(seconds=rng.randint(30, 90))
    ends = started + timedelta(seconds=rng.randint(60, 300))
    outcome = "Rejected" if rng.random() < reject_share else "Completed"
    return SimRefill(refill_id, order_id, now, started, ends, outcome)
