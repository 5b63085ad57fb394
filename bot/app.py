"""The running application: start-up (migrations, commands, catalogue), polling, shutdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.commands import register_commands
from bot.config import Settings
from bot.deps import Deps
from bot.factory import create_bot, create_deps, create_dispatcher
from bot.jobs import Jobs, create_jobs
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.provider.client import ProviderClient
from bot.provider.errors import ProviderFailure
from bot.shop.services import Shop
from db.migrate import upgrade
from db.session import create_engine

log = logging.getLogger(__name__)
PROVIDER_NAME = "main"


@dataclass
class Application:
    settings: Settings
    engine: AsyncEngine
    deps: Deps
    bot: Bot
    dp: Dispatcher
    jobs: Jobs | None = None  # background jobs: started by startup(), stopped by close()

    @classmethod
    async def create(
        cls,
        settings: Settings,
        *,
        bot_session: BaseSession | None = None,
        provider: ProviderClient | None = None,
        clock: Clock | None = None,
        migrate: bool = True,
        throttling: ThrottlingMiddleware | None = None,
        jobs: bool = True,
    ) -> Application:
        if migrate:
            await upgrade(settings.database_url)
        engine = create_engine(settings.database_url)
        deps = create_deps(settings, engine=engine, provider=provider, clock=clock)
        bot = create_bot(settings, session=bot_session)
        dp = create_dispatcher(deps, throttling=throttling)
        background = create_jobs(deps, bot, engine=engine) if jobs else None
        return cls(settings, engine, deps, bot, dp, background)

    async def sync_catalog(self) -> None:
        """Load the panel's catalogue; a panel that is down only delays it."""
        try:
            services = await self.deps.provider.services()
        except ProviderFailure as exc:
            log.warning("catalogue not synced: %s", exc)
            return
        async with self.deps.session_factory() as session, session.begin():
            report = await Shop(session, self.deps).catalog.sync(
                PROVIDER_NAME, self.settings.provider_url or "", services
            )
        log.info(
            "catalogue synced: %s services, %s new, %s changed, %s removed",
            report.total,
            report.added,
            report.changed,
            report.removed,
        )

    async def startup(self) -> None:
        me = await self.bot.get_me()
        log.info("bot @%s (id %s) starting", me.username, me.id)
        await register_commands(self.bot, self.deps.i18n)
        await self.sync_catalog()
        if self.jobs is not None:
            await self.jobs.start()

    async def run_polling(self) -> None:
        await self.startup()
        try:
            # aiogram stops polling gracefully on SIGINT and SIGTERM.
            await self.dp.start_polling(self.bot, close_bot_session=False)
        finally:
            await self.close()

    async def close(self) -> None:
        if self.jobs is not None:
            await self.jobs.stop()
        await self.deps.provider.close()
        await self.bot.session.close()
        await self.engine.dispose()
