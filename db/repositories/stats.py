"""Figures for /stats: counts and sums straight from the tables, each a read of an index
that holds its columns (revision 0008), the orders' in one pass."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, case, distinct, func, select

from bot.shop.enums import LedgerKind, OrderState, PaymentState
from db.models import LedgerEntry, Order, Payment, User
from db.repositories.base import Repo
from db.repositories.orders import one_of

# Settled orders (OrderState.finished) are the ones whose money is final: only they count
# in revenue, cost and profit; the others (submitting, active, unknown) are open and shown
# by count and charge.
# Settled orders the panel ran (in part or in full): their provider cost counts.
COSTED_STATES = (OrderState.COMPLETED, OrderState.PARTIAL)


class OrderGroup(NamedTuple):
    """The orders of one state, panel (providers row) and service placed in a period."""

    state: OrderState
    provider_id: int | None
    service_id: int | None
    orders: int
    charged: int
    refunded: int
    refunds: int  # orders with money refunded
    reported: int  # the panel's reported charge, where it reported one
    expected: int  # the checkout cost where the panel reported none


class OrderMoney(NamedTuple):
    """Money of a set of orders: settled ones in full, open ones by count and charge."""

    charged: int  # settled orders' charges
    refunded: int  # what went back to customers of them
    refunds: int  # settled orders with money refunded
    reported: int  # the panel's reported charge, in the panel's currency
    expected: int  # the checkout cost (shop currency) where the panel reported none
    open_orders: int
    open_charged: int

    @classmethod
    def of_groups(cls, groups: Iterable[OrderGroup]) -> OrderMoney:
        """The money of these groups' orders: settled ones' money, the cost of those the
        panel ran, open ones' count and charge."""
        charged = refunded = refunds = reported = expected = open_orders = open_charged = 0
        for group in groups:
            if group.state.finished:
                charged += group.charged
                refunded += group.refunded
                refunds += group.refunds
                if group.state in COSTED_STATES:
                    reported += group.reported
                    expected += group.expected
            else:
                open_orders += group.orders
                open_charged += group.charged
        return cls(charged, refunded, refunds, reported, expected, open_orders, open_charged)

    @classmethod
    def zero(cls) -> OrderMoney:
        return cls(0, 0, 0, 0, 0, 0, 0)


def count_by_state(groups: Iterable[OrderGroup]) -> dict[OrderState, int]:
    counts: dict[OrderState, int] = {}
    for group in groups:
        counts[group.state] = counts.get(group.state, 0) + group.orders
    return counts


def _since(column: Any, since: datetime | None) -> list[ColumnElement[bool]]:
    return [] if since is None else [column >= since]


def _every_kind(since: datetime | None) -> list[ColumnElement[bool]]:
    """Every kind (the check constraint allows no other), named in a period's query so
    that SQLite reads ix_ledger_stats as one range per kind instead of all of it."""
    return [] if since is None else [LedgerEntry.kind.in_(tuple(LedgerKind))]


class StatsRepo(Repo):
    async def customers(self, since: datetime | None) -> tuple[int, int, int, int, int]:
        """(total, new since, active since (placed an order), unreachable, banned)."""
        new = func.count() if since is None else func.count().filter(User.created_at >= since)
        stmt = select(
            func.count(),
            new,
            func.count().filter(User.unreachable_since.is_not(None)),
            func.count().filter(User.banned.is_(True)),
        ).select_from(User)
        total, new_count, unreachable, banned = (await self.session.execute(stmt)).one()
        active = await self.session.scalar(
            select(func.count(distinct(Order.user_id))).where(*_since(Order.created_at, since))
        )
        return int(total), int(new_count), int(active or 0), int(unreachable), int(banned)

    async def order_groups(self, since: datetime | None) -> list[OrderGroup]:
        """The orders placed since, by state, panel and service: one pass over the index
        that holds these columns (ix_orders_stats, read in its own order, so no sort),
        from which /stats takes its counts, money, panels and top services."""
        stmt = (
            select(
                Order.state,
                Order.provider_id,
                Order.service_id,
                func.count(),
                func.coalesce(func.sum(Order.charge), 0),
                func.coalesce(func.sum(Order.refunded), 0),
                func.count().filter(Order.refunded > 0),
                func.coalesce(func.sum(Order.provider_charge), 0),
                func.coalesce(func.sum(case((Order.provider_charge.is_(None), Order.cost))), 0),
            )
            .where(*_since(Order.created_at, since))
            .group_by(Order.state, Order.provider_id, Order.service_id)
        )
        return [
            OrderGroup(row[0], row[1], row[2], *(int(value or 0) for value in row[3:]))
            for row in await self.session.execute(stmt)
        ]

    async def stars_refunds(self, since: datetime | None) -> tuple[int, int, int]:
        """Payments Telegram refunded since: (count, Stars, credit taken back)."""
        stmt = select(
            func.count(),
            func.coalesce(func.sum(Payment.stars), 0),
            func.coalesce(func.sum(Payment.credit), 0),
        ).where(Payment.state == PaymentState.REFUNDED, *_since(Payment.refunded_at, since))
        n, stars, credit = (await self.session.execute(stmt)).one()
        return int(n), int(stars), int(credit)

    async def top_services(
        self, since: datetime | None, groups: Sequence[OrderGroup], *, limit: int = 5
    ) -> list[tuple[int | None, str, int, int]]:
        """(service id, name, orders, net revenue) by net revenue, of the settled orders
        the panel ran (completed, partial) among `groups` (those placed since); the
        name is the greatest one the service's orders carry, read for these few only."""
        totals: dict[int | None, tuple[int, int]] = {}
        for group in groups:
            if group.state in COSTED_STATES:
                count, net = totals.get(group.service_id, (0, 0))
                totals[group.service_id] = (
                    count + group.orders,
                    net + group.charged - group.refunded,
                )
        # Ties by service id as the database orders them: NULL first on SQLite, last on
        # PostgreSQL.
        nulls_first = self.dialect == "sqlite"

        def rank(item: tuple[int | None, tuple[int, int]]) -> tuple[int, int, bool, int]:
            service_id, (count, net) = item
            return (-net, -count, (service_id is None) != nulls_first, service_id or 0)

        top = sorted(totals.items(), key=rank)[:limit]
        if not top:
            return []
        ids = [service_id for service_id, _ in top]
        stmt = (
            select(Order.service_id, func.max(Order.service_name))
            .where(
                one_of(Order.service_id, ids),
                Order.state.in_(COSTED_STATES),
                *_since(Order.created_at, since),
            )
            .group_by(Order.service_id)
        )
        names = {service_id: name for service_id, name in await self.session.execute(stmt)}
        return [(sid, names.get(sid) or "", count, net) for sid, (count, net) in top]

    async def balances(self) -> tuple[int, int]:
        """(sum of all balances, customers with a positive balance)."""
        stmt = select(
            func.coalesce(func.sum(User.balance), 0), func.count().filter(User.balance > 0)
        )
        total, holders = (await self.session.execute(stmt)).one()
        return int(total), int(holders)

    async def ledger_by_kind(self, since: datetime | None) -> dict[LedgerKind, tuple[int, int]]:
        """Per kind, of rows written since: (sum of credits, sum of debits as a positive)."""
        stmt = (
            select(
                LedgerEntry.kind,
                func.coalesce(func.sum(case((LedgerEntry.amount > 0, LedgerEntry.amount))), 0),
                func.coalesce(func.sum(case((LedgerEntry.amount < 0, -LedgerEntry.amount))), 0),
            )
            .where(*_since(LedgerEntry.created_at, since), *_every_kind(since))
            .group_by(LedgerEntry.kind)
        )
        return {
            kind: (int(credits), int(debits))
            for kind, credits, debits in await self.session.execute(stmt)
        }
