"""What customers browse: the visible, orderable part of the catalogue."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Provider, ServiceRow
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
            # A panel no longer configured takes no orders: its services are not shown.
            ServiceRow.provider_id.in_(select(Provider.id).where(Provider.enabled.is_(True))),
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

    async def categories(self, platform: str) -> list[tuple[str, int]]:
        stmt = (
            select(ServiceRow.category, func.count())
            .where(ServiceRow.platform == platform, *self._visible())
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

    async def search(self, words: list[str], *, limit: int) -> list[ServiceRow]:
        """Services whose name or category holds every word (case-insensitive)."""
        criteria = [
            or_(
                func.lower(ServiceRow.name).contains(word.lower(), autoescape=True),
                func.lower(ServiceRow.category).contains(word.lower(), autoescape=True),
            )
            for word in words
        ]
        stmt = (
            select(ServiceRow)
            .where(*self._visible(), *criteria)
            .order_by(ServiceRow.platform, ServiceRow.category, ServiceRow.rate)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))

    async def for_provider(self, provider_id: int) -> list[ServiceRow]:
        stmt = select(ServiceRow).where(ServiceRow.provider_id == provider_id)
        return list(await self.session.scalars(stmt))
