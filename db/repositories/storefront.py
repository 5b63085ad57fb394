"""What customers browse: the visible, orderable part of the catalogue."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ServiceRow
from db.repositories.base import Repo


class StorefrontRepo(Repo):
    """Only services that are listed by the panel, not hidden, and of a type we can order."""

    def __init__(self, session: AsyncSession, types: Collection[str]) -> None:
        super().__init__(session)
        self.types = tuple(types)

    def _visible(self) -> list[ColumnElement[bool]]:
        return [
            ServiceRow.removed_at.is_(None),
            ServiceRow.hidden.is_(False),
            ServiceRow.type.in_(self.types),
        ]

    async def platforms(self) -> list[tuple[str, int]]:
        stmt = (
            select(ServiceRow.platform, func.count())
            .where(*self._visible())
            .group_by(ServiceRow.platform)
        )
        return [
            (platform or "Other", count) for platform, count in await self.session.execute(stmt)
        ]

    async def platform_counts(self) -> list[tuple[str, int, int]]:
        """(platform as derived, categories, services) of every platform."""
        stmt = (
            select(ServiceRow.platform, func.count(ServiceRow.category.distinct()), func.count())
            .where(*self._visible())
            .group_by(ServiceRow.platform)
        )
        return [(p or "Other", c, n) for p, c, n in await self.session.execute(stmt)]

    async def categories(self, platforms: Collection[str]) -> list[tuple[str, int]]:
        """Categories of the platforms (as derived) with their service counts, by name."""
        on: ColumnElement[bool] = ServiceRow.platform.in_(list(platforms))
        if "Other" in platforms:  # rows from before platforms were derived
            on = or_(on, ServiceRow.platform.is_(None))
        stmt = (
            select(ServiceRow.category, func.count())
            .where(on, *self._visible())
            .group_by(ServiceRow.category)
            .order_by(ServiceRow.category)
        )
        return [(category, count) for category, count in await self.session.execute(stmt)]

    async def count_in_category(self, category: str) -> int:
        stmt = select(func.count()).where(ServiceRow.category == category, *self._visible())
        return await self.session.scalar(stmt) or 0

    async def in_category(self, category: str, *, limit: int, offset: int) -> list[ServiceRow]:
        stmt = (
            select(ServiceRow)
            .where(ServiceRow.category == category, *self._visible())
            .order_by(ServiceRow.rate, ServiceRow.id)
            .limit(limit)
            .offset(offset)
        )
        return list(await self.session.scalars(stmt))

    async def visible(self, service_id: int) -> ServiceRow | None:
        stmt = select(ServiceRow).where(ServiceRow.id == service_id, *self._visible())
        return await self.session.scalar(stmt)

    async def search_index(self) -> list[tuple[int, str, str, str | None]]:
        """(id, name, category, platform) of every visible service, in the catalogue's
        order within a platform (category, price, id): what search reads, and no more."""
        stmt = (
            select(ServiceRow.id, ServiceRow.name, ServiceRow.category, ServiceRow.platform)
            .where(*self._visible())
            .order_by(ServiceRow.category, ServiceRow.rate, ServiceRow.id)
        )
        return [(i, n, c, p) for i, n, c, p in await self.session.execute(stmt)]

    async def by_ids(self, ids: Collection[int]) -> list[ServiceRow]:
        """The visible services among `ids` (in no particular order)."""
        if not ids:
            return []
        stmt = select(ServiceRow).where(ServiceRow.id.in_(list(ids)), *self._visible())
        return list(await self.session.scalars(stmt))

    async def for_provider(self, provider_id: int) -> list[ServiceRow]:
        stmt = select(ServiceRow).where(ServiceRow.provider_id == provider_id)
        return list(await self.session.scalars(stmt))
