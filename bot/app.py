"""The application: what one bot process builds and holds (deps, dispatcher, jobs, bot),
its start-up (commands, catalogue, jobs) and its closing. How updates reach it is a
runner's business (bot/runners/)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channel import channel_problem
from bot.clock import Clock
from bot.commands import register_commands
from bot.config import Config, ConfigError
from bot.deps import Deps
from bot.factory import create_bot, create_deps, create_dispatcher, create_panels
from bot.fsm_storage import create_fsm_storage
from bot.health import Monitor
from bot.jobs import Jobs, create_jobs
from bot.jobs.catalog import sync_all
from bot.metrics import Metrics
from bot.middlewares.redis_throttling import RedisThrottlingMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.migrations import migrate as migrate_database
from bot.panels_setup import setup_panels
from bot.provider.client import ProviderClient
from bot.redis_client import close_redis, create_redis
from db.session import create_engine

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
ADMIN_JOBS_EVERY = 30  # seconds


def add_admin_jobs(jobs: Jobs, deps: Deps, dp: Dispatcher) -> None:
    """Broadcasts (feeding, progress messages, reports) and the daily report (shared
    state: the leader) and this process's error summary."""
    from bot.jobs import broadcasts
    from bot.jobs.daily_report import EVERY_SECONDS, send_daily_report
    from bot.jobs.error_alerts import flush_error_alerts

    # The composition root, like bot/factory.py: the progress message's view is a handler's.
    from handlers.admin.broadcast_progress import editor

    edit = editor(jobs.sender.bot, deps)
    jobs.add_periodic(
        "admin.broadcasts", broadcasts.EVERY, lambda: broadcasts.run_broadcasts(deps, edit)
    )
    jobs.add_periodic(
        "admin.error_summary",
        ADMIN_JOBS_EVERY,
        lambda: flush_error_alerts(deps, dp),
        leader_only=False,
    )
    if deps.settings.daily_report_hour is not None:
        jobs.add_periodic("admin.daily_report", EVERY_SECONDS, lambda: send_daily_report(deps))


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
        # Every panel's client (`provider`, when given, is `main`'s).
        panels = create_panels(settings, main=provider, observer=metrics.observe_panel)
        deps = create_deps(settings, engine=engine, clock=clock, panels=panels)
        bot = create_bot(settings, session=bot_session, pace=deps.pace)
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
        """Load every panel's catalogue (the same sync as /sync and the schedule); a
        panel that is down only delays its own, and an empty or unreadable list is not
        used."""
        await sync_all(self.deps)

    async def startup(self) -> None:
        me = await self.bot.get_me()
        log.info("bot @%s (id %s) starting", me.username, me.id)
        if self.settings.required_channel is not None:
            # Telegram answers getChatMember about customers only to an admin of the channel.
            problem = await channel_problem(self.bot, self.settings.required_channel)
            if problem is not None:
                raise ConfigError([problem])
        await register_commands(self.bot, self.deps.i18n, admin_ids=self.settings.admin_ids)
        await setup_panels(self.deps)  # rows by name; a panel answering garbage is left out
        await self.sync_catalog()
        if self.jobs is not None:
            await self.jobs.start()

    async def close(self) -> None:
        """Stop the jobs and close every connection (the runner has stopped its server)."""
        if self.jobs is not None:
            await self.jobs.stop()
        await self.deps.panels.close()
        await self.bot.session.close()
        await self.deps.close()
        await self.engine.dispose()
        await close_redis(self.redis)
