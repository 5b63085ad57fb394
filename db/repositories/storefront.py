"""What customers browse: the visible, orderable part of the catalogue."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CatalogService
from db.repositories.base import Repo


class StorefrontRepo(Repo):
    """Only services that are listed by the panel, not hidden, and of a type we can order."""

    def __init__(self, session: AsyncSession, types: Collection[str]) -> None:
        super().__init__(session)
        self.types = tuple(types)

    def _visible(self) -> list[ColumnElement[bool]]:
        return [
            CatalogService.removed_at.is_(None),
            CatalogService.hidden.is_(False),
            CatalogService.type.in_(self.types),
        ]

    async def platforms(self) -> list[tuple[str, int]]:
        stmt = (
            select(CatalogService.platform, func.count())
            .where(*self._visible())
            .group_by(CatalogService.platform)
        )
        return [
            (platform or "Other", count) for platform, count in await self.session.execute(stmt)
        ]

    async def categories(self, platform: str) -> list[tuple[str, int]]:
        stmt = (
            select(CatalogService.category, func.count())
            .where(CatalogService.platform == platform, *self._visible())
            .group_by(CatalogService.category)
            .order_by(CatalogService.category)
        )
        return [(category, count) for category, count in await self.session.execute(stmt)]

    async def count_in_category(self, category: str) -> int:
        stmt = select(func.count()).where(CatalogService.category == category, *self._visible())
        return await self.session.scalar(stmt) or 0

    async def in_category(self, category: str, *, limit: int, offset: int) -> list[CatalogService]:
        stmt = (
            select(CatalogService)
            .where(CatalogService.category == category, *self._visible())
            .order_by(CatalogService.rate, CatalogService.id)
            .limit(limit)
            .offset(offset)
        )
        return list(await self.session.scalars(stmt))

    async def visible(self, service_id: int) -> CatalogService | None:
        stmt = select(CatalogService).where(CatalogService.id == service_id, *self._visible())
        return await self.session.scalar(stmt)

    async def search(self, words: list[str], *, limit: int) -> list[CatalogService]:
        """Services whose name or category holds every word (case-insensitive)."""
        criteria = [
            or_(
                func.lower(CatalogService.name).contains(word.lower(), autoescape=True),
                func.lower(CatalogService.category).contains(word.lower(), autoescape=True),
            )
            for word in words
        ]
        stmt = (
            select(CatalogService)
            .where(*self._visible(), *criteria)
            .order_by(CatalogService.platform, CatalogService.category, CatalogService.rate)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))

    async def for_provider(self, provider_id: int) -> list[CatalogService]:
        stmt = select(CatalogService).where(CatalogService.provider_id == provider_id)
        return list(await self.session.scalars(stmt))
