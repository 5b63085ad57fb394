"""The database schema: SQLAlchemy 2 typed models.

Money columns are BIGINT micro-units (1e-6) of a currency, never floats or NUMERIC
(SQLite has no exact decimal). Timestamps are aware UTC datetimes, set by the caller's
clock rather than by the server, so tests control time. Enums (bot/shop/enums.py) are
stored as short strings.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.shop.enums import (
    BroadcastState,
    LedgerKind,
    MarkupScope,
    OrderState,
    OutboxStatus,
    PaymentPurpose,
    PaymentState,
    TicketAuthor,
    TicketState,
)
from db.types import IdType, StrEnumType, UTCDateTime

# Deterministic constraint names: Alembic needs them to drop or alter constraints, and
# SQLite batch migrations need them to recreate tables.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The model's Core table, for prebuilt Core statements.

    Declarative types `__table__` as any FromClause (a mapping may be on a join or a
    subquery); every model here is mapped on a plain Table, which this checks.
    """
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped on a Table")
    return table


def _in(column: str, enum_cls: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum_cls)
    return f"{column} IN ({values})"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        # /stats: its counts and the wallets' total, read from the index alone.
        Index("ix_users_stats", "created_at", "banned", "unreachable_since", "balance"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    first_name: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str | None] = mapped_column(String(16))
    banned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set when Telegram says the chat is gone (blocked the bot); cleared when they return.
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    referrer_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Always equal to the sum of the user's ledger rows; changed only together with one.
    balance: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerEntry(Base):
    __tablename__ = "ledger"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint(_in("kind", LedgerKind), name="kind_known"),
        Index("ix_ledger_user_id_id", "user_id", "id"),
        # /stats: credits and debits by kind over a period, from the index alone.
        Index("ix_ledger_stats", "kind", "created_at", "amount"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[LedgerKind] = mapped_column(StrEnumType(LedgerKind))
    amount: Mapped[int] = mapped_column(BigInteger)  # signed: credits > 0, debits < 0
    balance_after: Mapped[int] = mapped_column(BigInteger)
    # Idempotency key: a payment charge id, "checkout:<token>", "order:<id>:refund" ...
    reference: Mapped[str] = mapped_column(String(128), unique=True)
    order_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # admin's Telegram id
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Provider(Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(512))  # the API key stays in the environment
    currency: Mapped[str | None] = mapped_column(String(8))
    balance: Mapped[int | None] = mapped_column(BigInteger)  # micro-units of its currency
    balance_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ServiceRow(Base):
    """One service of a provider's catalogue, as last seen, plus the admin's settings."""

    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("provider_id", "provider_service_id"),
        CheckConstraint("rate >= 0", name="rate_not_negative"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    provider_id: Mapped[int] = mapped_column(IdType, ForeignKey("providers.id", ondelete="CASCADE"))
    provider_service_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(64))  # the panel's spelling, even when unknown
    name: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(256), index=True)
    platform: Mapped[str | None] = mapped_column(String(32), index=True)
    # Micro-units of the provider's currency per 1000 units (per order for flat types).
    rate: Mapped[int] = mapped_column(BigInteger)
    min: Mapped[int] = mapped_column(BigInteger)
    max: Mapped[int] = mapped_column(BigInteger)
    refill: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    cancel: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    dripfeed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The panel's own "average time" of the service in minutes, where it sends one.
    average_minutes: Mapped[int | None] = mapped_column(Integer)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The admin's own customer rate, micro-units of the shop currency per 1000 (per order
    # for flat types); replaces the markup, never goes below cost.
    price_override: Mapped[int | None] = mapped_column(BigInteger)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when a sync no longer lists it; old orders keep their snapshot.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ServiceBackup(Base):
    """Another panel's service that takes a storefront service's orders, in `position`
    order, when the service's own panel refuses for a reason about the panel."""

    __tablename__ = "service_backups"
    __table_args__ = (
        UniqueConstraint("service_id", "backup_service_id"),
        Index("ix_service_backups_service_id_position", "service_id", "position"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    service_id: Mapped[int] = mapped_column(IdType, ForeignKey("services.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    backup_service_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("services.id", ondelete="CASCADE")
    )
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # the admin's Telegram id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Markup(Base):
    __tablename__ = "markups"
    __table_args__ = (CheckConstraint(_in("scope", MarkupScope), name="scope_known"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    # "global", "category:<name>" or "service:<id>": one row per target, NULL-free unique.
    key: Mapped[str] = mapped_column(String(300), unique=True)
    scope: Mapped[MarkupScope] = mapped_column(StrEnumType(MarkupScope))
    category: Mapped[str | None] = mapped_column(String(256))
    service_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    percent: Mapped[int] = mapped_column(BigInteger)  # micro-units of a percent
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("charge >= 0", name="charge_not_negative"),
        CheckConstraint("refunded >= 0 AND refunded <= charge", name="refund_within_charge"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(_in("state", OrderState), name="state_known"),
        UniqueConstraint("provider_id", "provider_order_id"),
        Index("ix_orders_user_id_id", "user_id", "id"),
        Index("ix_orders_state_last_checked_at", "state", "last_checked_at"),
        # A service's latest completed orders, for its usual completion time.
        Index("ix_orders_service_id_state_finished_at", "service_id", "state", "finished_at"),
        # /stats: every figure of the orders in one pass over this index alone, in its own
        # order (grouped by state, panel and service: no sort).
        Index(
            "ix_orders_stats",
            "state",
            "provider_id",
            "service_id",
            "created_at",
            "charge",
            "refunded",
            "provider_charge",
            "cost",
        ),
        # /stats: customers who placed an order in a period.
        Index("ix_orders_created_at_user_id", "created_at", "user_id"),
        # The status poller's due orders of a panel, from the index alone.
        Index("ix_orders_poll_due", "state", "provider_id", "last_checked_at", "provider_order_id"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="RESTRICT"))
    # Repeating a checkout with the same token finds this order instead of paying twice.
    checkout_token: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    provider_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("providers.id", ondelete="SET NULL")
    )
    # A snapshot of what was bought: a hidden or deleted service does not break the order.
    provider_service_id: Mapped[str] = mapped_column(String(64))
    service_name: Mapped[str] = mapped_column(Text)
    service_type: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(256))
    rate: Mapped[int] = mapped_column(BigInteger)  # provider rate at purchase, micro-units
    link: Mapped[str | None] = mapped_column(Text)  # the target shown to people
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)  # the `add` form, as sent
    quantity: Mapped[int] = mapped_column(BigInteger)  # units the charge covers in total
    runs: Mapped[int | None] = mapped_column(Integer)
    interval: Mapped[int | None] = mapped_column(Integer)  # minutes between runs
    charge: Mapped[int] = mapped_column(BigInteger)  # paid by the customer, shop currency
    cost: Mapped[int] = mapped_column(BigInteger)  # expected provider cost, shop currency
    currency: Mapped[str] = mapped_column(String(8))
    markup: Mapped[int] = mapped_column(BigInteger)  # micro-units of a percent
    refunded: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    state: Mapped[OrderState] = mapped_column(StrEnumType(OrderState))
    provider_order_id: Mapped[str | None] = mapped_column(String(64))
    provider_status: Mapped[str | None] = mapped_column(String(64))  # raw, as the panel says
    provider_charge: Mapped[int | None] = mapped_column(BigInteger)  # as reported
    provider_currency: Mapped[str | None] = mapped_column(String(8))
    start_count: Mapped[int | None] = mapped_column(BigInteger)
    remains: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Status polling: per-item errors ("Incorrect order ID", a reply that makes no sense)
    # in a row, the last one, and when the order was flagged for operators because of them.
    poll_errors: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    poll_error: Mapped[str | None] = mapped_column(Text)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OrderEvent(Base):
    """An order's state history: one row per transition, and per manual refund."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order_id_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    order_id: Mapped[int] = mapped_column(IdType, ForeignKey("orders.id", ondelete="CASCADE"))
    from_state: Mapped[OrderState | None] = mapped_column(StrEnumType(OrderState))
    to_state: Mapped[OrderState] = mapped_column(StrEnumType(OrderState))
    refund: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # admin's Telegram id
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Refill(Base):
    __tablename__ = "refills"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    provider_refill_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)  # RefillStatus value
    provider_status: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """What an admin did: who, what, to what, with which details."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    actor_id: Mapped[int] = mapped_column(BigInteger, index=True)  # admin's Telegram id
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class OutboxMessage(Base):
    """One message to a customer or the operators' chat, written in the same transaction
    as the change it reports and sent later by the outbox sender (bot/outbox/sender.py)."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(_in("status", OutboxStatus), name="status_known"),
        Index("ix_outbox_status_priority_id", "status", "priority", "id"),
        Index("ix_outbox_chat_id_status", "chat_id", "status"),
        Index("ix_outbox_broadcast_id_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    priority: Mapped[int] = mapped_column(Integer)  # lower goes first (bot.outbox.writer.Priority)
    # (declared before `text`, which shadows sqlalchemy.text inside this class body)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    text: Mapped[str] = mapped_column(Text)  # rendered HTML (a photo's caption: may be "")
    photo: Mapped[str | None] = mapped_column(String(256))  # a Telegram file id
    reply_markup: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The event it reports ("order:17:state:completed"): the same event is queued once.
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # The broadcast a row belongs to (None: any other message): paused ones are not claimed.
    broadcast_id: Mapped[str | None] = mapped_column(String(32))
    # A broadcast row's send began (just before the Bot API call): not sent again after a crash.
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[OutboxStatus] = mapped_column(StrEnumType(OutboxStatus))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ = [
    "NAMING_CONVENTION",
    "AuditEntry",
    "Base",
    "LedgerEntry",
    "Markup",
    "Order",
    "OrderEvent",
    "OutboxMessage",
    "Provider",
    "Refill",
    "ServiceRow",
    "Setting",
    "User",
    "table_of",
]


# --- payments in Telegram Stars, promo codes (revision 0003) ------------------------------


class Payment(Base):
    """One Stars invoice, from its issue to its payment (and a refund)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("stars > 0", name="stars_positive"),
        CheckConstraint("credit > 0", name="credit_positive"),
        CheckConstraint("clawback >= 0", name="clawback_not_negative"),
        CheckConstraint(_in("purpose", PaymentPurpose), name="purpose_known"),
        CheckConstraint(_in("state", PaymentState), name="state_known"),
        Index("ix_payments_user_id_id", "user_id", "id"),
        # /stats: the Stars refunds of a period.
        Index("ix_payments_state_refunded_at", "state", "refunded_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    # The invoice payload: a random token only this bot hands out.
    payload: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="RESTRICT"))
    purpose: Mapped[PaymentPurpose] = mapped_column(StrEnumType(PaymentPurpose))
    state: Mapped[PaymentState] = mapped_column(StrEnumType(PaymentState))
    stars: Mapped[int] = mapped_column(BigInteger)  # the invoice total, whole Stars (XTR)
    credit: Mapped[int] = mapped_column(BigInteger)  # micro-units of the shop currency
    order_token: Mapped[str | None] = mapped_column(String(64))  # the kept order (shortfall)
    # Telegram's telegram_payment_charge_id: set once, when paid.
    charge_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    refund_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # What the current refund took back from the referrer's reward (given back if it fails).
    clawback: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    refund_actor_id: Mapped[int | None] = mapped_column(BigInteger)  # admin's Telegram id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PromoCode(Base):
    __tablename__ = "promo_codes"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("uses_left >= 0 AND uses_left <= uses_total", name="uses_within_total"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # upper case
    amount: Mapped[int] = mapped_column(BigInteger)  # micro-units of the shop currency
    uses_total: Mapped[int] = mapped_column(Integer)
    # Taken by one conditional UPDATE per redemption: never below zero.
    uses_left: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(BigInteger)  # admin's Telegram id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PromoRedemption(Base):
    __tablename__ = "promo_redemptions"
    __table_args__ = (UniqueConstraint("promo_id", "user_id"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    promo_id: Mapped[int] = mapped_column(IdType, ForeignKey("promo_codes.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ += [
    "Payment",
    "PromoCode",
    "PromoRedemption",
]


# --- support tickets (revision 0006) --------------------------------------------------------


class SupportTicket(Base):
    """A customer's conversation with the shop, shown to operators as one thread message
    in the operators' chat (`thread_message_id`)."""

    __tablename__ = "support_tickets"
    __table_args__ = (
        CheckConstraint(_in("state", TicketState), name="state_known"),
        Index("ix_support_tickets_user_id_id", "user_id", "id"),
        Index("ix_support_tickets_state_answered_at", "state", "answered_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="RESTRICT"))
    order_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("orders.id", ondelete="SET NULL")
    )
    state: Mapped[TicketState] = mapped_column(StrEnumType(TicketState))
    text: Mapped[str] = mapped_column(Text)  # the customer's first message ("" for a photo)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)  # the operator's Telegram id
    assignee_name: Mapped[str | None] = mapped_column(String(64))
    thread_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupportMessage(Base):
    """One message of a ticket, and where it stands in the operators' chat: a reply to any
    of these messages there belongs to the ticket."""

    __tablename__ = "support_messages"
    __table_args__ = (
        CheckConstraint(_in("author", TicketAuthor), name="author_known"),
        UniqueConstraint("operator_chat_id", "operator_message_id"),
        Index("ix_support_messages_ticket_id_id", "ticket_id", "id"),
        Index("ix_support_messages_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("support_tickets.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(IdType, ForeignKey("users.id", ondelete="RESTRICT"))
    author: Mapped[TicketAuthor] = mapped_column(StrEnumType(TicketAuthor))
    author_id: Mapped[int | None] = mapped_column(BigInteger)  # the writer's Telegram id
    text: Mapped[str] = mapped_column(Text)
    photo: Mapped[str | None] = mapped_column(String(256))  # a Telegram file id
    operator_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    operator_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


__all__ += ["SupportMessage", "SupportTicket"]


# --- broadcasts at scale (revision 0007) --------------------------------------------------


class Broadcast(Base):
    """One broadcast: what goes to whom, how far its feeding into the outbox got, and the
    admin's progress message. Its outbox rows carry its id (`outbox.broadcast_id`)."""

    __tablename__ = "broadcasts"
    __table_args__ = (CheckConstraint(_in("state", BroadcastState), name="state_known"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    actor_id: Mapped[int] = mapped_column(BigInteger)  # the admin's Telegram id
    chat_id: Mapped[int] = mapped_column(BigInteger)  # where the report goes
    state: Mapped[BroadcastState] = mapped_column(StrEnumType(BroadcastState))
    # {"contents": {language: {"text", "photo"}}, "fallback", "only", "per_language"}
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Customers with ids in (cursor, last_user_id] are still to be queued; the cursor moves
    # in the transaction that queues their rows, so a restart neither skips nor repeats.
    cursor: Mapped[int] = mapped_column(IdType)
    last_user_id: Mapped[int] = mapped_column(IdType)
    totals: Mapped[dict[str, Any]] = mapped_column(JSON)  # recipients per language at start
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its last edit
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # done or cancelled
    # Cancelled: recipients per language it never reached (rows dropped, never queued).
    not_sent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reported: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


__all__ += ["Broadcast"]
