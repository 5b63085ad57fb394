"""`PaymentService`: invoices, the pre-checkout check, a successful payment (with the
referrer's reward), refunds (refunds.py) and the customer's recent payments."""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.enums import LedgerKind, PaymentPurpose, PaymentState
from bot.shop.money import Micro
from bot.shop.payments.errors import NoShortfall
from bot.shop.payments.references import ledger_reference, sibling_payload
from bot.shop.payments.refunds import PaymentRefunds
from bot.shop.payments.values import (
    MAX_CHARGE_ID,
    STARS,
    Completion,
    NoNotices,
    PaidOutcome,
    PaymentConfig,
    PaymentDTO,
    PaymentNotices,
    ReferralCredit,
    Refusal,
    StarsQuote,
)
from bot.shop.referrals import referral_reward
from bot.shop.wallet import WalletService
from db.models import Payment
from db.repositories.payments import PaymentRepo
from db.repositories.users import UserRepo
from db.uow import reads, writes


class PaymentService(PaymentRefunds):
    @classmethod
    def from_session(
        cls, session: AsyncSession, clock: Clock, config: PaymentConfig
    ) -> PaymentService:
        return cls(
            session,
            PaymentRepo(session),
            UserRepo(session),
            WalletService.from_session(session, clock),
            clock,
            config,
        )

    # --- invoices --------------------------------------------------------------------

    @writes
    async def issue(
        self,
        user_id: int,
        quote: StarsQuote,
        *,
        purpose: PaymentPurpose = PaymentPurpose.TOPUP,
        order_token: str | None = None,
    ) -> PaymentDTO:
        """A new invoice row for the quote; the caller sends the invoice with its payload."""
        self._rate()
        now = self.clock.now()
        while True:
            row = await self.payments.create(
                payload=secrets.token_urlsafe(18),
                user_id=user_id,
                purpose=purpose,
                stars=quote.stars,
                credit=quote.credit,
                order_token=order_token,
                now=now,
            )
            if row is not None:  # a payload collision (never seen) just draws again
                return PaymentDTO.of(row)

    @writes
    async def issue_shortfall(self, user_id: int, charge: Micro, order_token: str) -> PaymentDTO:
        """An invoice for exactly what the kept order lacks now (whole Stars, rounded up).

        An unpaid invoice for the same order and amount is handed out again, so paying
        two copies of it is impossible. Raises NoShortfall when the balance covers the
        order, TopUpsUnavailable, TopUpOutOfRange.
        """
        balance = await self.wallet.balance(user_id)
        missing = charge - balance
        if missing <= 0:
            raise NoShortfall(balance)
        quote = self.quote(missing)
        open_row = await self.payments.open_shortfall(user_id, order_token, quote.stars)
        if open_row is not None and not self._expired(open_row):
            return PaymentDTO.of(open_row)
        return await self.issue(
            user_id, quote, purpose=PaymentPurpose.SHORTFALL, order_token=order_token
        )

    # --- pre-checkout ----------------------------------------------------------------

    @reads
    async def check(
        self, user_id: int, payload: str, currency: str, total_amount: int
    ) -> Refusal | None:
        """None when Telegram may take the payment; else why not. One SELECT."""
        row = await self.payments.by_payload(payload) if len(payload) <= 64 else None
        if row is None or row.user_id != user_id:
            return Refusal.UNKNOWN
        if row.state is not PaymentState.ISSUED:
            return Refusal.PAID
        if currency != STARS or total_amount != row.stars:
            return Refusal.AMOUNT
        if not self.available:
            return Refusal.UNAVAILABLE
        if self._expired(row):
            return Refusal.EXPIRED
        return None

    # --- successful payment ----------------------------------------------------------

    @writes
    async def complete(
        self,
        user_id: int,
        payload: str,
        currency: str,
        total_amount: int,
        charge_id: str,
        *,
        notices: PaymentNotices | None = None,
    ) -> Completion:
        """Mark the invoice paid and credit it, once per charge id; the notices of a new
        credit (or of a payment we cannot match) are queued in the same transaction."""
        done = await self._complete(user_id, payload, currency, total_amount, charge_id)
        notices = notices or NoNotices()
        if done.outcome is PaidOutcome.CREDITED:
            await notices.credited(done)
        elif done.outcome is PaidOutcome.UNMATCHED:
            await notices.unmatched(done)
        return done

    async def _complete(
        self, user_id: int, payload: str, currency: str, total_amount: int, charge_id: str
    ) -> Completion:
        if not charge_id or len(charge_id) > MAX_CHARGE_ID:
            return Completion(PaidOutcome.UNMATCHED, refusal=Refusal.UNKNOWN)
        seen = await self.payments.by_charge(charge_id)
        if seen is not None:
            return await self._duplicate(seen)
        row = await self.payments.by_payload(payload) if len(payload) <= 64 else None
        if row is None or row.user_id != user_id:
            return Completion(PaidOutcome.UNMATCHED, refusal=Refusal.UNKNOWN)
        if currency != STARS or total_amount != row.stars:
            return Completion(PaidOutcome.UNMATCHED, PaymentDTO.of(row), refusal=Refusal.AMOUNT)
        now = self.clock.now()
        paid = await self.payments.mark_paid(row.id, charge_id, now)
        second = False
        if paid is None:
            seen = await self.payments.by_charge(charge_id)
            if seen is not None:  # a concurrent delivery of this very payment won
                return await self._duplicate(seen)
            # Another charge paid this invoice already: Telegram took the Stars twice.
            # This charge is a payment of its own (refundable by its own charge id).
            paid = await self.payments.create(
                payload=sibling_payload(row.payload, charge_id),
                user_id=row.user_id,
                purpose=row.purpose,
                stars=row.stars,
                credit=row.credit,
                order_token=row.order_token,
                now=now,
                state=PaymentState.PAID,
                charge_id=charge_id,
                paid_at=now,
            )
            if paid is None:
                seen = await self.payments.by_charge(charge_id)
                assert seen is not None
                return await self._duplicate(seen)
            second = True
        entry = await self.wallet.credit(
            paid.user_id,
            paid.credit,
            LedgerKind.TOPUP,
            ledger_reference("stars", charge_id),
            note=f"payment #{paid.id}: {paid.stars} Stars",
        )
        referral = await self._reward_referrer(paid, charge_id)
        return Completion(
            PaidOutcome.CREDITED,
            PaymentDTO.of(paid),
            balance=entry.balance_after,
            referral=referral,
            second_charge=second,
        )

    async def _duplicate(self, row: Payment) -> Completion:
        balance = await self.wallet.balance(row.user_id)
        return Completion(PaidOutcome.DUPLICATE, PaymentDTO.of(row), balance=balance)

    async def _reward_referrer(self, paid: Payment, charge_id: str) -> ReferralCredit | None:
        payer = await self.users.get(paid.user_id)
        if payer is None or payer.referrer_id is None or payer.referrer_id == payer.id:
            return None
        reward = referral_reward(paid.credit, self.config.referral_percent, self.config.currency)
        if reward <= 0:
            return None
        entry = await self.wallet.credit(
            payer.referrer_id,
            reward,
            LedgerKind.REFERRAL,
            ledger_reference("referral", charge_id),
            note=f"{self.config.referral_percent}% of payment #{paid.id}",
        )
        referrer = await self._party(payer.referrer_id)
        return ReferralCredit(referrer, reward, entry.balance_after)

    # --- reading ---------------------------------------------------------------------

    @reads
    async def recent(self, user_id: int, limit: int = 5) -> list[PaymentDTO]:
        return [PaymentDTO.of(row) for row in await self.payments.recent(user_id, limit=limit)]


__all__ = ["PaymentService"]
