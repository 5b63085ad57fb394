"""The catalogue as customers see it (platforms, categories, service cards, search) and
its sync from the panel."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.numbers import parse_whole
from bot.provider.models import Service, ServiceListing, ServiceType
from bot.shop.backup_limits import limits
from bot.shop.enums import MarkupScope
from bot.shop.errors import NotFound, ServiceUnavailable
from bot.shop.money import Micro, from_micro, to_micro_ceil
from bot.shop.paging import Paging
from bot.shop.platforms import Renames, platform_of, platform_order, shown
from bot.shop.pricing import PricingConfig, price_order, resolve_markup
from bot.shop.search import Index, index_of, parse_query, rank
from bot.shop.shop_settings import ShopSettings
from db.models import Markup, ServiceRow
from db.read_cache import cached, kept
from db.repositories.backups import BackupRepo
from db.repositories.catalog import CatalogRepo
from db.repositories.markups import MarkupRepo
from db.repositories.providers import ProviderRepo
from db.repositories.storefront import StorefrontRepo
from db.uow import reads, writes

ORDERABLE_TYPES = tuple(t.value for t in ServiceType)
# What a customer's view of the catalogue is read from: an answer built from them is
# kept per process while none of them changes (db/read_cache.py).
BROWSING_TABLES = ("services", "markups", "service_backups", "providers", "settings")
PER_PAGE = 8
SEARCH_PER_PAGE = 8


def category_key(name: str) -> str:
    """A short stable id for a category name, small enough for callback data."""
    return format(zlib.crc32(name.encode("utf-8")), "08x")


@dataclass(frozen=True, slots=True)
class PlatformEntry:
    name: str
    services: int


@dataclass(frozen=True, slots=True)
class CategoryEntry:
    key: str
    name: str
    services: int


@dataclass(frozen=True, slots=True)
class ServiceCard:
    id: int
    name: str
    category: str
    platform: str
    type: ServiceType
    price: Micro  # per 1000 units, or per order when `per_order`
    per_order: bool
    currency: str
    min: int
    max: int
    refill: bool
    cancel: bool
    dripfeed: bool
    description: str
    # The price per 1000 before rounding to a cent (per order: the price itself), to be
    # shown with the decimals that let a customer check a total by it.
    unit_price: Micro = 0


@dataclass(frozen=True, slots=True)
class ServicePage:
    category: CategoryEntry
    cards: tuple[ServiceCard, ...]
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class SearchPage(Paging):
    """One page of what a search found; `total` is every service it found."""

    cards: tuple[ServiceCard, ...]
    page: int
    pages: int
    total: int
    per_page: int = SEARCH_PER_PAGE


@dataclass(frozen=True, slots=True)
class PlatformCount:
    """A platform as customers see it, with where it comes from (for the admin)."""

    name: str
    categories: int
    services: int
    renamed_from: tuple[str, ...]  # derived platforms shown under this name


@dataclass(frozen=True, slots=True)
class SyncReport:
    added: int
    changed: int
    removed: int
    total: int
    unsupported: int
    skipped: int = 0  # entries the panel listed that failed the checks
    refused: str | None = None  # why the whole list was not used (nothing changed)
    provider_id: int | None = None  # the panel's providers row


class CatalogService:
    def __init__(
        self,
        *,
        storefront: StorefrontRepo,
        catalog: CatalogRepo,
        markups: MarkupRepo,
        providers: ProviderRepo,
        clock: Clock,
        pricing: PricingConfig,
        settings: ShopSettings,
    ) -> None:
        self.settings = settings
        self.storefront = storefront
        self.catalog = catalog
        self.markups = markups
        self.providers = providers
        self.clock = clock
        self.pricing = pricing
        # Kept answers (db/read_cache.py) are priced: they are kept per pricing.
        self.cache_shape = repr(pricing)

    @property
    def session(self) -> AsyncSession:
        return self.catalog.session

    @classmethod
    def from_session(
        cls, session: AsyncSession, clock: Clock, pricing: PricingConfig
    ) -> CatalogService:
        return cls(
            storefront=StorefrontRepo(session, ORDERABLE_TYPES),
            catalog=CatalogRepo(session),
            markups=MarkupRepo(session),
            providers=ProviderRepo(session),
            clock=clock,
            pricing=pricing,
            settings=ShopSettings.from_session(session, clock),
        )

    # --- browsing -------------------------------------------------------------

    @cached(*BROWSING_TABLES)
    @reads
    async def platforms(self) -> list[PlatformEntry]:
        """The platforms as customers see them (the admin's renames applied, merged ones
        counted together), well-known ones first, Other last."""
        renames = await self.settings.platform_renames()
        counts: dict[str, int] = {}
        for name, count in await self.storefront.platforms():
            key = shown(name, renames)
            counts[key] = counts.get(key, 0) + count
        names = sorted(counts, key=lambda name: (platform_order(name), name.casefold()))
        return [PlatformEntry(name, counts[name]) for name in names]

    @reads
    async def platform(self, index: int) -> PlatformEntry:
        platforms = await self.platforms()
        if not 0 <= index < len(platforms):
            raise NotFound("platform", index)
        return platforms[index]

    @reads
    async def platform_counts(self) -> list[PlatformCount]:
        """Every platform customers see, with its categories, services and renames."""
        renames = await self.settings.platform_renames()
        merged: dict[str, tuple[int, int, set[str]]] = {}
        for name, categories, services in await self.storefront.platform_counts():
            key = shown(name, renames)
            c, n, sources = merged.get(key, (0, 0, set()))
            merged[key] = (c + categories, n + services, sources | ({name} - {key}))
        names = sorted(merged, key=lambda name: (platform_order(name), name.casefold()))
        return [
            PlatformCount(name, merged[name][0], merged[name][1], tuple(sorted(merged[name][2])))
            for name in names
        ]

    @cached(*BROWSING_TABLES)
    @reads
    async def categories(self, platform: str) -> list[CategoryEntry]:
        renames = await self.settings.platform_renames()
        derived = [name for name, _ in await self.storefront.platforms()]
        sources = [name for name in derived if shown(name, renames) == platform]
        return [
            CategoryEntry(category_key(name), name, count)
            for name, count in await self.storefront.categories(sources)
        ]

    @reads
    async def category(self, platform: str, key: str) -> CategoryEntry:
        for entry in await self.categories(platform):
            if entry.key == key:
                return entry
        raise NotFound("category", key)

    @cached(*BROWSING_TABLES)
    @reads
    async def services_page(self, category: CategoryEntry, page: int) -> ServicePage:
        total = await self.storefront.count_in_category(category.name)
        pages = max(1, -(-total // PER_PAGE))
        page = min(max(page, 0), pages - 1)
        rows = await self.storefront.in_category(
            category.name, limit=PER_PAGE, offset=page * PER_PAGE
        )
        markups = await self.markups.all()
        renames = await self.settings.platform_renames()
        cards = tuple(self._card(row, markups, renames) for row in rows)
        return ServicePage(category, cards, page, pages)

    @cached(*BROWSING_TABLES)
    @reads
    async def card(self, service_id: int) -> ServiceCard:
        row = await self.storefront.visible(service_id)
        if row is None:
            raise ServiceUnavailable(service_id)
        card = self._card(row, await self.markups.all(), await self.settings.platform_renames())
        backups = await BackupRepo(self.storefront.session).of(row.id)
        if backups:  # the form asks for what every panel that may take it accepts
            low, high = limits(row, backups)
            card = replace(card, min=low, max=high)
        return card

    @cached(*BROWSING_TABLES)
    @reads
    async def search(self, text: str, *, locale: str = "en", page: int = 0) -> SearchPage:
        """By `#<id>`, or by the words of the service's name, category and platform in
        the customer's language (bot/shop/search): page `page` of all it found, best
        first. Only the four columns search compares are read for every service, whole
        rows only for the page shown."""
        query = text.strip()
        markups = await self.markups.all()
        renames = await self.settings.platform_renames()
        if query.startswith("#"):
            # `#<id>`: an id is ASCII digits that fit a BIGINT; anything else finds nothing.
            service_id = parse_whole(query[1:], low=1)
            row = await self.storefront.visible(service_id) if service_id is not None else None
            cards: tuple[ServiceCard, ...] = ()
            if row is not None:
                cards = (self._card(row, markups, renames),)
            return SearchPage(cards, 0, 1, len(cards))
        parsed = parse_query(query, locale)
        if not parsed:
            return SearchPage((), 0, 1, 0)
        index = await kept(
            self.session,
            BROWSING_TABLES,
            ("search index", tuple(sorted(renames.items()))),
            lambda: self._search_index(renames),
        )
        found = rank(parsed, index)
        pages = max(1, -(-len(found) // SEARCH_PER_PAGE))
        page = min(max(page, 0), pages - 1)
        shown_ids = found[page * SEARCH_PER_PAGE : (page + 1) * SEARCH_PER_PAGE]
        by_id = {row.id: row for row in await self.storefront.by_ids(shown_ids)}
        cards = tuple(self._card(by_id[i], markups, renames) for i in shown_ids if i in by_id)
        return SearchPage(cards, page, pages, len(found))

    async def _search_index(self, renames: Renames) -> Index:
        """Every visible service's words, in the catalogue's order: read and indexed once
        while the catalogue is unchanged (db/read_cache.py), not for every search."""
        rows = []
        for service_id, name, category, platform in await self.storefront.search_index():
            seen = shown(platform or platform_of(category), renames)
            rows.append((platform_order(seen), seen.casefold(), (service_id, name, category, seen)))
        rows.sort(key=lambda item: item[:2])  # stable: category, price, id within a platform
        return index_of(tuple(row for _, _, row in rows))

    def _card(self, row: ServiceRow, markups: list[Markup], renames: Renames) -> ServiceCard:
        service_type = ServiceType.parse(row.type)
        if service_type is None:  # filtered by the repository; a guard for old rows
            raise ServiceUnavailable(row.id)
        flat = service_type.flat_price
        quote = price_order(
            from_micro(row.rate),
            1 if flat else 1000,
            flat=flat,
            currency_rate=self.pricing.rate_of(row.provider_id),
            markup_percent=self._markup(row, markups),
            currency=self.pricing.currency,
            price_override=None if row.price_override is None else from_micro(row.price_override),
        )
        return ServiceCard(
            id=row.id,
            name=row.name,
            category=row.category,
            platform=shown(row.platform or platform_of(row.category), renames),
            type=service_type,
            price=quote.charge,
            unit_price=quote.charge if flat else quote.exact,
            per_order=flat,
            currency=self.pricing.currency,
            min=row.min,
            max=row.max,
            refill=row.refill,
            cancel=row.cancel,
            dripfeed=row.dripfeed,
            description=row.description,
        )

    def _markup(self, row: ServiceRow, markups: list[Markup]) -> Decimal:
        by_scope: dict[MarkupScope, Decimal] = {}
        for markup in markups:
            if (
                markup.scope is MarkupScope.GLOBAL
                or (markup.scope is MarkupScope.CATEGORY and markup.category == row.category)
                or (markup.scope is MarkupScope.SERVICE and markup.service_id == row.id)
            ):
                by_scope[markup.scope] = from_micro(markup.percent)
        return resolve_markup(
            by_scope.get(MarkupScope.SERVICE),
            by_scope.get(MarkupScope.CATEGORY),
            by_scope.get(MarkupScope.GLOBAL),
            default=self.pricing.default_markup,
        )

    # --- sync -----------------------------------------------------------------

    @writes
    async def sync(
        self, provider_name: str, provider_url: str, services: ServiceListing | list[Service]
    ) -> SyncReport:
        """Bring the snapshot in line with the panel's list: new services appear, changed
        ones update, those gone are flagged removed (their orders keep their snapshot)."""
        now = self.clock.now()
        provider = await self.providers.ensure(provider_name, provider_url, now=now)
        # What the last sync left, as plain values: compared here, written back in bulk
        # (a statement per kind of change, not per service).
        before = {
            row.provider_service_id: row for row in await self.catalog.sync_snapshot(provider.id)
        }
        added = changed = unsupported = 0
        new: dict[str, dict[str, Any]] = {}
        updated: dict[int, dict[str, Any]] = {}
        seen: dict[int, None] = {}
        for service in services:
            kind = ServiceType.parse(service.type_name)
            unsupported += kind is None
            values: dict[str, Any] = {
                "type": kind.value if kind else service.type_name,
                "name": service.name,
                "category": service.category,
                "rate": to_micro_ceil(service.rate),
                "min": service.min,
                "max": service.max,
                "refill": service.refill,
                "cancel": service.cancel,
                "dripfeed": service.dripfeed,
                "description": service.description,
                "platform": platform_of(service.category),
                "average_minutes": service.average_minutes,
            }
            old = before.get(service.service_id)
            if old is None:
                added += 1
                new[service.service_id] = {"provider_service_id": service.service_id, **values}
            elif old.removed_at is not None or any(
                getattr(old, key) != value for key, value in values.items()
            ):
                changed += 1
                updated[old.id] = {"id": old.id, **values}
                seen.pop(old.id, None)
            elif old.id not in updated:
                seen[old.id] = None
        await self.catalog.insert_synced(provider.id, list(new.values()), now=now)
        await self.catalog.update_synced(list(updated.values()), now=now)
        await self.catalog.mark_seen(list(seen), now=now)
        removed = await self.catalog.mark_removed(provider.id, seen_before=now, now=now)
        skipped = services.skipped if isinstance(services, ServiceListing) else 0
        return SyncReport(
            added, changed, removed, len(services), unsupported, skipped, provider_id=provider.id
        )
