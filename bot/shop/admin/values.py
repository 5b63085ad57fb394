"""What the admin use cases hand out (and the one refusal of their own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.shop.enums import MarkupScope, OrderState
from bot.shop.errors import ShopError
from bot.shop.money import Micro, from_micro
from bot.shop.orders.models import OrderDTO, OrderEventDTO
from bot.shop.shop_settings import PanelPause
from bot.shop.users import UserDTO
from bot.shop.wallet import LedgerEntryDTO
from db.models import Order

RECENT = 5  # orders and ledger rows on a customer's profile


class CannotBanAdmin(ShopError):
    def __init__(self, telegram_id: int) -> None:
        super().__init__(telegram_id=telegram_id)
        self.telegram_id = telegram_id


@dataclass(frozen=True, slots=True)
class UserProfile:
    user: UserDTO
    referrer: UserDTO | None
    referrals: int
    order_count: int
    orders: tuple[OrderDTO, ...]  # newest first
    ledger: tuple[LedgerEntryDTO, ...]  # newest first


@dataclass(frozen=True, slots=True)
class Adjustment:
    user: UserDTO  # as it is after the change
    entry: LedgerEntryDTO
    credit: bool
    repeated: bool = False  # the same command came again: nothing new happened

    @property
    def amount(self) -> Micro:
        return abs(self.entry.amount)


@dataclass(frozen=True, slots=True)
class BanChange:
    user: UserDTO
    changed: bool


@dataclass(frozen=True, slots=True)
class PriceSample:
    service_id: int
    name: str
    per_order: bool
    before: Micro
    after: Micro


@dataclass(frozen=True, slots=True)
class MarkupChange:
    scope: MarkupScope
    target: str | None  # the category name, or the service's name
    service_id: int | None
    percent: Decimal
    before: Decimal  # what applied to the target before
    sample: PriceSample | None
    overrides: int  # more specific markups the new one does not reach (global only)
    services: int  # services in the category (category only)


@dataclass(frozen=True, slots=True)
class ServiceToggle:
    service_id: int
    name: str
    category: str
    hidden: bool
    changed: bool


@dataclass(frozen=True, slots=True)
class OrderExtras:
    """Columns of an order the customer-facing DTO leaves out."""

    checkout_token: str
    rate: Micro  # provider rate at purchase, per 1000 (per order for flat types)
    markup: Decimal  # percent
    provider_charge: Micro | None  # as the panel reported it, in its currency
    provider_currency: str | None
    poll_errors: int
    poll_error: str | None
    flagged_at: datetime | None

    @classmethod
    def of(cls, row: Order) -> OrderExtras:
        return cls(
            checkout_token=row.checkout_token,
            rate=row.rate,
            markup=from_micro(row.markup),
            provider_charge=row.provider_charge,
            provider_currency=row.provider_currency,
            poll_errors=row.poll_errors,
            poll_error=row.poll_error,
            flagged_at=row.flagged_at,
        )


@dataclass(frozen=True, slots=True)
class AdminOrder:
    order: OrderDTO
    extras: OrderExtras
    events: tuple[OrderEventDTO, ...]
    customer: UserDTO | None
    ledger: tuple[LedgerEntryDTO, ...]
    panel_note: str | None = None  # what the panel said on a refresh that did not work

    @property
    def refundable(self) -> Micro:
        return self.order.charge - self.order.refunded

    @property
    def can_refund(self) -> bool:
        return self.order.state in _SETTLED and self.refundable > 0

    @property
    def can_resolve(self) -> bool:
        return self.order.state is OrderState.UNKNOWN

    @property
    def can_refresh(self) -> bool:
        return self.order.provider_order_id is not None and not self.order.state.finished


_SETTLED = frozenset(set(OrderState) - {OrderState.SUBMITTING, OrderState.UNKNOWN})


@dataclass(frozen=True, slots=True)
class OrderRefund:
    order: OrderDTO
    amount: Micro
    customer: UserDTO


@dataclass(frozen=True, slots=True)
class ProviderOverview:
    name: str
    url: str | None
    balance: Decimal | None  # None: the panel did not answer
    currency: str | None
    error: str | None  # why the balance is missing
    stored_balance: Micro | None  # as last recorded by the balance watch
    stored_at: datetime | None
    orders: dict[OrderState, int]
    last_checked: datetime | None  # the last status reply of any order
    last_polled_ok: datetime | None  # the last status reply that was not an error
    flagged: int  # active orders flagged for operators after repeated polling errors
    down_since: datetime | None  # the watchdog saw the panel down since then
    balance_low: bool  # the watchdog alerted that the panel's balance is low
    paused: PanelPause | None  # ordering paused: the panel refused the shop's account


__all__ = [
    "RECENT",
    "Adjustment",
    "AdminOrder",
    "BanChange",
    "CannotBanAdmin",
    "MarkupChange",
    "OrderExtras",
    "OrderRefund",
    "PriceSample",
    "ProviderOverview",
    "ServiceToggle",
    "UserProfile",
]
