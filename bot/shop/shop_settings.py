"""Switches an admin changes at run time, kept in the settings table."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from db.repositories.settings import SettingsRepo

MAINTENANCE = "maintenance"


class ShopSettings:
    def __init__(self, repo: SettingsRepo, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    @classmethod
    def from_session(cls, session: AsyncSession, clock: Clock) -> ShopSettings:
        return cls(SettingsRepo(session), clock)

    async def maintenance(self) -> bool:
        return await self.repo.get_bool(MAINTENANCE)

    async def set_maintenance(self, on: bool) -> None:
        await self.repo.set_bool(MAINTENANCE, on, now=self.clock.now())
