"""Orders: price quotes, checkout, and the state machine with its refunds.

    checkout (debit + insert, one transaction)            -> submitting
    submitting -> active | failed (full refund) | unknown
    unknown    -> active (an admin links the provider's id) | failed (full refund)
    active     -> completed | partial (remains share back) | canceled (full refund)

Each transition happens at most once (the order row is locked and the UPDATE names the
state it leaves) and its refund is written in the same transaction. Each public method
works inside a SAVEPOINT: a domain error leaves the database as it was, even when the
caller goes on using its transaction. Sending `add` to the provider is not done here.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dc_fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.numbers import parse_whole
from bot.provider.models import ItemError, ServiceType
from bot.provider.models import OrderState as ProviderOrderState
from bot.provider.models import OrderStatus as ProviderStatus
from bot.provider.requests import REQUEST_TYPES, AddRequest, InvalidRequest
from bot.shop import settlement
from bot.shop.errors import (
    AlreadyRefunded,
    InvalidOrderField,
    NotFound,
    NotYours,
    PriceChanged,
    QuantityOutOfRange,
    RefundNotAllowed,
    RefundTooLarge,
    ServiceUnavailable,
    TransitionNotAllowed,
)
from bot.shop.money import Micro, check_positive, from_micro, to_micro
from bot.shop.pricing import PricingConfig, price_order, refund_share, resolve_markup
from bot.shop.wallet import WalletService
from db.models import CatalogService, LedgerKind, Order, OrderEvent, OrderState
from db.repositories.catalog import CatalogRepo
from db.repositories.markups import MarkupRepo
from db.repositories.orders import OrderRepo
from db.uow import reads, writes

log = logging.getLogger(__name__)

ALLOWED: Mapping[OrderState, frozenset[OrderState]] = {
    OrderState.SUBMITTING: frozenset({OrderState.ACTIVE, OrderState.FAILED, OrderState.UNKNOWN}),
    OrderState.UNKNOWN: frozenset({OrderState.ACTIVE, OrderState.FAILED}),
    OrderState.ACTIVE: frozenset({OrderState.COMPLETED, OrderState.PARTIAL, OrderState.CANCELED}),
}
# Orders whose fate is open: a manual refund must go through a transition instead.
_UNSETTLED = frozenset({OrderState.SUBMITTING, OrderState.UNKNOWN})
_PROVIDER_TEXT_MAX = 64
MAX_PER_PAGE = 50


def new_checkout_token() -> str:
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Draft:
    """A priced, validated order not yet paid; checkout(draft) buys it.

    Keep it (e.g. `to_dict()` in the FSM) between the confirmation screen and the
    "Confirm" press: its token makes a repeated confirm find the same order.
    """

    token: str
    user_id: int
    service_id: int
    service_name: str
    service_type: str
    category: str
    fields: dict[str, Any]  # the input, as given to quote()
    form: dict[str, str]  # what `add` will send, besides key and action
    link: str | None
    quantity: int  # units the charge covers in total
    runs: int | None
    interval: int | None
    rate: Micro  # provider rate used
    cost: Micro
    charge: Micro
    currency: str
    markup_percent: Decimal

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly (Decimal as text; dates in `fields` as ISO text)."""
        data = {f.name: getattr(self, f.name) for f in dc_fields(self)}
        data["fields"] = dict(self.fields)
        data["form"] = dict(self.form)
        data["markup_percent"] = str(self.markup_percent)
        data["fields"] = {
            k: v.isoformat() if isinstance(v, date) else v for k, v in self.fields.items()
        }
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Draft:
        values = dict(data)
        values["markup_percent"] = Decimal(values["markup_percent"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class OrderDTO:
    id: int
    user_id: int
    state: OrderState
    service_id: int | None
    provider_id: int | None
    provider_service_id: str
    service_name: str
    service_type: str
    category: str
    link: str | None
    fields: dict[str, Any]
    quantity: int
    runs: int | None
    interval: int | None
    charge: Micro
    cost: Micro
    refunded: Micro
    currency: str
    provider_order_id: str | None
    provider_status: str | None
    start_count: int | None
    remains: int | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    last_checked_at: datetime | None

    @property
    def paid(self) -> Micro:
        """What the customer is out of pocket for it now."""
        return self.charge - self.refunded

    @classmethod
    def of(cls, row: Order) -> OrderDTO:
        return cls(**{f.name: getattr(row, f.name) for f in dc_fields(cls)})


@dataclass(frozen=True, slots=True)
class OrderEventDTO:
    id: int
    order_id: int
    from_state: OrderState | None
    to_state: OrderState
    refund: Micro
    note: str | None
    actor_id: int | None
    at: datetime

    @classmethod
    def of(cls, row: OrderEvent) -> OrderEventDTO:
        return cls(**{f.name: getattr(row, f.name) for f in dc_fields(cls)})


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    order: OrderDTO
    created: bool  # False: the token's order existed; do not submit it again


@dataclass(frozen=True, slots=True)
class OrderChange:
    """What applying a provider status did to an order."""

    order: OrderDTO
    previous: OrderState
    refund: Micro = 0
    # Set when the reply was not trusted: it changed nothing but the poll error count.
    rejected: str | None = None
    poll_errors: int = 0  # errors in a row, after a rejected reply

    @property
    def changed(self) -> bool:
        return self.previous != self.order.state


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: tuple[OrderDTO, ...]  # newest first
    page: int
    per_page: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.per_page < self.total


@dataclass(slots=True)
class _Sized:
    quantity: int  # per run for drip-feed
    runs: int | None = None
    interval: int | None = None
    flat: bool = False


class _TokenTaken(Exception):
    """Raised inside the savepoint when a concurrent checkout of the token won."""


class OrderService:
    def __init__(
        self,
        *,
        orders: OrderRepo,
        catalog: CatalogRepo,
        markups: MarkupRepo,
        wallet: WalletService,
        clock: Clock,
        pricing: PricingConfig,
    ) -> None:
        self.orders = orders
        self.catalog = catalog
        self.markups = markups
        self.wallet = wallet
        self.clock = clock
        self.pricing = pricing

    @property
    def session(self) -> AsyncSession:
        return self.orders.session

    @classmethod
    def from_session(
        cls, session: AsyncSession, clock: Clock, pricing: PricingConfig
    ) -> OrderService:
        return cls(
            orders=OrderRepo(session),
            catalog=CatalogRepo(session),
            markups=MarkupRepo(session),
            wallet=WalletService.from_session(session, clock),
            clock=clock,
            pricing=pricing,
        )

    # ------------------------------------------------------------------ quote & checkout

    @reads
    async def quote(
        self,
        user_id: int,
        service_id: int,
        fields: Mapping[str, Any],
        *,
        token: str | None = None,
    ) -> Draft:
        """Validate the order form against the service and price it; nothing is written.

        `fields` are the `add` fields of the service's type (link, quantity, runs,
        interval, comments, username, min, max, posts, delay ...). Raises NotFound,
        ServiceUnavailable, InvalidOrderField, QuantityOutOfRange.
        """
        service = await self.catalog.get(service_id)
        if service is None:
            raise NotFound("service", service_id)
        return await self._quote(user_id, service, fields, token or new_checkout_token())

    async def _quote(
        self, user_id: int, service: CatalogService, fields: Mapping[str, Any], token: str
    ) -> Draft:
        if service.hidden or service.removed_at is not None:
            raise ServiceUnavailable(service.id)
        service_type = ServiceType.parse(service.type)
        if service_type is None:
            raise ServiceUnavailable(service.id)
        request = _build_request(service_type, service.provider_service_id, fields)
        sized = _size(service_type, service, request)
        service_markup, category_markup, global_markup = await self.markups.lookup(
            service_id=service.id, category=service.category
        )
        by_service, by_category, by_shop = (
            None if m is None else from_micro(m)
            for m in (service_markup, category_markup, global_markup)
        )
        markup = resolve_markup(
            by_service, by_category, by_shop, default=self.pricing.default_markup
        )
        quote = price_order(
            from_micro(service.rate),
            sized.quantity,
            flat=sized.flat,
            runs=sized.runs,
            currency_rate=self.pricing.currency_rate,
            markup_percent=markup,
            currency=self.pricing.currency,
            price_override=(
                None if service.price_override is None else from_micro(service.price_override)
            ),
        )
        form = request.form()
        return Draft(
            token=token,
            user_id=user_id,
            service_id=service.id,
            service_name=service.name,
            service_type=service.type,
            category=service.category,
            fields=dict(fields),
            form=form,
            link=form.get("link") or form.get("username"),
            quantity=quote.quantity,
            runs=sized.runs,
            interval=sized.interval,
            rate=service.rate,
            cost=quote.cost,
            charge=quote.charge,
            currency=quote.currency,
            markup_percent=quote.markup_percent,
        )

    @writes
    async def checkout(self, draft: Draft) -> CheckoutResult:
        """Pay for the draft and create its order in `submitting`, in one transaction.

        Keyed by the draft's token: a repeated checkout (a double click, a retry, 50 at
        once) returns the same order and debits once; `created` tells the one caller that
        must send it to the provider. The draft is priced again first: PriceChanged when
        the price moved since the customer saw it. Also raises InsufficientFunds,
        NotFound, NotYours, ServiceUnavailable, InvalidOrderField, QuantityOutOfRange.
        """
        existing = await self.orders.by_token(draft.token)
        if existing is not None:
            return self._existing(existing, draft)
        service = await self.catalog.get(draft.service_id)
        if service is None:
            raise NotFound("service", draft.service_id)
        fresh = await self._quote(draft.user_id, service, draft.fields, draft.token)
        if fresh.charge != draft.charge:
            raise PriceChanged(quoted=draft.charge, current=fresh.charge)
        now = self.clock.now()
        try:
            async with self.orders.savepoint():
                order_id = await self.orders.insert_new(
                    user_id=fresh.user_id,
                    checkout_token=fresh.token,
                    service_id=service.id,
                    provider_id=service.provider_id,
                    provider_service_id=service.provider_service_id,
                    service_name=fresh.service_name,
                    service_type=fresh.service_type,
                    category=fresh.category,
                    rate=fresh.rate,
                    link=fresh.link,
                    fields=fresh.form,
                    quantity=fresh.quantity,
                    runs=fresh.runs,
                    interval=fresh.interval,
                    charge=fresh.charge,
                    cost=fresh.cost,
                    currency=fresh.currency,
                    markup=to_micro(fresh.markup_percent),
                    refunded=0,
                    state=OrderState.SUBMITTING,
                    created_at=now,
                    updated_at=now,
                )
                if order_id is None:
                    raise _TokenTaken
                await self.wallet.debit(
                    fresh.user_id,
                    fresh.charge,
                    LedgerKind.CHARGE,
                    f"checkout:{fresh.token}",
                    order_id=order_id,
                )
                await self.orders.add_event(
                    order_id, from_state=None, to_state=OrderState.SUBMITTING, at=now
                )
        except _TokenTaken:
            existing = await self.orders.by_token(draft.token)
            assert existing is not None
            return self._existing(existing, draft)
        return CheckoutResult(await self._dto(order_id), created=True)

    @staticmethod
    def _existing(order: Order, draft: Draft) -> CheckoutResult:
        if order.user_id != draft.user_id:
            raise NotYours("order", order.id)
        return CheckoutResult(OrderDTO.of(order), created=False)

    # ------------------------------------------------------------------ reading

    @reads
    async def get(self, order_id: int) -> OrderDTO:
        return await self._dto(order_id)

    @reads
    async def get_for_user(self, user_id: int, order_id: int) -> OrderDTO:
        """The user's own order: NotFound, or NotYours for somebody else's."""
        order = await self.get(order_id)
        if order.user_id != user_id:
            raise NotYours("order", order_id)
        return order

    @reads
    async def page_for_user(self, user_id: int, *, page: int = 0, per_page: int = 5) -> OrderPage:
        per_page = min(max(per_page, 1), MAX_PER_PAGE)
        page = max(page, 0)
        total = await self.orders.count_for_user(user_id)
        rows = await self.orders.page_for_user(user_id, limit=per_page, offset=page * per_page)
        return OrderPage(tuple(OrderDTO.of(r) for r in rows), page, per_page, total)

    @reads
    async def events(self, order_id: int) -> list[OrderEventDTO]:
        return [OrderEventDTO.of(row) for row in await self.orders.events(order_id)]

    async def _dto(self, order_id: int) -> OrderDTO:
        order = await self.orders.get(order_id)
        if order is None:
            raise NotFound("order", order_id)
        return OrderDTO.of(order)

    # ------------------------------------------------------------------ transitions

    @writes
    async def mark_active(
        self,
        order_id: int,
        provider_order_id: str,
        *,
        provider_status: str | None = None,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> OrderDTO:
        """The provider accepted it (from submitting), or an admin linked it (from unknown)."""
        provider_order_id = str(provider_order_id).strip()
        if not provider_order_id or len(provider_order_id) > _PROVIDER_TEXT_MAX:
            raise InvalidOrderField("provider_order_id", "invalid")

        async def check(order: Order) -> None:
            if order.provider_id is None:
                return
            other = await self.orders.by_provider_order_id(order.provider_id, provider_order_id)
            if other is not None and other.id != order.id:
                raise InvalidOrderField("provider_order_id", "already_linked")

        change = await self._transition(
            order_id,
            OrderState.ACTIVE,
            values={
                "provider_order_id": provider_order_id,
                "provider_status": _clip(provider_status),
                "error": None,
            },
            check=check,
            actor_id=actor_id,
            note=note,
        )
        return change.order

    @writes
    async def mark_failed(
        self, order_id: int, *, error: str | None = None, actor_id: int | None = None
    ) -> OrderDTO:
        """The provider refused it, or an admin found an unknown one was never placed:
        the full charge goes back."""
        change = await self._transition(
            order_id,
            OrderState.FAILED,
            values={"error": error},
            refund=_full,
            actor_id=actor_id,
            note=error,
        )
        return change.order

    @writes
    async def mark_unknown(self, order_id: int, *, error: str | None = None) -> OrderDTO:
        """`add` was sent but its answer was lost: never retried, an admin decides."""
        change = await self._transition(
            order_id, OrderState.UNKNOWN, values={"error": error}, note=error
        )
        return change.order

    @writes
    async def mark_completed(self, order_id: int, **progress: Any) -> OrderDTO:
        """Delivered. `progress`: provider_status, start_count, remains, provider_charge,
        provider_currency, last_checked_at (None values are ignored)."""
        change = await self._transition(order_id, OrderState.COMPLETED, values=_progress(progress))
        return change.order

    @writes
    async def mark_partial(
        self, order_id: int, *, remains: int | None, **progress: Any
    ) -> OrderDTO:
        """Delivered but for `remains` units: their share of the charge goes back, rounded
        down, never more than was charged whatever the provider says."""
        change = await self._partial(order_id, remains, progress)
        return change.order

    @writes
    async def mark_canceled(
        self,
        order_id: int,
        *,
        actor_id: int | None = None,
        note: str | None = None,
        **progress: Any,
    ) -> OrderDTO:
        """Canceled (or refunded, or failed) at the provider: the full charge goes back."""
        change = await self._canceled(order_id, progress, actor_id=actor_id, note=note)
        return change.order

    async def _partial(
        self, order_id: int, remains: int | None, progress: Mapping[str, Any]
    ) -> OrderChange:
        def share(order: Order) -> Micro:
            return refund_share(order.charge, remains, order.quantity, order.currency)

        values = _progress({**progress, "remains": remains})
        return await self._transition(order_id, OrderState.PARTIAL, values=values, refund=share)

    async def _canceled(
        self,
        order_id: int,
        progress: Mapping[str, Any],
        *,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> OrderChange:
        return await self._transition(
            order_id,
            OrderState.CANCELED,
            values=_progress(progress),
            refund=_full,
            actor_id=actor_id,
            note=note,
        )

    @writes
    async def apply_provider_state(
        self, order_id: int, reply: ProviderOrderState | ItemError
    ) -> OrderChange:
        """Apply one `status` reply (as the validator left it) to an order: the one place
        that decides an order's fate from the panel's word (the poller, the customer's
        Refresh, the admin's refresh and link all come here).

        An item error, or a reply that cannot be true for this order (see
        `settlement.judge`), changes nothing but the order's poll error count (the poller
        flags the order after a few in a row) and comes back with `rejected` set. A
        finished status settles the order: transition and refund together, at most once
        (`settlement.ending`). Any other status, known or not, records the progress and
        the order keeps being polled. An order that is not active is left alone.
        """
        order = await self.orders.get(order_id)
        if order is None:
            raise NotFound("order", order_id)
        if order.state is not OrderState.ACTIVE:
            return OrderChange(OrderDTO.of(order), previous=order.state)
        facts = settlement.OrderFacts.of(order)
        problem = self.judge(facts, reply)
        if problem is not None:
            return await self.reject_reply(order_id, problem)
        assert isinstance(reply, ProviderOrderState)
        now = self.clock.now()
        values = _progress({**settlement.progress(facts, reply), "last_checked_at": now})
        end = settlement.ending(facts, reply, self.pricing.currency_rate)
        if end is None:
            if reply.status is ProviderStatus.UNRECOGNISED:
                log.warning("order %s: unrecognised provider status %r", order_id, reply.raw_status)
            await self.orders.record_progress([{"order_id": order_id, **values}], now=now)
            return OrderChange(await self._dto(order_id), previous=OrderState.ACTIVE)
        amount = end.refund
        try:
            return await self._transition(
                order_id,
                end.state,
                values=values,
                refund=(lambda _order: amount) if amount else None,
            )
        except TransitionNotAllowed:
            # A concurrent poll finished it first; this reply changes nothing.
            dto = await self._dto(order_id)
            return OrderChange(dto, previous=dto.state)

    def judge(
        self, order: settlement.OrderFacts, reply: ProviderOrderState | ItemError
    ) -> str | None:
        """Why the reply cannot be applied to the order, or None (for the poller, which
        records running orders' progress in bulk)."""
        if isinstance(reply, ItemError):
            return reply.message or "error"
        return settlement.judge(order, reply, self.pricing.currency_rate)

    @writes
    async def reject_reply(self, order_id: int, problem: str) -> OrderChange:
        """Count a reply that was not trusted as one more poll error in a row."""
        errors, _flagged = await self.orders.record_poll_error(
            order_id, problem, now=self.clock.now()
        )
        log.info("order %s: panel reply not applied (%d in a row): %s", order_id, errors, problem)
        dto = await self._dto(order_id)
        return OrderChange(dto, previous=dto.state, rejected=problem, poll_errors=errors)

    async def _transition(
        self,
        order_id: int,
        to_state: OrderState,
        *,
        values: Mapping[str, Any],
        refund: Any = None,
        check: Any = None,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> OrderChange:
        async with self.orders.savepoint():
            order = await self.orders.get(order_id, lock=True)
            if order is None:
                raise NotFound("order", order_id)
            from_state = order.state
            if to_state not in ALLOWED.get(from_state, frozenset()):
                raise TransitionNotAllowed(order_id, from_state, to_state)
            if check is not None:
                await check(order)
            amount = 0
            if refund is not None:
                # Whatever the provider reports, never give back more than is left.
                amount = max(0, min(int(refund(order)), order.charge - order.refunded))
            now = self.clock.now()
            changes = {**values, "updated_at": now, "refunded": order.refunded + amount}
            if to_state.finished:
                changes["finished_at"] = now
            moved = await self.orders.transition(
                order_id, from_state=from_state, to_state=to_state, **changes
            )
            if not moved:  # cannot happen under the row lock; kept as the last guard
                raise TransitionNotAllowed(order_id, from_state, to_state)
            reference = f"order:{order_id}:refund"
            if amount and await self.wallet.entry(reference) is not None:
                # Only one transition ever refunds an order: this is a second one.
                raise AlreadyRefunded(order_id)
            if amount:
                await self.wallet.credit(
                    order.user_id,
                    amount,
                    LedgerKind.REFUND,
                    reference,
                    order_id=order_id,
                    actor_id=actor_id,
                    note=note,
                )
            await self.orders.add_event(
                order_id,
                from_state=from_state,
                to_state=to_state,
                at=now,
                refund=amount,
                note=note,
                actor_id=actor_id,
            )
        return OrderChange(await self._dto(order_id), previous=from_state, refund=amount)

    # ------------------------------------------------------------------ manual refunds

    @writes
    async def refund(
        self,
        order_id: int,
        amount: Micro | None = None,
        *,
        actor_id: int,
        note: str | None = None,
    ) -> OrderDTO:
        """An admin gives back `amount` (all that is left when None) of a settled order.

        The state does not change; the refund is recorded in the order's history.
        Raises InvalidAmount, NotFound, RefundNotAllowed (submitting or unknown: resolve
        it instead), AlreadyRefunded, RefundTooLarge.
        """
        if amount is not None:
            check_positive(amount)
        async with self.orders.savepoint():
            order = await self.orders.get(order_id, lock=True)
            if order is None:
                raise NotFound("order", order_id)
            if order.state in _UNSETTLED:
                raise RefundNotAllowed(order_id, order.state)
            available = order.charge - order.refunded
            if available <= 0:
                raise AlreadyRefunded(order_id)
            give = available if amount is None else amount
            if give > available:
                raise RefundTooLarge(order_id, requested=give, available=available)
            total = order.refunded + give
            now = self.clock.now()
            await self.orders.update(order_id, refunded=total, updated_at=now)
            await self.wallet.credit(
                order.user_id,
                give,
                LedgerKind.REFUND,
                # The running total makes each manual refund's reference unique.
                f"order:{order_id}:refund:{total}",
                order_id=order_id,
                actor_id=actor_id,
                note=note,
            )
            await self.orders.add_event(
                order_id,
                from_state=order.state,
                to_state=order.state,
                at=now,
                refund=give,
                note=note,
                actor_id=actor_id,
            )
        return await self._dto(order_id)


# ---------------------------------------------------------------------- helpers


def _full(order: Order) -> Micro:
    return order.charge


def _clip(text: str | None) -> str | None:
    return None if text is None else str(text)[:_PROVIDER_TEXT_MAX]


_PROGRESS_FIELDS = frozenset(
    {
        "provider_status",
        "start_count",
        "remains",
        "provider_charge",
        "provider_currency",
        "last_checked_at",
    }
)


def _progress(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - _PROGRESS_FIELDS
    if unknown:
        raise TypeError(f"unexpected progress fields {sorted(unknown)}")
    out = {k: v for k, v in values.items() if v is not None}
    if "provider_status" in out:
        out["provider_status"] = _clip(out["provider_status"])
    return out


def _build_request(
    service_type: ServiceType, provider_service_id: str, fields: Mapping[str, Any]
) -> AddRequest:
    request_cls = REQUEST_TYPES[service_type]
    kinds = {f.name: str(f.type) for f in dc_fields(request_cls) if f.name != "service_id"}
    unknown = sorted(set(fields) - set(kinds))
    if unknown:
        raise InvalidOrderField(unknown[0], "not_allowed")
    values: dict[str, Any] = {}
    for name, value in fields.items():
        values[name] = _coerce(name, kinds[name], value)
    request = request_cls(service_id=provider_service_id, **values)
    try:
        request.validate()
    except InvalidRequest as exc:
        raise InvalidOrderField(exc.field_name, exc.reason) from None
    return request


def _coerce(name: str, kind: str, value: Any) -> Any:
    """Typed input as the request wants it: text digits to int, ISO text to a date."""
    if value is None:
        return None
    if kind.startswith("int"):
        if isinstance(value, bool):
            raise InvalidOrderField(name, "not_a_number")
        if isinstance(value, int):
            return value
        number = parse_whole(str(value)[:64])
        if number is None:
            raise InvalidOrderField(name, "not_a_number")
        return number
    if kind.startswith("date"):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise InvalidOrderField(name, "invalid_date") from None
    if not isinstance(value, str):
        raise InvalidOrderField(name, "not_text")
    return value


def _in_range(value: int, service: CatalogService, name: str) -> None:
    if not service.min <= value <= service.max:
        raise QuantityOutOfRange(value, service.min, service.max, field=name)


def _size(service_type: ServiceType, service: CatalogService, request: AddRequest) -> _Sized:
    """How many units the order is priced for, checked against the service's range."""
    if service_type is ServiceType.SUBSCRIPTIONS:
        # Charged up front for the most it can deliver: `max` per post for `posts` posts;
        # what is not used comes back at the end like a partial.
        per_post_min = int(request.min)  # type: ignore[attr-defined]
        per_post_max = int(request.max)  # type: ignore[attr-defined]
        posts = request.posts  # type: ignore[attr-defined]
        _in_range(per_post_min, service, "min")
        _in_range(per_post_max, service, "max")
        if posts is None:
            raise InvalidOrderField("posts", "required")
        return _Sized(quantity=per_post_max * posts)
    if service_type.flat_price:
        # Priced per order; the count (comments, or 1) only sizes a partial refund.
        count = getattr(request, "quantity", 1)
        return _Sized(quantity=max(int(count), 1), flat=True)
    quantity = int(request.quantity)  # type: ignore[attr-defined]
    _in_range(quantity, service, "quantity")
    runs = getattr(request, "runs", None)
    interval = getattr(request, "interval", None)
    if runs is not None and not service.dripfeed:
        raise InvalidOrderField("runs", "not_dripfeed")
    return _Sized(quantity=quantity, runs=runs, interval=interval)


__all__ = [
    "ALLOWED",
    "CheckoutResult",
    "Draft",
    "OrderChange",
    "OrderDTO",
    "OrderEventDTO",
    "OrderPage",
    "OrderService",
    "OrderState",
    "new_checkout_token",
]
