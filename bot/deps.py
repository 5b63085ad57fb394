"""What handlers, middlewares and jobs share; built once by bot/factory.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Config
from bot.i18n import Catalogues
from bot.outbox.pacer import SendPace
from bot.provider.client import ProviderClient
from bot.provider.panels import PanelRegistry
from bot.shop.pricing import PricingConfig


@dataclass(frozen=True, slots=True)
class Deps:
    settings: Config
    session_factory: async_sessionmaker[AsyncSession]
    provider: ProviderClient  # the `main` panel's client
    clock: Clock
    i18n: Catalogues
    panels: PanelRegistry  # every panel by name, `main` among them
    # Telegram's send budgets of this process, shared by replies and the outbox sender.
    pace: SendPace
    # SQLite: the engine of reading use cases (db/session.py), owned by these deps.
    reader: AsyncEngine | None = None

    async def close(self) -> None:
        """Dispose of what the deps own (the reader engine; the writer is the caller's)."""
        if self.reader is not None:
            await self.reader.dispose()

    @property
    def pricing(self) -> PricingConfig:
        return PricingConfig(
            currency=self.settings.shop_currency,
            currency_rate=self.settings.currency_rate,
            default_markup=self.settings.markup_percent,
            panel_rates=self.panels.rates_by_id(),
        )
