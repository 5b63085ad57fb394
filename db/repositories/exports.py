"""Rows for /export, a page at a time: keyset pagination by id, so a big shop is read in
slices of `limit` rows, each in its own short read, never all at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select

from db.models import LedgerEntry, Order, User
from db.repositories.base import Repo


def _window(column: Any, start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    """`start` <= column < `end`, each bound optional."""
    found: list[ColumnElement[bool]] = []
    if start is not None:
        found.append(column >= start)
    if end is not None:
        found.append(column < end)
    return found


class ExportRepo(Repo):
    async def orders(
        self, *, after_id: int, limit: int, start: datetime | None, end: datetime | None
    ) -> Sequence[Any]:
        """Orders placed in the window, with their customer, by id after `after_id`."""
        stmt = (
            select(
                Order.id,
                Order.created_at,
                User.telegram_id,
                User.username,
                Order.service_id,
                Order.service_name,
                Order.category,
                Order.link,
                Order.quantity,
                Order.state,
                Order.charge,
                Order.refunded,
                Order.cost,
                Order.currency,
                Order.provider_order_id,
                Order.finished_at,
            )
            .join(User, User.id == Order.user_id)
            .where(Order.id > after_id, *_window(Order.created_at, start, end))
            .order_by(Order.id)
            .limit(limit)
        )
        return (await self.session.execute(stmt)).all()

    async def ledger(
        self, *, after_id: int, limit: int, start: datetime | None, end: datetime | None
    ) -> Sequence[Any]:
        """Ledger rows written in the window, with their customer, by id."""
        stmt = (
            select(
                LedgerEntry.id,
                LedgerEntry.created_at,
                User.telegram_id,
                User.username,
                LedgerEntry.kind,
                LedgerEntry.amount,
                LedgerEntry.balance_after,
                LedgerEntry.reference,
                LedgerEntry.order_id,
                LedgerEntry.actor_id,
                LedgerEntry.note,
            )
            .join(User, User.id == LedgerEntry.user_id)
            .where(LedgerEntry.id > after_id, *_window(LedgerEntry.created_at, start, end))
            .order_by(LedgerEntry.id)
            .limit(limit)
        )
        return (await self.session.execute(stmt)).all()

    async def customers(
        self, *, after_id: int, limit: int, start: datetime | None, end: datetime | None
    ) -> Sequence[Any]:
        """Customers who joined in the window, by id."""
        stmt = (
            select(
                User.id,
                User.created_at,
                User.telegram_id,
                User.username,
                User.first_name,
                User.language,
                User.balance,
                User.banned,
                User.unreachable_since,
            )
            .where(User.id > after_id, *_window(User.created_at, start, end))
            .order_by(User.id)
            .limit(limit)
        )
        return (await self.session.execute(stmt)).all()
