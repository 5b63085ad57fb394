"""Broadcast audiences by language: reachable customers (not banned, not known to have
blocked the bot) with the language Telegram gave us."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import User
from db.repositories.base import Repo

_REACHABLE = (User.banned.is_(False), User.unreachable_since.is_(None))


class AudienceRepo(Repo):
    async def languages(self) -> dict[str | None, int]:
        """Reachable customers by their language as stored (None: unknown)."""
        stmt = select(User.language, func.count()).where(*_REACHABLE).group_by(User.language)
        return {language: int(n) for language, n in await self.session.execute(stmt)}

    async def page(self, *, after_id: int, limit: int) -> list[tuple[int, int, str | None]]:
        """(id, telegram id, language) of reachable customers above `after_id`, by id."""
        stmt = (
            select(User.id, User.telegram_id, User.language)
            .where(User.id > after_id, *_REACHABLE)
            .order_by(User.id)
            .limit(limit)
        )
        return [(row[0], row[1], row[2]) for row in await self.session.execute(stmt)]
