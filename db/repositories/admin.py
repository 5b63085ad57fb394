"""Queries only the admin tools need: catalogue lookups, a sample service for /markup,
broadcast records (settings rows) and their progress (outbox rows)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import exists, func, select

from bot.shop.enums import MarkupScope
from db.models import Markup, ServiceRow, Setting
from db.repositories.base import Repo


class AdminRepo(Repo):
    async def categories_named(self, name: str) -> list[str]:
        """Catalogue categories equal to `name` ignoring case (listed ones, hidden or not)."""
        stmt = (
            select(ServiceRow.category)
            .where(
                func.lower(ServiceRow.category) == name.strip().lower(),
                ServiceRow.removed_at.is_(None),
            )
            .group_by(ServiceRow.category)
            .order_by(ServiceRow.category)
        )
        return list(await self.session.scalars(stmt))

    async def count_in_category(self, category: str) -> int:
        stmt = select(func.count()).where(
            ServiceRow.category == category, ServiceRow.removed_at.is_(None)
        )
        return await self.session.scalar(stmt) or 0

    async def count_markups(self, scope: MarkupScope) -> int:
        stmt = select(func.count()).select_from(Markup).where(Markup.scope == scope)
        return await self.session.scalar(stmt) or 0

    async def sample_service(
        self, types: Collection[str], *, category: str | None = None
    ) -> ServiceRow | None:
        """A visible service whose price follows the markup just set: in `category` without
        a service markup or an own price; with no category, one that the global markup
        governs (its category has no markup either)."""
        own_markup = exists().where(Markup.service_id == ServiceRow.id)
        criteria = [
            ServiceRow.removed_at.is_(None),
            ServiceRow.hidden.is_(False),
            ServiceRow.type.in_(tuple(types)),
            ServiceRow.price_override.is_(None),
            ~own_markup,
        ]
        if category is not None:
            criteria.append(ServiceRow.category == category)
        else:
            category_markup = exists().where(
                Markup.scope == MarkupScope.CATEGORY, Markup.category == ServiceRow.category
            )
            criteria.append(~category_markup)
        stmt = select(ServiceRow).where(*criteria).order_by(ServiceRow.id).limit(1)
        return await self.session.scalar(stmt)

    # --- one-off claims (money confirmations) ---------------------------------

    async def claim_setting(self, key: str, value: str, *, now: datetime) -> bool:
        """Insert the setting unless it exists; False when it did. Concurrent claims of
        one key: the first wins, the others wait for it and then get False."""
        stmt = (
            self.insert_stmt(Setting)
            .values(key=key, value=value, updated_at=now)
            .on_conflict_do_nothing(index_elements=[Setting.key])
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]
