"""Figures of one time window for the daily report: one query each, bounded by
`start <= created_at < end`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select

from bot.shop.enums import LedgerKind, OrderState, PaymentState
from db.models import LedgerEntry, Order, Payment, User
from db.repositories.base import Repo

# Orders the panel delivered (all or part of): their provider cost is real.
DELIVERED = (OrderState.COMPLETED, OrderState.PARTIAL)


class ReportRepo(Repo):
    async def orders_by_state(
        self, start: datetime, end: datetime
    ) -> dict[OrderState, tuple[int, int, int, int, int]]:
        """Per state, of orders placed in the window: (count, charged, refunded, provider
        charge as the panel reported it, expected cost where it reported none). The two
        costs are summed for delivered orders only."""
        delivered = Order.state.in_(DELIVERED)
        reported = case((delivered & Order.provider_charge.is_not(None), Order.provider_charge))
        expected = case((delivered & Order.provider_charge.is_(None), Order.cost))
        stmt = (
            select(
                Order.state,
                func.count(),
                func.coalesce(func.sum(Order.charge), 0),
                func.coalesce(func.sum(Order.refunded), 0),
                func.coalesce(func.sum(reported), 0),
                func.coalesce(func.sum(expected), 0),
            )
            .where(Order.created_at >= start, Order.created_at < end)
            .group_by(Order.state)
        )
        return {
            state: (int(n), int(charged), int(refunded), int(rep), int(exp))
            for state, n, charged, refunded, rep, exp in await self.session.execute(stmt)
        }

    async def ledger_moves(
        self, start: datetime, end: datetime
    ) -> dict[tuple[LedgerKind, bool], tuple[int, int]]:
        """Per (kind, is a credit), rows written in the window: (count, sum as positive)."""
        credit = LedgerEntry.amount > 0
        stmt = (
            select(
                LedgerEntry.kind,
                credit,
                func.count(),
                func.coalesce(func.sum(func.abs(LedgerEntry.amount)), 0),
            )
            .where(LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
            .group_by(LedgerEntry.kind, credit)
        )
        return {
            (kind, bool(is_credit)): (int(n), int(total))
            for kind, is_credit, n, total in await self.session.execute(stmt)
        }

    async def top_services(
        self, start: datetime, end: datetime, *, limit: int
    ) -> list[tuple[str, int, int]]:
        """(name, orders, net revenue) of orders placed in the window, failed and canceled
        ones left out, by net revenue."""
        net = func.sum(Order.charge - Order.refunded)
        stmt = (
            select(func.max(Order.service_name), func.count(), net)
            .where(
                Order.created_at >= start,
                Order.created_at < end,
                Order.state.not_in((OrderState.FAILED, OrderState.CANCELED)),
            )
            .group_by(Order.service_id)
            .order_by(net.desc(), func.count().desc(), Order.service_id)
            .limit(limit)
        )
        return [
            (name, int(n), int(total or 0)) for name, n, total in await self.session.execute(stmt)
        ]

    async def new_customers(self, start: datetime, end: datetime) -> int:
        stmt = select(func.count()).where(User.created_at >= start, User.created_at < end)
        return int(await self.session.scalar(stmt) or 0)

    async def stars_refunds(self, start: datetime, end: datetime) -> tuple[int, int, int]:
        """Payments Telegram refunded in the window: (count, Stars, credit taken back)."""
        stmt = select(
            func.count(),
            func.coalesce(func.sum(Payment.stars), 0),
            func.coalesce(func.sum(Payment.credit), 0),
        ).where(
            Payment.state == PaymentState.REFUNDED,
            Payment.refunded_at >= start,
            Payment.refunded_at < end,
        )
        n, stars, credit = (await self.session.execute(stmt)).one()
        return int(n), int(stars), int(credit)
