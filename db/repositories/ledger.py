"""The wallet ledger: one row per change of a balance, each with a unique reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.shop.enums import LedgerKind
from db.models import LedgerEntry, User, table_of
from db.repositories.base import Repo
from db.repositories.rowsets import (
    BIGINT,
    TEXT,
    constant_params,
    insert_from_rowset,
    per_dialect,
    rowset,
    rowset_param,
)

_ledger = table_of(LedgerEntry)
# Prebuilt per dialect: the wallet's hot path (see users.py).
_INSERT = {
    name: dialect.insert(_ledger)
    .on_conflict_do_nothing(index_elements=[_ledger.c.reference])
    .returning(*_ledger.c)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
# What credit_many writes per row (the rest is the same for all of them).
_CREDIT_COLUMNS = (
    ("user_id", BIGINT),
    ("kind", TEXT),
    ("amount", BIGINT),
    ("balance_after", BIGINT),
    ("reference", TEXT),
    ("order_id", BIGINT),
)


_users = table_of(User)
_LOCK_USERS = (
    select(_users.c.id)
    .where(_users.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_users.c.id)
    .with_for_update()
)


@per_dialect
def _credit_balances(dialect: str) -> Any:
    """credit_many's UPDATE of the balances, each by its sum, from a rowset."""
    given = rowset(dialect, "v", (("v_id", BIGINT), ("v_amount", BIGINT)), "rows")
    return (
        update(_users)
        .where(_users.c.id == given.c.v_id)
        .values(balance=_users.c.balance + given.c.v_amount)
        .returning(_users.c.id, _users.c.balance)
    )


@per_dialect
def _credit_rows(dialect: str) -> Any:
    """credit_many's INSERT of the ledger rows; the references it wrote come back."""
    return (
        insert_from_rowset(
            dialect, _ledger, _CREDIT_COLUMNS, ("actor_id", "note", "created_at"), "rows"
        )
        .on_conflict_do_nothing(index_elements=[_ledger.c.reference])
        .returning(_ledger.c.reference)
    )


@dataclass(frozen=True, slots=True)
class Credit:
    """One credit of many written at once (`LedgerRepo.credit_many`)."""

    user_id: int
    amount: int  # > 0
    reference: str
    order_id: int | None = None


class LedgerRepo(Repo):
    async def credit_many(
        self, credits: Sequence[Credit], *, kind: LedgerKind, now: datetime
    ) -> set[str]:
        """Credit many balances with their ledger rows in a few statements: one UPDATE of
        the users' balances (each by the sum of its credits), one INSERT of the rows.

        Returns the references written. A reference that exists already is skipped by
        the INSERT (ON CONFLICT DO NOTHING) while its balance was still credited: the
        caller must then roll back (a savepoint) - the returned set tells it.
        Each row's balance_after is the balance after it, credits applied in the order
        given: the users' rows stay locked (or, on SQLite, the database) until the
        transaction ends, so the balance before them is the returned one minus their sum.
        """
        if not credits:
            return set()
        totals: dict[int, int] = {}
        for credit in credits:
            if credit.amount <= 0:
                raise ValueError(f"a credit must be positive: {credit}")
            totals[credit.user_id] = totals.get(credit.user_id, 0) + credit.amount
        if self.dialect == "postgresql":
            # Locked in id order first: two writers crediting overlapping customers
            # queue instead of deadlocking (one UPDATE locks in no given order).
            await self.session.execute(_LOCK_USERS, {"ids": sorted(totals)})
        result = await self.session.execute(
            _credit_balances(self.dialect),
            {"rows": rowset_param([{"v_id": u, "v_amount": a} for u, a in sorted(totals.items())])},
        )
        balances = {int(row[0]): int(row[1]) for row in result}
        missing = set(totals) - set(balances)
        if missing:
            raise LookupError(f"no such users: {sorted(missing)}")
        # Walk each user's credits backwards from the final balance.
        after: list[int] = [0] * len(credits)
        running = dict(balances)
        for index in range(len(credits) - 1, -1, -1):
            credit = credits[index]
            after[index] = running[credit.user_id]
            running[credit.user_id] -= credit.amount
        rows = [
            {
                "user_id": credit.user_id,
                "kind": LedgerKind(kind).value,
                "amount": credit.amount,
                "balance_after": after[index],
                "reference": credit.reference,
                "order_id": credit.order_id,
            }
            for index, credit in enumerate(credits)
        ]
        result = await self.session.execute(
            _credit_rows(self.dialect),
            {
                "rows": rowset_param(rows),
                **constant_params(actor_id=None, note=None, created_at=now),
            },
        )
        return {str(ref) for ref in result.scalars()}

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
