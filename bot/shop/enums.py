"""The domain's enumerations: order, ledger, payment, markup and outbox states.

A leaf module (no project imports), so the schema (db/models.py) stores these values
and the handlers name them without importing the database layer.
"""

from __future__ import annotations

from enum import StrEnum


class LedgerKind(StrEnum):
    TOPUP = "topup"  # a payment
    CHARGE = "charge"  # an order's checkout
    REFUND = "refund"  # an order's money back
    ADJUSTMENT = "adjustment"  # an admin's /credit or /debit
    REFERRAL = "referral"  # a referral reward
    PROMO = "promo"  # a promo code or bonus


class OrderState(StrEnum):
    """The shop's own state of an order (the provider's status is kept beside it)."""

    SUBMITTING = "submitting"  # paid, `add` not yet answered
    ACTIVE = "active"  # the provider accepted it
    COMPLETED = "completed"
    PARTIAL = "partial"  # remains refunded
    CANCELED = "canceled"  # fully refunded
    FAILED = "failed"  # the provider refused it; fully refunded
    UNKNOWN = "unknown"  # `add` sent, answer lost: an admin decides

    @property
    def finished(self) -> bool:
        return self in _FINISHED


_FINISHED = frozenset(
    {OrderState.COMPLETED, OrderState.PARTIAL, OrderState.CANCELED, OrderState.FAILED}
)


class MarkupScope(StrEnum):
    GLOBAL = "global"
    CATEGORY = "category"
    SERVICE = "service"


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its turn (next_attempt_at)
    SENDING = "sending"  # claimed by the sender; back to pending if its lease runs out
    SENT = "sent"  # Telegram confirmed it
    SKIPPED = "skipped"  # the recipient blocked the bot: not sent, not retried
    DEAD = "dead"  # failed too often: a dead letter for admins


class BroadcastState(StrEnum):
    SENDING = "sending"  # being fed into the outbox and sent
    PAUSED = "paused"  # its queued rows wait; nothing more is fed
    CANCELLED = "cancelled"  # stopped: the rows not sent were dropped
    DONE = "done"  # every recipient was tried


class PaymentPurpose(StrEnum):
    TOPUP = "topup"  # /topup: a preset or a custom amount
    SHORTFALL = "shortfall"  # exactly what a kept order lacked


class PaymentState(StrEnum):
    ISSUED = "issued"  # the invoice was sent; nothing paid yet
    PAID = "paid"  # Telegram took the Stars; the wallet was credited
    REFUNDING = "refunding"  # /starsrefund debited the wallet; Telegram's answer is pending
    REFUNDED = "refunded"  # the Stars went back and the wallet was debited


__all__ = [
    "LedgerKind",
    "MarkupScope",
    "OrderState",
    "OutboxStatus",
    "PaymentPurpose",
    "PaymentState",
]


# --- support tickets (revision 0006) -------------------------------------------------------


class TicketState(StrEnum):
    OPEN = "open"  # waiting for the shop (new, or the customer wrote again)
    ANSWERED = "answered"  # an operator answered; waiting for the customer
    CLOSED = "closed"  # by an operator, or by itself after a while answered


class TicketAuthor(StrEnum):
    CUSTOMER = "customer"
    OPERATOR = "operator"
    NOTE = "note"  # the bot's own line in the operators' thread (reopened, closed ...)


__all__ += ["TicketAuthor", "TicketState"]
