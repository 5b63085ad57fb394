"""Figures of each panel for the admins' /panels and /stats (grouped by providers row)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select

from bot.shop.enums import OrderState
from db.models import Order, ServiceRow
from db.repositories.base import Repo

COSTED = (OrderState.ACTIVE, OrderState.COMPLETED, OrderState.PARTIAL)


class PanelFiguresRepo(Repo):
    async def active_orders(self) -> dict[int | None, int]:
        stmt = (
            select(Order.provider_id, func.count())
            .where(Order.state == OrderState.ACTIVE)
            .group_by(Order.provider_id)
        )
        return {pid: int(n) for pid, n in await self.session.execute(stmt)}

    async def flagged_orders(self) -> dict[int | None, int]:
        stmt = (
            select(Order.provider_id, func.count())
            .where(Order.state == OrderState.ACTIVE, Order.flagged_at.is_not(None))
            .group_by(Order.provider_id)
        )
        return {pid: int(n) for pid, n in await self.session.execute(stmt)}

    async def last_checked(self) -> dict[int | None, datetime]:
        """When an order of each panel was last heard of by a status check."""
        stmt = select(Order.provider_id, func.max(Order.last_checked_at)).group_by(
            Order.provider_id
        )
        return {pid: at for pid, at in await self.session.execute(stmt) if at is not None}

    async def services(self) -> dict[int, int]:
        stmt = (
            select(ServiceRow.provider_id, func.count())
            .where(ServiceRow.removed_at.is_(None))
            .group_by(ServiceRow.provider_id)
        )
        return {pid: int(n) for pid, n in await self.session.execute(stmt)}

    async def money(self, since: datetime | None) -> dict[int | None, tuple[int, int, int, int]]:
        """Of orders placed since, by panel: (charged, refunded, provider charge reported
        in the panel's currency, expected cost in the shop currency where none was)."""
        costed = Order.state.in_(COSTED)
        stmt = select(
            Order.provider_id,
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
        ).group_by(Order.provider_id)
        if since is not None:
            stmt = stmt.where(Order.created_at >= since)
        return {
            row[0]: (int(row[1]), int(row[2]), int(row[3]), int(row[4]))
            for row in await self.session.execute(stmt)
        }
