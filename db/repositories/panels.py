"""Figures of each panel for the admins' /panels (grouped by providers row); /stats takes
its panels' money from StatsRepo.order_groups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from bot.shop.enums import OrderState
from db.models import Order, ServiceRow
from db.repositories.base import Repo


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

    async def last_checked(self, *, ok_only: bool = False) -> dict[int | None, datetime]:
        """When an order of each panel was last asked about by a status check; with
        `ok_only`, the last check the panel answered without an error (an order's
        `last_checked_at` is a success exactly when no poll error followed it)."""
        stmt = select(Order.provider_id, func.max(Order.last_checked_at)).group_by(
            Order.provider_id
        )
        if ok_only:
            stmt = stmt.where(Order.poll_errors == 0)
        return {pid: at for pid, at in await self.session.execute(stmt) if at is not None}

    async def services(self) -> dict[int, int]:
        stmt = (
            select(ServiceRow.provider_id, func.count())
            .where(ServiceRow.removed_at.is_(None))
            .group_by(ServiceRow.provider_id)
        )
        return {pid: int(n) for pid, n in await self.session.execute(stmt)}
