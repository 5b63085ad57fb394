"""Stars refunds: /starsrefund in three steps (see the package's docstring), and
Telegram's refunded_payment message, ours or made outside the bot."""

from __future__ import annotations

from dataclasses import dataclass

from bot.shop.enums import LedgerKind, PaymentState
from bot.shop.errors import InsufficientFunds, NotFound
from bot.shop.money import Micro
from bot.shop.payments.base import PaymentServiceBase
from bot.shop.payments.errors import CreditSpent, NotRefundable
from bot.shop.payments.references import ledger_reference
from bot.shop.payments.values import (
    NoNotices,
    Party,
    PaymentDTO,
    PaymentNotices,
    RefundCall,
    RefundOutcome,
    RefundReply,
    RefundSeen,
    SeenOutcome,
    StarsRefund,
    TelegramRefund,
)
from db.models import Payment
from db.repositories.audit import AuditRepo
from db.uow import writes


@dataclass(frozen=True, slots=True)
class _RefundStarted:
    payment_id: int
    charge_id: str
    payer: Party
    attempt: int  # the refund attempt whose debit is in place
    retried: bool  # the wallet had been debited by an earlier attempt


class PaymentRefunds(PaymentServiceBase):
    """`PaymentService.refund` and `PaymentService.refund_seen`."""

    async def refund(
        self,
        charge_id: str,
        *,
        actor_id: int,
        call: RefundCall,
        notices: PaymentNotices | None = None,
    ) -> StarsRefund:
        """/starsrefund: see the module's docstring for the order of the steps.

        Raises NotFound, NotRefundable, CreditSpent before anything changed. The debit is
        committed before Telegram is called, no transaction is open during the call, and
        its outcome is committed by a use case of its own.
        """
        started = await self._start_refund(charge_id, actor_id)
        reply = await call(started.payer.telegram_id, charge_id)
        return await self._finish_refund(started, reply, notices or NoNotices())

    @writes
    async def _start_refund(self, charge_id: str, actor_id: int) -> _RefundStarted:
        row = await self.payments.by_charge(charge_id)
        if row is None:
            raise NotFound("payment", charge_id)
        payer = await self._party(row.user_id)
        retried = row.state is PaymentState.REFUNDING
        if row.state is PaymentState.PAID:
            async with self.payments.savepoint():
                row = await self._take_back(row, charge_id, actor_id=actor_id)
        elif not retried:
            raise NotRefundable(charge_id, row.state.value)
        return _RefundStarted(row.id, charge_id, payer, row.refund_attempts, retried)

    @writes
    async def _finish_refund(
        self, started: _RefundStarted, reply: RefundReply, notices: PaymentNotices
    ) -> StarsRefund:
        charge_id = started.charge_id
        row = await self.payments.by_charge(charge_id)
        if row is None:
            raise NotFound("payment", charge_id)
        debited, clawback = row.credit, row.clawback
        final: Payment = row
        pending = row.state is PaymentState.REFUNDING
        if not pending:
            # Finished meanwhile (Telegram's refunded_payment message came first).
            outcome = (
                RefundOutcome.REFUNDED
                if row.state is PaymentState.REFUNDED
                else RefundOutcome.REVERSED
            )
            if outcome is RefundOutcome.REVERSED:
                debited = clawback = 0
        elif reply.status is TelegramRefund.DONE:
            done = await self._confirm_refund(row)
            final = done or row
            outcome = RefundOutcome.REFUNDED
        elif reply.status is TelegramRefund.REFUSED:
            final = await self._give_back(row, charge_id, started.attempt)
            outcome = RefundOutcome.REVERSED
            debited = clawback = 0
        else:
            outcome = RefundOutcome.PENDING
        result = StarsRefund(
            outcome=outcome,
            payment=PaymentDTO.of(final),
            payer=started.payer,
            debited=debited,
            clawback=clawback,
            balance=await self.wallet.balance(row.user_id),
            telegram_text=reply.text,
            retried=started.retried,
        )
        if outcome is RefundOutcome.REFUNDED and pending:
            await notices.refunded(result)
        return result

    async def _confirm_refund(self, row: Payment) -> Payment | None:
        """Telegram refunded it: refunding -> refunded (None if it moved meanwhile)."""
        return await self.payments.transition(
            row.id, PaymentState.REFUNDING, PaymentState.REFUNDED, refunded_at=self.clock.now()
        )

    async def _take_back(
        self, row: Payment, charge_id: str, *, actor_id: int | None, final: bool = False
    ) -> Payment:
        """Debit the credit (CreditSpent if spent) and what the referrer still holds of
        their reward; paid -> refunding (or -> refunded when `final`)."""
        attempt = row.refund_attempts + 1
        try:
            await self.wallet.debit(
                row.user_id,
                row.credit,
                LedgerKind.ADJUSTMENT,
                ledger_reference("stars-refund", charge_id, attempt),
                actor_id=actor_id,
                note=f"Stars refund of payment #{row.id}",
            )
        except InsufficientFunds as exc:
            raise CreditSpent(needed=row.credit, available=exc.available) from None
        clawback = await self._claw_back_reward(row, charge_id, attempt, actor_id)
        now = self.clock.now()
        moved = await self.payments.transition(
            row.id,
            PaymentState.PAID,
            PaymentState.REFUNDED if final else PaymentState.REFUNDING,
            refund_attempts=attempt,
            clawback=clawback,
            refund_actor_id=actor_id,
            refunded_at=now if final else None,
        )
        if moved is None:  # another refund moved it first: undo ours (the savepoint)
            current = await self.payments.by_charge(charge_id)
            raise NotRefundable(charge_id, current.state.value if current else "unknown")
        if actor_id is not None:
            await AuditRepo(self.session).record(
                actor_id,
                "stars_refund",
                now=now,
                target_type="payment",
                target_id=row.id,
                details={
                    "charge_id": charge_id,
                    "stars": row.stars,
                    "credit": row.credit,
                    "clawback": clawback,
                    "attempt": attempt,
                },
            )
        return moved

    async def _claw_back_reward(
        self, row: Payment, charge_id: str, attempt: int, actor_id: int | None
    ) -> Micro:
        reward = await self.wallet.entry(ledger_reference("referral", charge_id))
        if reward is None:
            return 0
        available = await self.wallet.balance(reward.user_id)
        take = min(reward.amount, available)
        if take <= 0:
            return 0
        try:
            await self.wallet.debit(
                reward.user_id,
                take,
                LedgerKind.ADJUSTMENT,
                ledger_reference("referral-clawback", charge_id, attempt),
                actor_id=actor_id,
                note=f"referral reward of refunded payment #{row.id}",
            )
        except InsufficientFunds:  # spent meanwhile: the referrer keeps it
            return 0
        return take

    async def _give_back(self, row: Payment, charge_id: str, attempt: int) -> Payment:
        """Telegram refused the refund: credit back what the attempt took; -> paid."""
        await self.wallet.credit(
            row.user_id,
            row.credit,
            LedgerKind.ADJUSTMENT,
            ledger_reference("stars-refund-reversal", charge_id, attempt),
            note=f"Telegram refused the Stars refund of payment #{row.id}",
        )
        if row.clawback > 0:
            reward = await self.wallet.entry(ledger_reference("referral", charge_id))
            if reward is not None:
                await self.wallet.credit(
                    reward.user_id,
                    row.clawback,
                    LedgerKind.ADJUSTMENT,
                    ledger_reference("referral-clawback-reversal", charge_id, attempt),
                    note=f"Telegram refused the Stars refund of payment #{row.id}",
                )
        moved = await self.payments.transition(
            row.id, PaymentState.REFUNDING, PaymentState.PAID, clawback=0
        )
        return moved or row

    @writes
    async def refund_seen(
        self, charge_id: str, *, user_id: int, notices: PaymentNotices | None = None
    ) -> RefundSeen:
        """Telegram's refunded_payment message (in the payer's chat): confirms our refund,
        or reports one made outside the bot (then the wallet is debited now if the credit
        is unspent, and the operators' alert is queued with it)."""
        seen = await self._refund_seen(charge_id, user_id=user_id)
        if seen.outcome in (SeenOutcome.EXTERNAL, SeenOutcome.EXTERNAL_SPENT):
            await (notices or NoNotices()).refund_seen(seen)
        return seen

    async def _refund_seen(self, charge_id: str, *, user_id: int) -> RefundSeen:
        row = await self.payments.by_charge(charge_id)
        if row is None or row.user_id != user_id:
            return RefundSeen(SeenOutcome.UNKNOWN)
        payer = await self._party(row.user_id)
        if row.state is PaymentState.REFUNDING:
            done = await self._confirm_refund(row)
            return RefundSeen(SeenOutcome.CONFIRMED, PaymentDTO.of(done or row), payer)
        if row.state is not PaymentState.PAID:
            return RefundSeen(SeenOutcome.ALREADY, PaymentDTO.of(row), payer)
        try:
            async with self.payments.savepoint():
                moved = await self._take_back(row, charge_id, actor_id=None, final=True)
        except CreditSpent as exc:
            spent = await self.payments.transition(
                row.id,
                PaymentState.PAID,
                PaymentState.REFUNDED,
                refund_attempts=row.refund_attempts + 1,
                refunded_at=self.clock.now(),
            )
            return RefundSeen(
                SeenOutcome.EXTERNAL_SPENT,
                PaymentDTO.of(spent or row),
                payer,
                balance=exc.available,
            )
        except NotRefundable:
            return RefundSeen(SeenOutcome.ALREADY, PaymentDTO.of(row), payer)
        return RefundSeen(
            SeenOutcome.EXTERNAL,
            PaymentDTO.of(moved),
            payer,
            debited=moved.credit,
            balance=await self.wallet.balance(row.user_id),
        )


__all__ = ["PaymentRefunds"]
