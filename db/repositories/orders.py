"""Orders and their state history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update

from db.models import Order, OrderEvent, OrderState
from db.repositories.base import Repo


class OrderRepo(Repo):
    async def insert_new(self, **values: Any) -> int | None:
        """Insert an order; its id, or None when its checkout token is taken already.

        Under concurrency on PostgreSQL, a second insert of the same token waits for the
        first transaction and then does nothing (or inserts, if the first rolled back).
        """
        stmt = (
            self.insert_stmt(Order)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Order.checkout_token])
            .returning(Order.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get(self, order_id: int, *, lock: bool = False) -> Order | None:
        """The order; with `lock`, its row is locked until the transaction ends.

        (SQLite has no row locks: there BEGIN IMMEDIATE already serializes writers.)
        """
        stmt = select(Order).where(Order.id == order_id)
        if lock:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def by_token(self, checkout_token: str) -> Order | None:
        return await self.session.scalar(
            select(Order).where(Order.checkout_token == checkout_token),
            execution_options={"populate_existing": True},
        )

    async def by_provider_order_id(self, provider_id: int, provider_order_id: str) -> Order | None:
        stmt = select(Order).where(
            Order.provider_id == provider_id, Order.provider_order_id == provider_order_id
        )
        return await self.session.scalar(stmt)

    async def page_for_user(self, user_id: int, *, limit: int, offset: int = 0) -> list[Order]:
        """Newest first."""
        stmt = (
            select(Order)
            .where(Order.user_id == user_id)
            .order_by(Order.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(await self.session.scalars(stmt))

    async def count_for_user(self, user_id: int) -> int:
        stmt = select(func.count()).select_from(Order).where(Order.user_id == user_id)
        return await self.session.scalar(stmt) or 0

    async def in_state(self, state: OrderState, *, limit: int = 100) -> list[Order]:
        stmt = select(Order).where(Order.state == state).order_by(Order.id).limit(limit)
        return list(await self.session.scalars(stmt))

    async def due_for_check(
        self, *, checked_before: datetime, limit: int = 100, state: OrderState = OrderState.ACTIVE
    ) -> list[Order]:
        """Orders in `state` not checked since `checked_before`, never-checked and oldest first."""
        stmt = (
            select(Order)
            .where(
                Order.state == state,
                or_(Order.last_checked_at.is_(None), Order.last_checked_at < checked_before),
            )
            .order_by(Order.last_checked_at.is_not(None), Order.last_checked_at, Order.id)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))

    async def transition(
        self, order_id: int, *, from_state: OrderState, to_state: OrderState, **values: Any
    ) -> bool:
        """Move the order from `from_state` to `to_state` with `values`, if it is still there.

        The state in the WHERE clause makes each transition happen at most once, whatever
        runs concurrently; False when the order was not in `from_state`.
        """
        stmt = (
            update(Order)
            .where(Order.id == order_id, Order.state == from_state)
            .values(state=to_state, **values)
            .execution_options(synchronize_session="fetch")
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def update(self, order_id: int, **values: Any) -> None:
        await self.session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )

    async def touch_checked(self, order_ids: Iterable[int], *, now: datetime) -> None:
        ids = list(order_ids)
        if ids:
            await self.session.execute(
                update(Order)
                .where(Order.id.in_(ids))
                .values(last_checked_at=now)
                .execution_options(synchronize_session=False)
            )

    async def add_event(
        self,
        order_id: int,
        *,
        from_state: OrderState | None,
        to_state: OrderState,
        at: datetime,
        refund: int = 0,
        note: str | None = None,
        actor_id: int | None = None,
    ) -> OrderEvent:
        event = OrderEvent(
            order_id=order_id,
            from_state=from_state,
            to_state=to_state,
            refund=refund,
            note=note,
            actor_id=actor_id,
            at=at,
        )
        self.session.add(event)
        await self.session.flush()
        return event

    async def events(self, order_id: int) -> list[OrderEvent]:
        stmt = select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        return list(await self.session.scalars(stmt))
