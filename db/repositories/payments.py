"""Stars invoices and their payments; the referral figures read beside them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from bot.shop.enums import LedgerKind, PaymentPurpose, PaymentState
from db.models import LedgerEntry, Payment, User
from db.repositories.base import Repo


class PaymentRepo(Repo):
    async def create(
        self,
        *,
        payload: str,
        user_id: int,
        purpose: PaymentPurpose,
        stars: int,
        credit: int,
        now: datetime,
        order_token: str | None = None,
        state: PaymentState = PaymentState.ISSUED,
        charge_id: str | None = None,
        paid_at: datetime | None = None,
    ) -> Payment | None:
        """The new row, or None when the payload or the charge id exists already."""
        stmt = (
            self.insert_stmt(Payment)
            .values(
                payload=payload,
                user_id=user_id,
                purpose=purpose,
                state=state,
                stars=stars,
                credit=credit,
                order_token=order_token,
                charge_id=charge_id,
                refund_attempts=0,
                clawback=0,
                created_at=now,
                paid_at=paid_at,
            )
            .on_conflict_do_nothing()
            .returning(Payment)
        )
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def by_payload(self, payload: str) -> Payment | None:
        stmt = select(Payment).where(Payment.payload == payload)
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def by_charge(self, charge_id: str) -> Payment | None:
        stmt = select(Payment).where(Payment.charge_id == charge_id)
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def open_shortfall(self, user_id: int, order_token: str, stars: int) -> Payment | None:
        """An unpaid invoice already issued for this kept order and amount."""
        stmt = (
            select(Payment)
            .where(
                Payment.user_id == user_id,
                Payment.purpose == PaymentPurpose.SHORTFALL,
                Payment.order_token == order_token,
                Payment.stars == stars,
                Payment.state == PaymentState.ISSUED,
            )
            .order_by(Payment.id.desc())
            .limit(1)
        )
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def mark_paid(self, payment_id: int, charge_id: str, now: datetime) -> Payment | None:
        """issued -> paid with the charge id: one conditional UPDATE; None if not issued."""
        return await self.transition(
            payment_id, PaymentState.ISSUED, PaymentState.PAID, charge_id=charge_id, paid_at=now
        )

    async def transition(
        self, payment_id: int, from_state: PaymentState, to_state: PaymentState, **values: Any
    ) -> Payment | None:
        """Move the row from `from_state` to `to_state` (and set `values`) if it is still
        in `from_state`; the updated row, or None when another writer moved it first."""
        stmt = (
            update(Payment)
            .where(Payment.id == payment_id, Payment.state == from_state)
            .values(state=to_state, **values)
            .returning(Payment)
        )
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def recent(self, user_id: int, *, limit: int = 5) -> list[Payment]:
        """The user's latest paid (or refunded) payments, newest first."""
        stmt = (
            select(Payment)
            .where(Payment.user_id == user_id, Payment.state != PaymentState.ISSUED)
            .order_by(Payment.id.desc())
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))


class ReferralRepo(Repo):
    async def invited(self, user_id: int) -> int:
        stmt = select(func.count()).select_from(User).where(User.referrer_id == user_id)
        return await self.session.scalar(stmt) or 0

    async def earned(self, user_id: int) -> int:
        """The sum of the user's referral rewards (micro-units)."""
        stmt = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.user_id == user_id, LedgerEntry.kind == LedgerKind.REFERRAL
        )
        return int(await self.session.scalar(stmt) or 0)
