"""The running application: start-up (migrations, commands, catalogue), polling, shutdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.commands import register_commands
from bot.config import Config
from bot.deps import Deps
from bot.factory import create_bot, create_deps, create_dispatcher, create_provider
from bot.health import Monitor
from bot.jobs import Jobs, create_jobs
from bot.jobs.catalog import scheduled_sync
from bot.metrics import Metrics
from bot.middlewares.redis_throttling import RedisThrottlingMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.provider.client import ProviderClient
from bot.storage import close_redis, create_fsm_storage, create_redis
from bot.storage import migrate as migrate_database
from db.session import create_engine

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.web import WebServer

log = logging.getLogger(__name__)
ADMIN_JOBS_EVERY = 30  # seconds


def add_admin_jobs(jobs: Jobs, deps: Deps, dp: Dispatcher) -> None:
    """Broadcast reports (shared state: the leader) and this process's error summary."""
    from handlers.admin_alerts import flush_error_alerts
    from handlers.admin_broadcast import report_finished_broadcasts

    jobs.add_periodic(
        "admin.broadcast_reports", ADMIN_JOBS_EVERY, lambda: report_finished_broadcasts(deps)
    )
    jobs.add_periodic(
        "admin.error_summary",
        ADMIN_JOBS_EVERY,
        lambda: flush_error_alerts(deps, dp),
        leader_only=False,
    )


PROVIDER_NAME = "main"


@dataclass
class Application:
    settings: Config
    engine: AsyncEngine
    deps: Deps
    bot: Bot
    dp: Dispatcher
    jobs: Jobs | None = None  # background jobs: started by startup(), stopped by close()
    metrics: Metrics = field(default_factory=Metrics)  # GET /metrics (bot/web.py)
    redis: Redis | None = None  # REDIS_URL: FSM, event isolation, shared throttle
    web: WebServer | None = None  # the HTTP server (webhook, /healthz, /metrics) once started
    monitor: Monitor = field(init=False)  # what /healthz and /metrics read

    def __post_init__(self) -> None:
        self.monitor = Monitor(
            self.settings,
            self.engine,
            self.deps.clock,
            self.metrics,
            redis=self.redis,
            jobs=self.jobs,
        )

    @classmethod
    async def create(
        cls,
        settings: Config,
        *,
        bot_session: BaseSession | None = None,
        provider: ProviderClient | None = None,
        clock: Clock | None = None,
        migrate: bool = True,
        throttling: ThrottlingMiddleware | None = None,
        jobs: bool = True,
    ) -> Application:
        if migrate:
            # On PostgreSQL replicas starting together take turns (an advisory lock).
            await migrate_database(settings.database_url)
        engine = create_engine(settings.database_url)
        metrics = Metrics()
        if provider is None:
            provider = create_provider(settings, observer=metrics.observe_panel)
        deps = create_deps(settings, engine=engine, provider=provider, clock=clock)
        bot = create_bot(settings, session=bot_session)
        # REDIS_URL: FSM in Redis, one update per customer at a time across replicas, and
        # the per-customer throttle shared by all of them.
        redis = create_redis(settings.redis_url) if settings.redis_url else None
        storage, isolation = create_fsm_storage(settings, redis)
        if throttling is None and redis is not None:
            throttling = RedisThrottlingMiddleware(
                deps.i18n,
                redis,
                rate=settings.throttle_rate_per_second,
                burst=settings.throttle_burst,
            )
        dp = create_dispatcher(
            deps,
            storage=storage,
            events_isolation=isolation,
            throttling=throttling,
            metrics=metrics,
        )
        background = create_jobs(deps, bot, engine=engine) if jobs else None
        if background is not None:
            add_admin_jobs(background, deps, dp)
        return cls(settings, engine, deps, bot, dp, background, metrics=metrics, redis=redis)

    async def sync_catalog(self) -> None:
        """Load the panel's catalogue (the same sync as /sync and the schedule); a panel
        that is down only delays it, and an empty or unreadable list is not used."""
        await scheduled_sync(self.deps)

    async def startup(self) -> None:
        me = await self.bot.get_me()
        log.info("bot @%s (id %s) starting", me.username, me.id)
        await register_commands(self.bot, self.deps.i18n, admin_ids=self.settings.admin_ids)
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

    async def run(self) -> None:
        """`python -m bot run`: webhook mode when WEBHOOK_URL is set (bot/webhook.py), else
        polling, with /healthz and /metrics on METRICS_PORT (0: no server)."""
        if self.settings.webhook_url:
            from bot.webhook import serve_webhook

            await serve_webhook(self)
            return
        try:
            if self.settings.metrics_port:
                from bot.web import WebServer, create_web_app

                self.web = WebServer(
                    create_web_app(self.monitor),
                    self.settings.webhook_host,
                    self.settings.metrics_port,
                )
                await self.web.start()
            # A webhook left from webhook mode would make getUpdates fail with 409.
            await self.bot.delete_webhook(drop_pending_updates=False)
        except BaseException:
            await self.close()
            raise
        await self.run_polling()

    async def close(self) -> None:
        if self.web is not None:
            web, self.web = self.web, None
            await web.stop()
        if self.jobs is not None:
            await self.jobs.stop()
        await self.deps.provider.close()
        await self.bot.session.close()
        await self.deps.close()
        await self.engine.dispose()
        await close_redis(self.redis)
