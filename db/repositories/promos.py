"""Promo codes and their redemptions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from db.models import PromoCode, PromoRedemption
from db.repositories.base import Repo


class PromoRepo(Repo):
    async def create(
        self,
        *,
        code: str,
        amount: int,
        uses: int,
        expires_at: datetime | None,
        created_by: int,
        now: datetime,
    ) -> PromoCode | None:
        """The new code, or None when the code exists (codes are never reused)."""
        stmt = (
            self.insert_stmt(PromoCode)
            .values(
                code=code,
                amount=amount,
                uses_total=uses,
                uses_left=uses,
                active=True,
                expires_at=expires_at,
                created_by=created_by,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[PromoCode.code])
            .returning(PromoCode)
        )
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def by_code(self, code: str) -> PromoCode | None:
        stmt = select(PromoCode).where(PromoCode.code == code)
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def page(self, *, limit: int = 50) -> list[PromoCode]:
        """Newest first."""
        stmt = select(PromoCode).order_by(PromoCode.id.desc()).limit(limit)
        return list(await self.session.scalars(stmt))

    async def disable(self, code: str) -> PromoCode | None:
        stmt = (
            update(PromoCode)
            .where(PromoCode.code == code)
            .values(active=False)
            .returning(PromoCode)
        )
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def take_use(self, promo_id: int, now: datetime) -> int | None:
        """One use of an active, unexpired code with uses left: one conditional UPDATE.

        Returns the uses left after it, or None when there was none to take. Concurrent
        callers cannot both take the last use: the row lock (PostgreSQL) or the write
        lock (SQLite) makes the second re-check `uses_left > 0`.
        """
        stmt = (
            update(PromoCode)
            .where(
                PromoCode.id == promo_id,
                PromoCode.active.is_(True),
                PromoCode.uses_left > 0,
                or_(PromoCode.expires_at.is_(None), PromoCode.expires_at > now),
            )
            .values(uses_left=PromoCode.uses_left - 1)
            .returning(PromoCode.uses_left)
        )
        return await self.session.scalar(stmt)

    async def add_redemption(
        self, *, promo_id: int, user_id: int, amount: int, now: datetime
    ) -> bool:
        """False when this user redeemed this code before (unique (promo, user))."""
        stmt = (
            self.insert_stmt(PromoRedemption)
            .values(promo_id=promo_id, user_id=user_id, amount=amount, created_at=now)
            .on_conflict_do_nothing(
                index_elements=[PromoRedemption.promo_id, PromoRedemption.user_id]
            )
            .returning(PromoRedemption.id)
        )
        return await self.session.scalar(stmt) is not None
