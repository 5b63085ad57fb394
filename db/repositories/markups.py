"""Markups by scope: one global, one per category, one per service."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from bot.shop.enums import MarkupScope
from db.models import Markup
from db.repositories.base import Repo


def markup_key(
    scope: MarkupScope, *, category: str | None = None, service_id: int | None = None
) -> str:
    """The row's unique key: NULLs are never equal in a UNIQUE index, strings are."""
    if scope is MarkupScope.GLOBAL:
        return "global"
    if scope is MarkupScope.CATEGORY:
        if category is None:
            raise ValueError("a category markup needs a category")
        return f"category:{category}"
    if service_id is None:
        raise ValueError("a service markup needs a service id")
    return f"service:{service_id}"


class MarkupRepo(Repo):
    async def set(
        self,
        scope: MarkupScope,
        percent: int,
        *,
        now: datetime,
        category: str | None = None,
        service_id: int | None = None,
        actor_id: int | None = None,
    ) -> None:
        """Set (or replace) a markup; `percent` in micro-units of a percent."""
        key = markup_key(scope, category=category, service_id=service_id)
        stmt = (
            self.insert_stmt(Markup)
            .values(
                key=key,
                scope=scope,
                category=category if scope is MarkupScope.CATEGORY else None,
                service_id=service_id if scope is MarkupScope.SERVICE else None,
                percent=percent,
                actor_id=actor_id,
                updated_at=now,
            )
            .on_conflict_do_update(
                index_elements=[Markup.key],
                set_={"percent": percent, "actor_id": actor_id, "updated_at": now},
            )
        )
        await self.session.execute(stmt)

    async def clear(
        self, scope: MarkupScope, *, category: str | None = None, service_id: int | None = None
    ) -> bool:
        key = markup_key(scope, category=category, service_id=service_id)
        result = await self.session.execute(delete(Markup).where(Markup.key == key))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def lookup(
        self, *, service_id: int, category: str
    ) -> tuple[int | None, int | None, int | None]:
        """(service, category, global) markups that exist, micro-percent, in one query."""
        keys = {
            markup_key(MarkupScope.SERVICE, service_id=service_id): 0,
            markup_key(MarkupScope.CATEGORY, category=category): 1,
            markup_key(MarkupScope.GLOBAL): 2,
        }
        found: list[int | None] = [None, None, None]
        rows = await self.session.execute(
            select(Markup.key, Markup.percent).where(Markup.key.in_(keys))
        )
        for key, percent in rows:
            found[keys[key]] = percent
        return found[0], found[1], found[2]

    async def all(self) -> list[Markup]:
        return list(await self.session.scalars(select(Markup).order_by(Markup.scope, Markup.key)))
