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
