"""What admins do: look up customers and orders, adjust balances, ban, set markups, hide
services, refund, resolve `unknown` orders, switch maintenance.

Every action writes one audit row (who, what, arguments) in the same transaction as its
change and inside a SAVEPOINT, so a refusal leaves nothing behind, not even the row.
Calls to the panel happen with no transaction open (SQLite holds its write lock for a
whole transaction); what they change is written afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.numbers import parse_whole
from bot.provider.client import ProviderClient
from bot.provider.errors import ProviderError, ProviderUnavailable
from bot.provider.models import ItemError, ServiceType
from bot.provider.models import OrderState as ProviderOrderState
from bot.shop.catalog import ORDERABLE_TYPES, CatalogService, SyncReport
from bot.shop.errors import (
    InvalidAmount,
    InvalidMarkup,
    InvalidOrderField,
    NotFound,
    ShopError,
    TransitionNotAllowed,
)
from bot.shop.money import Micro, format_amount, from_micro, minor_unit, parse_amount, to_micro
from bot.shop.orders import OrderDTO, OrderEventDTO, OrderService
from bot.shop.pricing import PricingConfig, price_order, resolve_markup
from bot.shop.shop_settings import PanelPause, ShopSettings
from bot.shop.tracking import PanelDeclined, PanelUnavailable
from bot.shop.users import UserDTO
from bot.shop.wallet import LedgerEntryDTO, WalletService
from db.models import CatalogService as ServiceRow
from db.models import LedgerKind, MarkupScope, Order, OrderState, User
from db.repositories.admin import AdminRepo
from db.repositories.audit import AuditRepo
from db.repositories.catalog import CatalogRepo
from db.repositories.ledger import LedgerRepo
from db.repositories.markups import MarkupRepo
from db.repositories.orders import OrderRepo
from db.repositories.providers import ProviderRepo
from db.repositories.users import UserRepo
from db.uow import writes

MAX_ADJUSTMENT_UNITS = 100_000  # the largest /credit or /debit, in shop currency units
MAX_MARKUP = Decimal(1000)  # percent
MARKUP_DECIMALS = 2
RECENT = 5  # orders and ledger rows on a customer's profile
PROVIDER_NAME = "main"

_USERNAME = re.compile(r"^@([A-Za-z0-9_]{3,32})$")


# ---------------------------------------------------------------------- input


@dataclass(frozen=True, slots=True)
class UserRef:
    """A customer as an admin names them: a Telegram id or an @username."""

    telegram_id: int | None = None
    username: str | None = None

    def __str__(self) -> str:
        return f"@{self.username}" if self.username else str(self.telegram_id)


def parse_user_ref(text: str) -> UserRef | None:
    text = text.strip()
    if (telegram_id := parse_whole(text, low=1)) is not None:
        return UserRef(telegram_id=telegram_id)
    if match := _USERNAME.match(text):
        return UserRef(username=match.group(1))
    return None


def max_adjustment() -> Micro:
    return to_micro(MAX_ADJUSTMENT_UNITS)


def parse_adjustment(text: str, currency: str) -> Micro:
    """A positive amount with at most the currency's decimals, up to the ceiling."""
    amount = parse_amount(text)  # InvalidAmount for text, zero, negatives
    if amount % minor_unit(currency) or amount > max_adjustment():
        raise InvalidAmount(text)
    return amount


def parse_percent(text: str) -> Decimal:
    """A markup from 0 to 1000 percent with at most two decimals ("30", "12.5", "7,25%")."""
    cleaned = text.strip().removesuffix("%").replace(",", ".")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", cleaned):
        raise InvalidMarkup(text)
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise InvalidMarkup(text) from None
    exponent = percent.normalize().as_tuple().exponent
    if percent > MAX_MARKUP or (isinstance(exponent, int) and exponent < -MARKUP_DECIMALS):
        raise InvalidMarkup(text)
    return percent


def parse_provider_order_id(text: str) -> str:
    """A panel's order id as panels give them: a whole number 1..2^63-1."""
    value = parse_whole(text.strip().removeprefix("#"), low=1)
    if value is None:
        raise InvalidOrderField("provider_order_id", "invalid")
    return str(value)


# ---------------------------------------------------------------------- results


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
            # Polling bookkeeping (added with the status poller); absent on older schemas.
            poll_errors=getattr(row, "poll_errors", 0) or 0,
            poll_error=getattr(row, "poll_error", None),
            flagged_at=getattr(row, "flagged_at", None),
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


# ---------------------------------------------------------------------- service


class AdminService:
    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        pricing: PricingConfig,
        provider: ProviderClient,
        wallet: WalletService,
        orders: OrderService,
        catalog: CatalogService,
        settings: ShopSettings,
    ) -> None:
        self.session = session
        self.clock = clock
        self.pricing = pricing
        self.provider = provider
        self.wallet = wallet
        self.orders = orders
        self.catalog = catalog
        self.shop_settings = settings
        self.users = UserRepo(session)
        self.ledger = LedgerRepo(session)
        self.audit = AuditRepo(session)
        self.repo = AdminRepo(session)
        self.services = CatalogRepo(session)
        self.markups = MarkupRepo(session)
        self.order_rows = OrderRepo(session)
        self.providers = ProviderRepo(session)

    @writes
    async def record(
        self,
        actor_id: int,
        action: str,
        *,
        target_type: str | None = None,
        target_id: str | int | None = None,
        **details: Any,
    ) -> None:
        """One audit row: who did what, to what, with which arguments."""
        await self.audit.record(
            actor_id,
            action,
            now=self.clock.now(),
            target_type=target_type,
            target_id=target_id,
            details={key: _plain(value) for key, value in details.items()},
        )

    # --- customers ------------------------------------------------------------

    async def _find(self, who: UserRef | int) -> User:
        """A customer by reference, or by the shop's own id (from a button)."""
        if isinstance(who, int):
            row = await self.users.get(who)
        elif who.username is not None:
            row = await self.users.by_username(who.username)
        else:
            assert who.telegram_id is not None
            row = await self.users.by_telegram_id(who.telegram_id)
        if row is None:
            raise NotFound("user", str(who))
        return row

    @writes
    async def profile(self, actor_id: int, who: UserRef | int) -> UserProfile:
        row = await self._find(who)
        user = UserDTO.of(row)
        referrer = await self.users.get(row.referrer_id) if row.referrer_id else None
        orders = await self.orders.page_for_user(row.id, per_page=RECENT)
        history = await self.wallet.history(row.id, per_page=RECENT)
        await self.record(actor_id, "user", target_type="user", target_id=user.telegram_id)
        return UserProfile(
            user=user,
            referrer=UserDTO.of(referrer) if referrer else None,
            referrals=await self.users.count_referrals(row.id),
            order_count=orders.total,
            orders=orders.orders,
            ledger=history.entries,
        )

    @writes
    async def adjust(
        self,
        actor_id: int,
        who: UserRef,
        amount: Micro,
        *,
        credit: bool,
        reason: str | None,
        reference: str,
    ) -> Adjustment:
        """An adjustment ledger row carrying the admin and the reason. A debit never takes
        the balance below zero (InsufficientFunds). `reference` makes a repeated command
        (the same update delivered twice) change nothing."""
        async with self.session.begin_nested():
            row = await self._find(who)
            earlier = await self.wallet.entry(reference)
            if earlier is not None:
                return Adjustment(UserDTO.of(row), earlier, credit, repeated=True)
            apply = self.wallet.credit if credit else self.wallet.debit
            entry = await apply(
                row.id,
                amount,
                LedgerKind.ADJUSTMENT,
                reference,
                actor_id=actor_id,
                note=reason,
            )
            await self.record(
                actor_id,
                "credit" if credit else "debit",
                target_type="user",
                target_id=row.telegram_id,
                amount=format_amount(amount, self.pricing.currency),
                currency=self.pricing.currency,
                reason=reason,
                reference=reference,
                ledger_id=entry.id,
            )
        user = await self._find(row.id)
        return Adjustment(UserDTO.of(user), entry, credit)

    @writes
    async def set_banned(
        self,
        actor_id: int,
        who: UserRef | int,
        banned: bool,
        *,
        protected: frozenset[int] = frozenset(),
    ) -> BanChange:
        """Ban or unban; the Telegram ids in `protected` (the admins) cannot be banned."""
        async with self.session.begin_nested():
            row = await self._find(who)
            if banned and row.telegram_id in protected:
                raise CannotBanAdmin(row.telegram_id)
            changed = row.banned != banned
            if changed:
                await self.users.set_banned(row.id, banned)
            await self.record(
                actor_id,
                "ban" if banned else "unban",
                target_type="user",
                target_id=row.telegram_id,
                changed=changed,
            )
        return BanChange(replace(UserDTO.of(row), banned=banned), changed)

    # --- catalogue and prices ---------------------------------------------------

    @writes
    async def set_markup(
        self,
        actor_id: int,
        percent: Decimal,
        *,
        category: str | None = None,
        service_id: int | None = None,
    ) -> MarkupChange:
        """Global (neither given), per category (by name, any case) or per service; with the
        price of one affected service before and after."""
        async with self.session.begin_nested():
            target: str | None = None
            sample: ServiceRow | None
            if service_id is not None:
                scope = MarkupScope.SERVICE
                sample = await self.services.get(service_id)
                if sample is None or sample.removed_at is not None:
                    raise NotFound("service", service_id)
                target = sample.name
            elif category is not None:
                scope = MarkupScope.CATEGORY
                category = await self._category(category)
                target = category
                sample = await self.repo.sample_service(ORDERABLE_TYPES, category=category)
            else:
                scope = MarkupScope.GLOBAL
                sample = await self.repo.sample_service(ORDERABLE_TYPES)
            before_markup = await self._markup_for(scope, category=category, service=sample)
            before_price = await self._price(sample) if sample is not None else None
            await self.markups.set(
                scope,
                to_micro(percent),
                now=self.clock.now(),
                category=category,
                service_id=service_id,
                actor_id=actor_id,
            )
            after_price = await self._price(sample) if sample is not None else None
            overrides = 0
            if scope is MarkupScope.GLOBAL:
                overrides = await self.repo.count_markups(
                    MarkupScope.CATEGORY
                ) + await self.repo.count_markups(MarkupScope.SERVICE)
            services = await self.repo.count_in_category(category) if category else 0
            await self.record(
                actor_id,
                "markup",
                target_type=scope.value,
                target_id=service_id if service_id is not None else category,
                percent=percent,
                before=before_markup,
            )
        price_sample = None
        if sample is not None and before_price is not None and after_price is not None:
            kind = ServiceType.parse(sample.type)
            price_sample = PriceSample(
                service_id=sample.id,
                name=sample.name,
                per_order=bool(kind and kind.flat_price),
                before=before_price,
                after=after_price,
            )
        return MarkupChange(
            scope=scope,
            target=target,
            service_id=service_id,
            percent=percent,
            before=before_markup,
            sample=price_sample,
            overrides=overrides,
            services=services,
        )

    async def _category(self, name: str) -> str:
        names = await self.repo.categories_named(name)
        if not names:
            raise NotFound("category", name)
        exact = [n for n in names if n == name.strip()]
        return exact[0] if exact else names[0]

    async def _markup_for(
        self, scope: MarkupScope, *, category: str | None, service: ServiceRow | None
    ) -> Decimal:
        """The markup that applied to the target until now (the default when none was set)."""
        if service is not None:
            service_m, category_m, global_m = await self.markups.lookup(
                service_id=service.id, category=service.category
            )
        else:
            service_m = None
            _, category_m, global_m = await self.markups.lookup(
                service_id=0, category=category or ""
            )
        if scope is MarkupScope.GLOBAL:
            service_m = category_m = None
        elif scope is MarkupScope.CATEGORY:
            service_m = None
        return self._resolve(service_m, category_m, global_m)

    def _resolve(
        self, service: Micro | None, category: Micro | None, global_: Micro | None
    ) -> Decimal:
        """The markup in force: service > category > global > MARKUP_PERCENT."""

        def percent(value: Micro | None) -> Decimal | None:
            return None if value is None else from_micro(value)

        return resolve_markup(
            percent(service),
            percent(category),
            percent(global_),
            default=self.pricing.default_markup,
        )

    async def _price(self, row: ServiceRow) -> Micro:
        """The customer price per 1000 (per order for flat types), as checkout computes it."""
        service_m, category_m, global_m = await self.markups.lookup(
            service_id=row.id, category=row.category
        )
        markup = self._resolve(service_m, category_m, global_m)
        kind = ServiceType.parse(row.type)
        flat = bool(kind and kind.flat_price)
        quote = price_order(
            from_micro(row.rate),
            1 if flat else 1000,
            flat=flat,
            currency_rate=self.pricing.currency_rate,
            markup_percent=markup,
            currency=self.pricing.currency,
            price_override=None if row.price_override is None else from_micro(row.price_override),
        )
        return quote.charge

    @writes
    async def set_hidden(self, actor_id: int, service_id: int, hidden: bool) -> ServiceToggle:
        async with self.session.begin_nested():
            row = await self.services.get(service_id)
            if row is None:
                raise NotFound("service", service_id)
            changed = row.hidden != hidden
            if changed:
                await self.services.set_hidden(service_id, hidden)
            await self.record(
                actor_id,
                "hide" if hidden else "show",
                target_type="service",
                target_id=service_id,
                changed=changed,
            )
        return ServiceToggle(row.id, row.name, row.category, hidden, changed)

    async def sync(self, actor_id: int, load: Callable[[], Awaitable[SyncReport]]) -> SyncReport:
        """Run `load` (the catalogue sync, in its own unit of work) with no transaction
        open; PanelUnavailable / PanelDeclined when the panel does not give its list."""
        try:
            report = await load()
        except ProviderError as exc:
            raise PanelDeclined(exc.text) from None
        except ProviderUnavailable:
            raise PanelUnavailable() from None
        await self.record(
            actor_id,
            "sync",
            target_type="provider",
            target_id=PROVIDER_NAME,
            total=report.total,
            added=report.added,
            changed=report.changed,
            removed=report.removed,
        )
        return report

    # --- orders ---------------------------------------------------------------

    @writes
    async def order(
        self, actor_id: int, order_id: int, *, action: str = "order", note: str | None = None
    ) -> AdminOrder:
        row = await self.order_rows.get(order_id)
        if row is None:
            raise NotFound("order", order_id)
        order = OrderDTO.of(row)
        customer = await self.users.get(order.user_id)
        view = AdminOrder(
            order=order,
            extras=OrderExtras.of(row),
            events=tuple(await self.orders.events(order_id)),
            customer=UserDTO.of(customer) if customer else None,
            ledger=tuple(LedgerEntryDTO.of(r) for r in await self.ledger.for_order(order_id)),
            panel_note=note,
        )
        await self.record(actor_id, action, target_type="order", target_id=order_id)
        return view

    async def refresh_order(self, actor_id: int, order_id: int) -> AdminOrder:
        """Ask the panel about the order now (no waiting period for admins)."""
        order = await self.orders.get(order_id)
        note = None
        if order.provider_order_id is not None and order.state is OrderState.ACTIVE:
            try:
                reply = await self.provider.order_status(order.provider_order_id)
            except ProviderError as exc:
                note = exc.text
            except ProviderUnavailable as exc:
                note = exc.reason
            else:
                change = await self.orders.apply_provider_state(order_id, reply)
                note = change.rejected
        return await self.order(actor_id, order_id, action="order.refresh", note=note)

    @writes
    async def refund(self, actor_id: int, order_id: int) -> OrderRefund:
        """All that has not been refunded yet, once (AlreadyRefunded after that); refused
        for `submitting` and `unknown` orders (RefundNotAllowed): resolve those instead."""
        async with self.session.begin_nested():
            order = await self.orders.refund(order_id, actor_id=actor_id, note="admin refund")
            amount = await self._last_refund(order_id)
            await self.record(
                actor_id,
                "refund",
                target_type="order",
                target_id=order_id,
                amount=format_amount(amount, order.currency),
                currency=order.currency,
            )
        return OrderRefund(order, amount, await self._customer(order))

    @writes
    async def resolve_failed(self, actor_id: int, order_id: int) -> OrderRefund:
        """An `unknown` order the panel does not have: failed, the full charge back."""
        async with self.session.begin_nested():
            current = await self.order_rows.get(order_id, lock=True)
            if current is None:
                raise NotFound("order", order_id)
            if current.state is not OrderState.UNKNOWN:
                raise TransitionNotAllowed(order_id, current.state, OrderState.FAILED)
            order = await self.orders.mark_failed(
                order_id, error="not placed (checked by an admin)", actor_id=actor_id
            )
            amount = await self._last_refund(order_id)
            await self.record(
                actor_id,
                "order.fail",
                target_type="order",
                target_id=order_id,
                amount=format_amount(amount, order.currency),
                currency=order.currency,
            )
        return OrderRefund(order, amount, await self._customer(order))

    async def link(self, actor_id: int, order_id: int, provider_order_id: str) -> AdminOrder:
        """Attach the panel's order id to an `unknown` order; the poller follows it from now.

        The panel is asked about that id first: an id it does not know is refused
        (PanelDeclined), and nothing is linked while it is unreachable (PanelUnavailable).
        """
        provider_order_id = parse_provider_order_id(provider_order_id)
        order = await self.orders.get(order_id)
        if order.state is not OrderState.UNKNOWN:
            raise TransitionNotAllowed(order_id, order.state, OrderState.ACTIVE)
        try:
            reply = await self.provider.order_status(provider_order_id)
        except ProviderError as exc:
            raise PanelDeclined(exc.text) from None
        except ProviderUnavailable:
            raise PanelUnavailable() from None
        if isinstance(reply, ItemError):
            raise PanelDeclined(reply.message)
        await self._link(actor_id, order_id, provider_order_id, reply)
        return await self.order(actor_id, order_id, action="order")

    @writes
    async def _link(
        self, actor_id: int, order_id: int, provider_order_id: str, reply: ProviderOrderState
    ) -> None:
        async with self.session.begin_nested():
            await self.orders.mark_active(
                order_id,
                provider_order_id,
                provider_status=reply.raw_status,
                actor_id=actor_id,
                note="linked by an admin",
            )
            # Judged like any status reply: one the state machine does not trust leaves
            # the order linked and active, with a poll error counted.
            await self.orders.apply_provider_state(order_id, reply)
            await self.record(
                actor_id,
                "order.link",
                target_type="order",
                target_id=order_id,
                provider_order_id=provider_order_id,
            )

    async def _last_refund(self, order_id: int) -> Micro:
        events = await self.orders.events(order_id)
        return events[-1].refund if events else 0

    async def _customer(self, order: OrderDTO) -> UserDTO:
        return UserDTO.of(await self._find(order.user_id))

    # --- the shop -------------------------------------------------------------

    @writes
    async def set_maintenance(self, actor_id: int, on: bool) -> bool:
        """Switch maintenance; False when it was already so."""
        async with self.session.begin_nested():
            changed = await self.shop_settings.maintenance() != on
            await self.shop_settings.set_maintenance(on)
            await self.record(actor_id, "maintenance", target_type="shop", on=on, changed=changed)
        return changed

    async def provider_overview(self, actor_id: int) -> ProviderOverview:
        """The panel's balance (asked now, with no transaction open) and what the database
        knows about polling."""
        balance = currency = error = None
        try:
            result = await self.provider.balance()
        except ProviderError as exc:
            error = exc.text
        except ProviderUnavailable as exc:
            error = exc.reason
        else:
            balance, currency = result.balance, result.currency
        return await self._overview(actor_id, balance, currency, error)

    @writes
    async def _overview(
        self, actor_id: int, balance: Decimal | None, currency: str | None, error: str | None
    ) -> ProviderOverview:
        row = await self.providers.by_name(PROVIDER_NAME)
        await self.record(actor_id, "provider", target_type="provider", target_id=PROVIDER_NAME)
        return ProviderOverview(
            name=PROVIDER_NAME,
            url=row.url if row else None,
            balance=balance,
            currency=currency,
            error=error,
            stored_balance=row.balance if row else None,
            stored_at=row.balance_checked_at if row else None,
            orders=await self.order_rows.count_by_state(),
            last_checked=await self.order_rows.last_checked(),
            last_polled_ok=await self.order_rows.last_polled_ok(),
            flagged=len(await self.order_rows.flagged(limit=1000)),
            down_since=await self.shop_settings.panel_down_since(),
            balance_low=await self.shop_settings.panel_balance_low(),
            paused=await self.shop_settings.panel_pause(),
        )


def _plain(value: Any) -> Any:
    """A JSON-friendly audit detail."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


__all__ = [
    "MAX_ADJUSTMENT_UNITS",
    "MAX_MARKUP",
    "Adjustment",
    "AdminOrder",
    "AdminService",
    "BanChange",
    "CannotBanAdmin",
    "MarkupChange",
    "OrderExtras",
    "OrderRefund",
    "PriceSample",
    "ProviderOverview",
    "ServiceToggle",
    "UserProfile",
    "UserRef",
    "parse_adjustment",
    "parse_percent",
    "parse_provider_order_id",
    "parse_user_ref",
]
