"""Figures for /stats: counts and sums straight from the tables, one query each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, case, distinct, func, select

from bot.shop.enums import LedgerKind, OrderState, PaymentState
from db.models import LedgerEntry, Order, Payment, User
from db.repositories.base import Repo

# Settled orders are the ones whose money is final: only they count in revenue, cost and
# profit; the others (submitting, active, unknown) are open and shown by count and charge.
SETTLED_STATES = tuple(state for state in OrderState if state.finished)
# Settled orders the panel ran (in part or in full): their provider cost counts.
COSTED_STATES = (OrderState.COMPLETED, OrderState.PARTIAL)


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
    def of(cls, row: Sequence[Any]) -> OrderMoney:
        return cls(*(int(value or 0) for value in row))

    @classmethod
    def zero(cls) -> OrderMoney:
        return cls(0, 0, 0, 0, 0, 0, 0)


def order_money_columns() -> list[ColumnElement[Any]]:
    """The aggregates of an OrderMoney, in its order, over the orders selected."""
    settled = Order.state.in_(SETTLED_STATES)
    costed = Order.state.in_(COSTED_STATES)

    def total(condition: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    return [
        total(settled, Order.charge),
        total(settled, Order.refunded),
        func.count().filter(settled & (Order.refunded > 0)),
        total(costed & Order.provider_charge.is_not(None), Order.provider_charge),
        total(costed & Order.provider_charge.is_(None), Order.cost),
        func.count().filter(~settled),
        total(~settled, Order.charge),
    ]


def _since(column: Any, since: datetime | None) -> list[ColumnElement[bool]]:
    return [] if since is None else [column >= since]


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

    async def orders_by_state(self, since: datetime | None) -> dict[OrderState, int]:
        stmt = (
            select(Order.state, func.count())
            .where(*_since(Order.created_at, since))
            .group_by(Order.state)
        )
        return {state: int(count) for state, count in await self.session.execute(stmt)}

    async def order_money(self, since: datetime | None) -> OrderMoney:
        """Of orders placed since: settled ones' money and cost, open ones' count."""
        stmt = select(*order_money_columns()).where(*_since(Order.created_at, since))
        return OrderMoney.of((await self.session.execute(stmt)).one())

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
        self, since: datetime | None, *, limit: int = 5
    ) -> list[tuple[int | None, str, int, int]]:
        """(service id, name, orders, net revenue) by net revenue, of the settled orders
        the panel ran (completed, partial)."""
        net = func.sum(Order.charge - Order.refunded)
        stmt = (
            select(Order.service_id, func.max(Order.service_name), func.count(), net)
            .where(
                Order.state.in_(COSTED_STATES),
                *_since(Order.created_at, since),
            )
            .group_by(Order.service_id)
            .order_by(net.desc(), func.count().desc(), Order.service_id)
            .limit(limit)
        )
        return [
            (service_id, name, int(count), int(total or 0))
            for service_id, name, count, total in await self.session.execute(stmt)
        ]

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
            .where(*_since(LedgerEntry.created_at, since))
            .group_by(LedgerEntry.kind)
        )
        return {
            kind: (int(credits), int(debits))
            for kind, credits, debits in await self.session.execute(stmt)
        }
