"""Key/value settings changed at run time (maintenance mode and the like)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from db.models import Setting
from db.read_cache import kept
from db.repositories.base import Repo

_TRUE = frozenset({"1", "true", "yes", "on"})


class SettingsRepo(Repo):
    async def get(self, key: str, default: str | None = None) -> str | None:
        # Read on every update (maintenance, the panels' holds, renames): kept per process
        # while the table is unchanged; a writing use case reads the row itself.
        value = await kept(self.session, ("settings",), ("settings", key), lambda: self._get(key))
        return default if value is None else value

    async def _get(self, key: str) -> str | None:
        return await self.session.scalar(select(Setting.value).where(Setting.key == key))

    async def set(self, key: str, value: str, *, now: datetime) -> None:
        stmt = (
            self.insert_stmt(Setting)
            .values(key=key, value=value, updated_at=now)
            .on_conflict_do_update(
                index_elements=[Setting.key], set_={"value": value, "updated_at": now}
            )
        )
        await self.session.execute(stmt)

    async def delete(self, key: str) -> bool:
        result = await self.session.execute(delete(Setting).where(Setting.key == key))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def all(self) -> dict[str, str]:
        rows = await self.session.execute(select(Setting.key, Setting.value).order_by(Setting.key))
        return {key: value for key, value in rows}

    async def get_bool(self, key: str, default: bool = False) -> bool:
        value = await self.get(key)
        return default if value is None else value.strip().lower() in _TRUE

    async def set_bool(self, key: str, value: bool, *, now: datetime) -> None:
        await self.set(key, "1" if value else "0", now=now)
