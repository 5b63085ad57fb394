"""What the payment use cases take and hand out: the configuration, quotes, invoices
(`PaymentDTO`), the outcomes of a payment and of a refund, and the notices they queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from bot.shop.enums import PaymentPurpose, PaymentState
from bot.shop.money import Micro
from db.models import Payment

if TYPE_CHECKING:
    from bot.config import Config


STARS = "XTR"
MAX_STARS = 100_000  # Telegram's cap on one Stars invoice
INVOICE_TTL = timedelta(hours=24)
MAX_CHARGE_ID = 255  # the column's length; Telegram's ids are far shorter


@dataclass(frozen=True, slots=True)
class PaymentConfig:
    currency: str
    stars_rate: Decimal | None  # shop currency per Star; None: no top-ups
    referral_percent: Decimal
    presets: tuple[Decimal, ...]  # amounts in the shop currency
    max_stars: int = MAX_STARS
    invoice_ttl: timedelta = INVOICE_TTL

    @classmethod
    def of(cls, settings: Config) -> PaymentConfig:
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


class NoNotices:
    """Queues nothing: for callers that tell nobody (tests, scripts)."""

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


__all__ = [
    "INVOICE_TTL",
    "MAX_CHARGE_ID",
    "MAX_STARS",
    "STARS",
    "Completion",
    "NoNotices",
    "PaidOutcome",
    "Party",
    "PaymentConfig",
    "PaymentDTO",
    "PaymentNotices",
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
]
