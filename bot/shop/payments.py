"""Top-ups in Telegram Stars: quotes, invoices, pre-checkout, payment, refund.

Money. Stars are whole (currency XTR). n Stars credit n x STARS_RATE rounded *down* to the
shop's minor unit; an amount asked for (a preset, a custom amount, an order's shortfall)
costs the fewest Stars whose credit covers it (rounded *up*). Either way the shop never
gives more than it was paid, the customer never gets less than they asked for, and the
exact credit is on the invoice before paying. Without STARS_RATE there are no top-ups.

Invoices. Issuing one writes a `payments` row (state `issued`) whose payload is a random
token. The pre-checkout query is accepted only for a payload we issued, to that customer,
still unpaid, not older than INVOICE_TTL, for exactly its Stars in XTR.

Payment. `successful_payment` marks the row `paid` with Telegram's
`telegram_payment_charge_id` (unique) and credits the wallet (ledger `stars:<charge id>`)
in one transaction, together with the operators' alert and the referrer's notice (outbox
rows, `PaymentNotices`); it is committed before the payer is thanked, so a thank-you that
fails to reach Telegram undoes nothing. A second delivery of the same payment changes
nothing.
The payer's referrer earns REFERRAL_PERCENT of the credit (ledger `referral:<charge id>`).
A payment we cannot match (a payload never issued, another customer's, a different amount
or currency) credits nothing; the handler alerts the operators.

Refund (/starsrefund <charge id>), in this order:
  1. one transaction: debit the wallet by the credit (ledger `stars-refund:<charge id>`),
     only if the balance still covers it ("unspent"; refused otherwise), take back what
     the referrer's balance still holds of their reward, and move the row `paid` ->
     `refunding`; commit;
  2. refundStarPayment (no transaction open);
  3. one transaction: Telegram refunded (or says it already had): `refunding` ->
     `refunded`, and the payer's notice queued. Telegram refused (a definite 400/403/404):
     a compensating credit (`stars-refund-reversal:<charge id>`, and the referrer's part
     back) and `refunding` -> `paid`, so nothing is lost. No answer (network, timeout,
     5xx, 429 flood control): the row stays `refunding` and the wallet debited; running
     /starsrefund again repeats step 2 only (Telegram's CHARGE_ALREADY_REFUNDED counts as
     done), and Telegram's refunded_payment message finishes it as well.
A later attempt after a refusal uses references suffixed with the attempt number.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.errors import InsufficientFunds, NotFound, ShopError
from bot.shop.money import MICRO_DIGITS, Micro, round_down, round_up, to_micro_ceil
from bot.shop.referrals import referral_reward
from bot.shop.wallet import MAX_REFERENCE_LENGTH, WalletService
from db.models import LedgerKind, Payment, PaymentPurpose, PaymentState
from db.repositories.audit import AuditRepo
from db.repositories.payments import PaymentRepo
from db.repositories.users import UserRepo
from db.uow import reads, writes

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

STARS = "XTR"
MAX_STARS = 100_000  # Telegram's cap on one Stars invoice
INVOICE_TTL = timedelta(hours=24)
MAX_CHARGE_ID = 255  # the column's length; Telegram's ids are far shorter
_PRECISION = 60


# --- errors -------------------------------------------------------------------------


class TopUpsUnavailable(ShopError):
    """STARS_RATE is not set: the shop takes no payments."""


class TopUpOutOfRange(ShopError):
    """An amount (or Stars count) outside what one invoice can carry."""

    def __init__(self, amount: int, min: int, max: int) -> None:
        super().__init__(amount=amount, min=min, max=max)
        self.amount = amount
        self.min = min  # micro-units of the shop currency
        self.max = max


class NoShortfall(ShopError):
    """The balance covers the kept order now: nothing to top up."""

    def __init__(self, balance: int) -> None:
        super().__init__(balance=balance)
        self.balance = balance


class NotRefundable(ShopError):
    """The payment is not in a state a refund can start from (issued, refunded)."""

    def __init__(self, charge_id: str, state: str) -> None:
        super().__init__(charge_id=charge_id, state=state)
        self.charge_id = charge_id
        self.state = state


class CreditSpent(ShopError):
    """The credit of the payment is (partly) spent: the balance no longer covers it."""

    def __init__(self, needed: int, available: int) -> None:
        super().__init__(needed=needed, available=available)
        self.needed = needed
        self.available = available


# --- values -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentConfig:
    currency: str
    stars_rate: Decimal | None  # shop currency per Star; None: no top-ups
    referral_percent: Decimal
    presets: tuple[Decimal, ...]  # amounts in the shop currency
    max_stars: int = MAX_STARS
    invoice_ttl: timedelta = INVOICE_TTL

    @classmethod
    def of(cls, settings: Settings) -> PaymentConfig:
        return cls(
            currency=settings.shop_currency,
            stars_rate=settings.stars_rate,
            referral_percent=settings.referral_percent,
            presets=tuple(settings.topup_presets),
        )


@dataclass(frozen=True, slots=True)
class StarsQuote:
    stars: int
    credit: Micro


@dataclass(frozen=True, slots=True)
class TopUpMenu:
    presets: tuple[StarsQuote, ...]
    min: StarsQuote  # the smallest custom top-up
    max: StarsQuote  # the largest one invoice can carry
    rate: Decimal  # shop currency per Star
    currency: str


@dataclass(frozen=True, slots=True)
class PaymentDTO:
    id: int
    payload: str
    user_id: int
    purpose: PaymentPurpose
    state: PaymentState
    stars: int
    credit: Micro
    order_token: str | None
    charge_id: str | None
    created_at: datetime
    paid_at: datetime | None
    refunded_at: datetime | None

    @classmethod
    def of(cls, row: Payment) -> PaymentDTO:
        return cls(
            id=row.id,
            payload=row.payload,
            user_id=row.user_id,
            purpose=row.purpose,
            state=row.state,
            stars=row.stars,
            credit=row.credit,
            order_token=row.order_token,
            charge_id=row.charge_id,
            created_at=row.created_at,
            paid_at=row.paid_at,
            refunded_at=row.refunded_at,
        )


class Refusal(StrEnum):
    """Why a pre-checkout query (or a payment) is not accepted."""

    UNAVAILABLE = "unavailable"  # top-ups are switched off
    UNKNOWN = "unknown"  # a payload we never issued, or another customer's
    PAID = "paid"  # the invoice is paid already
    EXPIRED = "expired"  # issued more than INVOICE_TTL ago
    AMOUNT = "amount"  # the total or the currency differs from the invoice


@dataclass(frozen=True, slots=True)
class Party:
    """A customer to tell something: where to write, in which language."""

    user_id: int
    telegram_id: int
    language: str | None
    banned: bool


@dataclass(frozen=True, slots=True)
class ReferralCredit:
    referrer: Party
    amount: Micro
    balance: Micro


class PaidOutcome(StrEnum):
    CREDITED = "credited"  # new: the wallet got the credit
    DUPLICATE = "duplicate"  # this charge id was handled before: nothing changed
    UNMATCHED = "unmatched"  # not an invoice of ours as paid: nothing credited


@dataclass(frozen=True, slots=True)
class Completion:
    outcome: PaidOutcome
    payment: PaymentDTO | None = None
    balance: Micro = 0
    referral: ReferralCredit | None = None
    refusal: Refusal | None = None  # UNMATCHED: why
    second_charge: bool = False  # a second payment of an invoice paid before


class TelegramRefund(StrEnum):
    DONE = "done"  # refunded now, or Telegram says it was already
    REFUSED = "refused"  # a definite no (the charge is unknown, too old ...)
    UNKNOWN = "unknown"  # no answer: network error, timeout, server error


@dataclass(frozen=True, slots=True)
class RefundReply:
    status: TelegramRefund
    text: str | None = None


RefundCall = Callable[[int, str], Awaitable[RefundReply]]
"""refundStarPayment(user's Telegram id, charge id), its outcome classified."""


class PaymentNotices(Protocol):
    """The messages a payment event queues (outbox rows), written in the same transaction
    as the money they report; the handlers render them."""

    async def credited(self, done: Completion) -> None: ...
    async def unmatched(self, done: Completion) -> None: ...
    async def refunded(self, refund: StarsRefund) -> None: ...
    async def refund_seen(self, seen: RefundSeen) -> None: ...


class _Silent:
    async def credited(self, done: Completion) -> None:
        return None

    async def unmatched(self, done: Completion) -> None:
        return None

    async def refunded(self, refund: StarsRefund) -> None:
        return None

    async def refund_seen(self, seen: RefundSeen) -> None:
        return None


class RefundOutcome(StrEnum):
    REFUNDED = "refunded"  # Stars back, wallet debited
    REVERSED = "reversed"  # Telegram refused: the debit was given back
    PENDING = "pending"  # Telegram did not answer: debited; run the command again


@dataclass(frozen=True, slots=True)
class StarsRefund:
    outcome: RefundOutcome
    payment: PaymentDTO
    payer: Party
    debited: Micro  # taken from the payer's wallet (0 when REVERSED)
    clawback: Micro  # taken back from the referrer (0 when REVERSED)
    balance: Micro  # the payer's balance now
    telegram_text: str | None = None
    retried: bool = False  # the wallet had been debited by an earlier attempt


class SeenOutcome(StrEnum):
    CONFIRMED = "confirmed"  # our own refund, confirmed by Telegram
    ALREADY = "already"  # known and refunded: nothing to do
    EXTERNAL = "external"  # refunded outside the bot: the wallet was debited now
    EXTERNAL_SPENT = "external_spent"  # refunded outside the bot, credit spent: operators
    UNKNOWN = "unknown"  # a charge id we do not know


@dataclass(frozen=True, slots=True)
class RefundSeen:
    outcome: SeenOutcome
    payment: PaymentDTO | None = None
    payer: Party | None = None
    debited: Micro = 0
    balance: Micro = 0


@dataclass(frozen=True, slots=True)
class _RefundStarted:
    payment_id: int
    charge_id: str
    payer: Party
    attempt: int  # the refund attempt whose debit is in place
    retried: bool  # the wallet had been debited by an earlier attempt


def ledger_reference(kind: str, charge_id: str, attempt: int = 1) -> str:
    """`<kind>:<charge id>[:<attempt>]`; a charge id too long for the ledger's reference
    column is replaced by a hash of it (`<kind>:#<sha256>`), the same every time."""
    suffix = "" if attempt <= 1 else f":{attempt}"
    reference = f"{kind}:{charge_id}{suffix}"
    if len(reference) <= MAX_REFERENCE_LENGTH:
        return reference
    digest = hashlib.sha256(charge_id.encode()).hexdigest()[:64]
    return f"{kind}:#{digest}{suffix}"


# --- the service --------------------------------------------------------------------


class PaymentService:
    def __init__(
        self,
        session: AsyncSession,
        payments: PaymentRepo,
        users: UserRepo,
        wallet: WalletService,
        clock: Clock,
        config: PaymentConfig,
    ) -> None:
        self.session = session
        self.payments = payments
        self.users = users
        self.wallet = wallet
        self.clock = clock
        self.config = config

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

    # --- conversion ------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return self.config.stars_rate is not None

    def _rate(self) -> Decimal:
        if self.config.stars_rate is None:
            raise TopUpsUnavailable()
        return self.config.stars_rate

    def credit_for(self, stars: int) -> Micro:
        """What n Stars credit: n x rate, rounded down to the shop's minor unit."""
        rate = self._rate()
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            exact = (Decimal(stars) * rate).scaleb(MICRO_DIGITS)
            micro = int(exact.to_integral_value(rounding=ROUND_FLOOR))
        return round_down(micro, self.config.currency)

    def quote(self, amount: Micro) -> StarsQuote:
        """The fewest whole Stars whose credit covers `amount`, and that credit.

        Raises TopUpsUnavailable, TopUpOutOfRange (more than one invoice can carry).
        """
        stars = self._stars_covering(round_up(max(amount, 1), self.config.currency))
        if stars > self.config.max_stars:
            low, high = self._bounds()
            raise TopUpOutOfRange(amount, min=low.credit, max=high.credit)
        return StarsQuote(stars, self.credit_for(stars))

    def _stars_covering(self, target: Micro) -> int:
        """The fewest Stars whose credit is at least `target` (a multiple of the minor
        unit), with no upper limit."""
        rate = self._rate()
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            quotient = Decimal(target).scaleb(-MICRO_DIGITS) / rate
            stars = max(int(quotient.to_integral_value(rounding=ROUND_CEILING)), 1)
        # Guard against the last digit of the division, in both directions.
        while self.credit_for(stars) < target:
            stars += 1
        while stars > 1 and self.credit_for(stars - 1) >= target:
            stars -= 1
        return stars

    def quote_stars(self, stars: int) -> StarsQuote:
        """A quote for a Stars count (a preset button); TopUpOutOfRange outside 1..max
        or when it would credit nothing."""
        if not 1 <= stars <= self.config.max_stars or self.credit_for(stars) <= 0:
            low, high = self._bounds()
            raise TopUpOutOfRange(stars, min=low.credit, max=high.credit)
        return StarsQuote(stars, self.credit_for(stars))

    def _bounds(self) -> tuple[StarsQuote, StarsQuote]:
        """The smallest top-up (one minor unit's worth) and the largest invoice."""
        smallest = self._stars_covering(round_up(1, self.config.currency))
        largest = self.config.max_stars
        return (
            StarsQuote(smallest, self.credit_for(smallest)),
            StarsQuote(largest, self.credit_for(largest)),
        )

    def menu(self) -> TopUpMenu:
        """The presets (each as Stars and exact credit) and the custom amount's range."""
        rate = self._rate()
        presets: dict[int, StarsQuote] = {}
        for amount in self.config.presets:
            try:
                quote = self.quote(to_micro_ceil(amount))
            except ShopError:  # too large for one invoice
                continue
            presets.setdefault(quote.stars, quote)
        low, high = self._bounds()
        return TopUpMenu(
            presets=tuple(sorted(presets.values(), key=lambda q: q.stars)),
            min=low,
            max=high,
            rate=rate,
            currency=self.config.currency,
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

    def _expired(self, row: Payment) -> bool:
        return row.created_at + self.config.invoice_ttl < self.clock.now()

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
        notices = notices or _Silent()
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
                payload=_sibling_payload(row.payload, charge_id),
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

    async def _party(self, user_id: int) -> Party:
        row = await self.users.get(user_id)
        if row is None:
            raise NotFound("user", user_id)
        return Party(row.id, row.telegram_id, row.language, row.banned)

    # --- refunds ---------------------------------------------------------------------

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
        return await self._finish_refund(started, reply, notices or _Silent())

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
            done = await self.payments.transition(
                row.id,
                PaymentState.REFUNDING,
                PaymentState.REFUNDED,
                refunded_at=self.clock.now(),
            )
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
            await (notices or _Silent()).refund_seen(seen)
        return seen

    async def _refund_seen(self, charge_id: str, *, user_id: int) -> RefundSeen:
        row = await self.payments.by_charge(charge_id)
        if row is None or row.user_id != user_id:
            return RefundSeen(SeenOutcome.UNKNOWN)
        payer = await self._party(row.user_id)
        if row.state is PaymentState.REFUNDING:
            done = await self.payments.transition(
                row.id,
                PaymentState.REFUNDING,
                PaymentState.REFUNDED,
                refunded_at=self.clock.now(),
            )
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

    # --- reading ---------------------------------------------------------------------

    @reads
    async def recent(self, user_id: int, limit: int = 5) -> list[PaymentDTO]:
        return [PaymentDTO.of(row) for row in await self.payments.recent(user_id, limit=limit)]


def _sibling_payload(payload: str, charge_id: str) -> str:
    digest = hashlib.sha256(charge_id.encode()).hexdigest()[:16]
    return f"{payload[:40]}~{digest}"


__all__ = [
    "INVOICE_TTL",
    "MAX_STARS",
    "STARS",
    "Completion",
    "CreditSpent",
    "NoShortfall",
    "NotRefundable",
    "PaidOutcome",
    "Party",
    "PaymentConfig",
    "PaymentDTO",
    "PaymentNotices",
    "PaymentService",
    "ReferralCredit",
    "RefundCall",
    "RefundOutcome",
    "RefundReply",
    "RefundSeen",
    "Refusal",
    "SeenOutcome",
    "StarsQuote",
    "StarsRefund",
    "TelegramRefund",
    "TopUpMenu",
    "TopUpOutOfRange",
    "TopUpsUnavailable",
    "ledger_reference",
]
