"""The wallet ledger: one row per change of a balance, each with a unique reference."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.shop.enums import LedgerKind
from db.models import LedgerEntry, User, table_of
from db.repositories.base import Repo

_ledger = table_of(LedgerEntry)
# Prebuilt per dialect: the wallet's hot path (see users.py).
_INSERT = {
    name: dialect.insert(_ledger)
    .on_conflict_do_nothing(index_elements=[_ledger.c.reference])
    .returning(*_ledger.c)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


class LedgerRepo(Repo):
    async def insert(
        self,
        *,
        user_id: int,
        kind: LedgerKind,
        amount: int,
        balance_after: int,
        reference: str,
        now: datetime,
        order_id: int | None = None,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> Row[Any] | None:
        """The new row (its columns as attributes), or None when the reference exists.

        ON CONFLICT DO NOTHING instead of catching the unique violation: on PostgreSQL a
        failed INSERT would abort the caller's whole transaction. Under concurrency a
        second writer of the same reference waits for the first and then does nothing.
        """
        values = {
            "user_id": user_id,
            "kind": kind,
            "amount": amount,
            "balance_after": balance_after,
            "reference": reference,
            "order_id": order_id,
            "actor_id": actor_id,
            "note": note,
            "created_at": now,
        }
        result = await self.session.execute(_INSERT[self.dialect], values)
        return result.one_or_none()

    async def by_reference(self, reference: str) -> LedgerEntry | None:
        return await self.session.scalar(
            select(LedgerEntry).where(LedgerEntry.reference == reference)
        )

    async def page(self, user_id: int, *, limit: int, offset: int = 0) -> list[LedgerEntry]:
        """Newest first."""
        stmt = (
            select(LedgerEntry)
            .where(LedgerEntry.user_id == user_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(await self.session.scalars(stmt))

    async def for_order(self, order_id: int) -> list[LedgerEntry]:
        stmt = select(LedgerEntry).where(LedgerEntry.order_id == order_id).order_by(LedgerEntry.id)
        return list(await self.session.scalars(stmt))

    async def count(self, user_id: int) -> int:
        stmt = select(func.count()).select_from(LedgerEntry).where(LedgerEntry.user_id == user_id)
        return await self.session.scalar(stmt) or 0

    async def total(self, user_id: int) -> int:
        """The sum of the user's rows: what the balance must equal."""
        stmt = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.user_id == user_id
        )
        return int(await self.session.scalar(stmt) or 0)

    async def mismatches(self, limit: int = 100) -> list[tuple[int, int, int]]:
        """(user id, balance, ledger sum) of every user whose balance disagrees."""
        sums = (
            select(LedgerEntry.user_id, func.sum(LedgerEntry.amount).label("total"))
            .group_by(LedgerEntry.user_id)
            .subquery()
        )
        total = func.coalesce(sums.c.total, 0)
        stmt = (
            select(User.id, User.balance, total)
            .outerjoin(sums, sums.c.user_id == User.id)
            .where(User.balance != total)
            .order_by(User.id)
            .limit(limit)
        )
        return [(row[0], row[1], int(row[2])) for row in await self.session.execute(stmt)]
