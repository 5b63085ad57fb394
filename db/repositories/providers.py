"""The SMM panels the shop buys from (their API keys stay in the environment)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update

from db.models import Provider
from db.repositories.base import Repo


class ProviderRepo(Repo):
    async def get(self, provider_id: int) -> Provider | None:
        return await self.session.get(Provider, provider_id)

    async def by_name(self, name: str) -> Provider | None:
        return await self.session.scalar(select(Provider).where(Provider.name == name))

    async def ensure(self, name: str, url: str, *, now: datetime) -> Provider:
        """The provider called `name`, created if missing; its URL follows the configuration."""
        stmt = (
            self.insert_stmt(Provider)
            .values(name=name, url=url, enabled=True, created_at=now)
            .on_conflict_do_nothing(index_elements=[Provider.name])
        )
        await self.session.execute(stmt)
        provider = await self.by_name(name)
        assert provider is not None
        if url and provider.url != url:
            provider.url = url
            await self.session.flush()
        return provider

    async def enable_only(self, names: Collection[str]) -> None:
        """The configured panels are enabled, every other row (a panel no longer in the
        configuration) disabled: its services leave the storefront."""
        await self.session.execute(update(Provider).values(enabled=Provider.name.in_(list(names))))

    async def all(self) -> list[Provider]:
        return list(await self.session.scalars(select(Provider).order_by(Provider.id)))

    async def set_balance(
        self, provider_id: int, balance: int, currency: str, *, now: datetime
    ) -> None:
        await self.session.execute(
            update(Provider)
            .where(Provider.id == provider_id)
            .values(balance=balance, currency=currency, balance_checked_at=now)
        )
