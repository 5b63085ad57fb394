"""Admins and the catalogue: markups (with a sample price before and after), hiding a
service, a catalogue sync."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal

from bot.provider.errors import ProviderError, ProviderUnavailable
from bot.provider.models import ServiceType
from bot.shop.admin.base import AdminServiceBase
from bot.shop.admin.values import MarkupChange, PriceSample, ServiceToggle
from bot.shop.catalog import ORDERABLE_TYPES, SyncReport
from bot.shop.enums import MarkupScope
from bot.shop.errors import NotFound
from bot.shop.money import Micro, from_micro, to_micro
from bot.shop.panels import MAIN_PANEL
from bot.shop.pricing import price_order, resolve_markup
from bot.shop.tracking import PanelDeclined, PanelUnavailable
from db.models import ServiceRow
from db.uow import writes


class AdminCatalogue(AdminServiceBase):
    """`AdminService`'s use cases about the catalogue and its prices."""

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
            currency_rate=self.pricing.rate_of(row.provider_id),
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

    async def sync(
        self,
        actor_id: int,
        load: Callable[[], Awaitable[SyncReport]],
        *,
        panel: str = MAIN_PANEL,
    ) -> SyncReport:
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
            target_id=panel,
            total=report.total,
            added=report.added,
            changed=report.changed,
            removed=report.removed,
        )
        return report


__all__ = ["AdminCatalogue"]
