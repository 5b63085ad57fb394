"""Figures for /stats: counts and sums straight from the tables, one query each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, select

from bot.shop.enums import LedgerKind, OrderState
from db.models import LedgerEntry, Order, User
from db.repositories.base import Repo

# Orders the panel took (or may have taken and charged for): their provider cost counts.
COSTED_STATES = (OrderState.ACTIVE, OrderState.COMPLETED, OrderState.PARTIAL)


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

    async def order_money(self, since: datetime | None) -> tuple[int, int, int, int]:
        """Of orders placed since: (charged, refunded, provider charge reported by the panel
        in its currency, expected cost in the shop currency where the panel reported none).

        Provider cost counts only for orders the panel took (active, completed, partial).
        """
        costed = Order.state.in_(COSTED_STATES)
        stmt = select(
            func.coalesce(func.sum(Order.charge), 0),
            func.coalesce(func.sum(Order.refunded), 0),
            func.coalesce(
                func.sum(
                    case(
                        (costed & Order.provider_charge.is_not(None), Order.provider_charge),
                        else_=0,
                    )
                ),
                0,
            ),
            func.coalesce(
                func.sum(case((costed & Order.provider_charge.is_(None), Order.cost), else_=0)),
                0,
            ),
        ).where(*_since(Order.created_at, since))
        charged, refunded, reported, expected = (await self.session.execute(stmt)).one()
        return int(charged), int(refunded), int(reported), int(expected)

    async def top_services(
        self, since: datetime | None, *, limit: int = 5
    ) -> list[tuple[int | None, str, int, int]]:
        """(service id, name, orders, net revenue) by net revenue, failed orders left out."""
        net = func.sum(Order.charge - Order.refunded)
        stmt = (
            select(Order.service_id, func.max(Order.service_name), func.count(), net)
            .where(
                Order.state.not_in((OrderState.FAILED, OrderState.CANCELED)),
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
