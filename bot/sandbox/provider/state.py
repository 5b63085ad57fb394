"""Orders and refills of the simulated panel, and how each moves along the clock.

An order's whole life is drawn when it is created, from a generator seeded with the
simulator's seed and the order id, so the same seed always tells the same story:
Pending for 10-60 s, then In progress for about 1-24 min (longer for bigger quantities),
then its outcome. Reading a status only evaluates that timeline at the clock's time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from bot.provider.models import OrderStatus, RefillStatus, ServiceType

from .add_form import AddPlan
from .catalog import SimService
from .wire import money

_UNDELIVERED = frozenset({OrderStatus.CANCELED, OrderStatus.REFUNDED, OrderStatus.FAILED})
POST_EVERY = timedelta(minutes=2)  # a subscription's cadence of new posts


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
    posts: int | None = None  # subscriptions: posts served so far

    @property
    def finished(self) -> bool:
        return OrderStatus.parse(self.status).finished


@dataclass(frozen=True, slots=True)
class Scripted:
    status: str
    remains: int
    posts: int | None = None  # subscriptions: posts served


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
    # The `partial-cancel` dialect: a cancel keeps what was delivered (and its charge).
    keeps_delivered: bool = False
    posts: int | None = None  # subscriptions: posts paid for (None: unlimited)
    delay: int = 0  # subscriptions: minutes before the first post
    expires_at: datetime | None = None  # subscriptions: the end of the expiry date
    # A test's raw fields laid over this order's `status` object (None drops a field):
    # how a broken panel's reply looks ("remains": "1e400000").
    raw: dict[str, Any] | None = None

    def view(self, now: datetime) -> OrderView:
        posts = None
        if self.scripted is not None:
            status, remains = self.scripted.status, self.scripted.remains
            posts = self.scripted.posts
        else:
            status, remains = self._natural(now)
        if self.outcome is Outcome.SUBSCRIPTION and posts is None:
            posts = self.posts_served(now)
        started = self.scripted is not None or now >= self.started_at
        return OrderView(
            status=status,
            remains=remains,
            charge=charge_for(
                self.cost, self.quantity, status, remains, keeps_delivered=self.keeps_delivered
            ),
            start_count=self.start_count if started else 0,
            posts=posts,
        )

    def posts_served(self, now: datetime) -> int:
        """A new post every two minutes after the delay, until the posts or the expiry
        run out."""
        until = min(now, self.expires_at) if self.expires_at is not None else now
        served = max(int((until - self.created_at - timedelta(minutes=self.delay)) / POST_EVERY), 0)
        return min(served, self.posts) if self.posts is not None else served

    def _natural(self, now: datetime) -> tuple[str, int]:
        if self.outcome is Outcome.SUBSCRIPTION:
            if self.ends_at is None or now < self.ends_at:
                return "Active", 0
            short = self.posts is not None and self.posts_served(now) < self.posts
            return ("Expired" if short else "Completed"), 0
        if now < self.started_at:
            return "Pending", self.quantity
        assert self.ends_at is not None
        if now >= self.ends_at:
            canceled = self.final_remains if self.keeps_delivered else self.quantity
            remains = {Outcome.COMPLETED: 0, Outcome.CANCELED: canceled}
            return self.outcome.value, remains.get(self.outcome, self.final_remains)
        target = self.quantity - self.final_remains
        progress = (now - self.started_at) / (self.ends_at - self.started_at)
        return "In progress", self.quantity - int(target * progress)


def charge_for(
    cost: Decimal, quantity: int, status: str, remains: int, *, keeps_delivered: bool = False
) -> Decimal:
    """The charge a panel reports: nothing when undelivered, pro rata when Partial (and,
    for a panel that keeps what was delivered, when Canceled after some delivery)."""
    kind = OrderStatus.parse(status)
    if kind in _UNDELIVERED and not (keeps_delivered and 0 < remains < quantity):
        return Decimal(0)
    if (kind is OrderStatus.PARTIAL or kind in _UNDELIVERED) and quantity > 0:
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
    keeps_delivered: bool = False,
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
        keeps_delivered=keeps_delivered,
        posts=plan.posts,
        delay=plan.delay,
    )
    if plan.service.service_type is ServiceType.SUBSCRIPTIONS:
        order.outcome = Outcome.SUBSCRIPTION
        order.started_at = now
        order.ends_at = _subscription_end(plan, now)
        if plan.expiry is not None:
            order.expires_at = _expiry_end(plan.expiry)
    elif roll < cancel_share and keeps_delivered and plan.quantity >= 2:
        # Canceled part way: what was delivered stays delivered, and charged.
        order.outcome = Outcome.CANCELED
        order.final_remains = min(max(int(plan.quantity * share), 1), plan.quantity - 1)
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
        ends = now + timedelta(minutes=plan.delay) + POST_EVERY * plan.posts
    if plan.expiry is not None:
        expires = _expiry_end(plan.expiry)
        ends = min(ends, expires) if ends else expires
    return ends


def _expiry_end(expiry: date) -> datetime:
    return datetime.combine(expiry + timedelta(days=1), time(), tzinfo=UTC)


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
