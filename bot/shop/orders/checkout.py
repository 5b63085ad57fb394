"""Quote and checkout: a validated, priced draft, then paying for it and creating its
order in `submitting`, keyed by the draft's token so a repeat pays once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.provider.models import ServiceType
from bot.shop.backup_limits import narrowed
from bot.shop.enums import LedgerKind, OrderState
from bot.shop.errors import NotFound, NotYours, PriceChanged, ServiceUnavailable
from bot.shop.money import from_micro, to_micro
from bot.shop.orders.base import OrderServiceBase
from bot.shop.orders.form import build_request, size_order
from bot.shop.orders.models import CheckoutResult, Draft, OrderDTO, new_checkout_token
from bot.shop.pricing import price_order, resolve_markup
from db.models import Order, ServiceRow
from db.repositories.backups import BackupRepo
from db.uow import reads, writes


class _TokenTaken(Exception):
    """Raised inside the savepoint when a concurrent checkout of the token won."""


class OrderCheckout(OrderServiceBase):
    """`OrderService.quote` and `OrderService.checkout`."""

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
        self, user_id: int, service: ServiceRow, fields: Mapping[str, Any], token: str
    ) -> Draft:
        if service.hidden or service.removed_at is not None:
            raise ServiceUnavailable(service.id)
        service_type = ServiceType.parse(service.type)
        if service_type is None:
            raise ServiceUnavailable(service.id)
        request = build_request(service_type, service.provider_service_id, fields)
        backups = await BackupRepo(self.catalog.session).of(service.id)
        sized = size_order(service_type, narrowed(service, backups), request)
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
            currency_rate=self.pricing.rate_of(service.provider_id),
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
                inserted = await self.orders.insert_new(
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
                if inserted is None:
                    raise _TokenTaken
                order_id = inserted.id
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
        # The row as inserted is the order now: nothing above changed it.
        return CheckoutResult(OrderDTO.of(inserted), created=True)

    @staticmethod
    def _existing(order: Order, draft: Draft) -> CheckoutResult:
        if order.user_id != draft.user_id:
            raise NotYours("order", order.id)
        return CheckoutResult(OrderDTO.of(order), created=False)


__all__ = ["OrderCheckout"]
