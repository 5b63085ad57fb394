"""Refill requests of orders and their provider status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select, update

from db.models import Order, Refill
from db.repositories.base import Repo
from db.repositories.orders import one_of


class RefillRepo(Repo):
    async def add(
        self,
        order_id: int,
        *,
        status: str,
        now: datetime,
        provider_refill_id: str | None = None,
        provider_status: str | None = None,
        error: str | None = None,
    ) -> Refill:
        refill = Refill(
            order_id=order_id,
            provider_refill_id=provider_refill_id,
            status=status,
            provider_status=provider_status,
            error=error,
            created_at=now,
            updated_at=now,
        )
        self.session.add(refill)
        await self.session.flush()
        return refill

    async def get(self, refill_id: int) -> Refill | None:
        return await self.session.get(Refill, refill_id)

    async def for_order(self, order_id: int) -> list[Refill]:
        stmt = select(Refill).where(Refill.order_id == order_id).order_by(Refill.id)
        return list(await self.session.scalars(stmt))

    async def in_status(
        self,
        statuses: Iterable[str],
        *,
        checked_before: datetime,
        limit: int = 100,
        provider_ids: Sequence[int | None] | None = None,
    ) -> list[Refill]:
        """Refills in one of `statuses` not checked since `checked_before`, oldest first;
        with `provider_ids`, only those of orders of these panels."""
        of_panels = []
        if provider_ids is not None:
            of_panels = [
                Refill.order_id.in_(select(Order.id).where(one_of(Order.provider_id, provider_ids)))
            ]
        stmt = (
            select(Refill)
            .where(
                Refill.status.in_(list(statuses)),
                Refill.provider_refill_id.is_not(None),
                or_(Refill.last_checked_at.is_(None), Refill.last_checked_at < checked_before),
                *of_panels,
            )
            .order_by(Refill.last_checked_at.is_not(None), Refill.last_checked_at, Refill.id)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))

    # --- refill polling (bot/jobs/refills.py) --------------------------------------

    async def many(self, refill_ids: Iterable[int]) -> list[Refill]:
        ids = list(refill_ids)
        if not ids:
            return []
        stmt = select(Refill).where(Refill.id.in_(ids)).order_by(Refill.id)
        return list(await self.session.scalars(stmt, execution_options={"populate_existing": True}))

    async def transition(
        self,
        refill_id: int,
        *,
        from_status: str,
        to_status: str,
        provider_status: str | None,
        now: datetime,
    ) -> bool:
        """Move the refill from `from_status` to `to_status` if it is still there: at most
        once, whatever runs concurrently."""
        stmt = (
            update(Refill)
            .where(Refill.id == refill_id, Refill.status == from_status)
            .values(
                status=to_status,
                provider_status=provider_status,
                error=None,
                updated_at=now,
                last_checked_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def record_check(
        self,
        refill_id: int,
        *,
        now: datetime,
        provider_status: str | None = None,
        error: str | None = None,
    ) -> None:
        """Checked, nothing moved: the panel's words (or its error) and the time."""
        values: dict[str, object] = {"last_checked_at": now, "error": error}
        if provider_status is not None:
            values["provider_status"] = provider_status[:64]
        await self.session.execute(
            update(Refill)
            .where(Refill.id == refill_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
