"""The background jobs on one APScheduler AsyncIOScheduler, started and stopped with the
bot (bot/app.py).

| job            | every                       | lock     |
|----------------|-----------------------------|----------|
| orders.poll    | POLL_INTERVAL_SECONDS       | `poller` |
| refills.poll   | POLL_INTERVAL_SECONDS       | `poller` |
| panel.balance  | 1 minute (panel: 10 min)    | `poller` |
| catalog.sync   | CATALOG_SYNC_MINUTES        | `poller` |
| outbox.sender  | runs until stopped          | `sender` |

The first four are `main`'s; every other panel has its own four, named with a suffix
(`orders.poll.backup`, ...).

Every job has max_instances=1 and coalesce=True and opens its own database session per
batch. A scheduled job does its work only while this replica holds the `poller` lock;
the sender sends only while it holds the `sender` lock (bot/jobs/locks.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.deps import Deps
from bot.jobs.balance import BalanceWatch
from bot.jobs.catalog import scheduled_sync
from bot.jobs.locks import LeaderLock, create_lock
from bot.jobs.orders import StatusPoller
from bot.jobs.refills import RefillPoller
from bot.jobs.tickets import EVERY_SECONDS as TICKETS_EVERY
from bot.jobs.tickets import close_stale_tickets
from bot.outbox.sender import OutboxSender
from bot.provider.panels import MAIN_PANEL

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 60}
BALANCE_EVERY = timedelta(seconds=60)


def panel_job(job: str, panel: str) -> str:
    """A panel's own job: `main`'s keeps the one-panel id (`orders.poll`), another's
    carries its name (`orders.poll.backup`)."""
    return job if panel == MAIN_PANEL else f"{job}.{panel}"


def quiet_scheduler_logs() -> None:
    """APScheduler logs every run of every job at INFO ("Running job", "executed
    successfully", "Added job": hundreds of lines an hour): shown with LOG_LEVEL=DEBUG
    only. Its warnings (a missed run, a job still running) and errors always show."""
    scheduler_log = logging.getLogger("apscheduler")
    debugging = logging.getLogger().isEnabledFor(logging.DEBUG)
    scheduler_log.setLevel(logging.NOTSET if debugging else logging.WARNING)


def create_scheduler() -> AsyncIOScheduler:
    quiet_scheduler_logs()
    return AsyncIOScheduler(timezone=UTC, job_defaults=dict(JOB_DEFAULTS))


class Jobs:
    def __init__(
        self,
        deps: Deps,
        *,
        scheduler: AsyncIOScheduler,
        poller_lock: LeaderLock,
        sender: OutboxSender,
        poller: StatusPoller,
        refills: RefillPoller,
        balance: BalanceWatch,
    ) -> None:
        self.deps = deps
        self.scheduler = scheduler
        self.poller_lock = poller_lock
        self.sender = sender
        self.poller = poller
        self.refills = refills
        self.balance = balance
        # Each panel's own status poller, refill poller and balance watch (`main`'s are the
        # ones above): one panel's outage never holds the others' jobs up.
        self.pollers: dict[str, StatusPoller] = {MAIN_PANEL: poller}
        self.refill_pollers: dict[str, RefillPoller] = {MAIN_PANEL: refills}
        self.balances: dict[str, BalanceWatch] = {MAIN_PANEL: balance}
        for name in deps.panels.names:
            if name != MAIN_PANEL:
                self.pollers[name] = StatusPoller(deps, panel=name)
                self.refill_pollers[name] = RefillPoller(deps, panel=name)
                self.balances[name] = BalanceWatch(deps, provider_name=name)
        self._running: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._started = False
        self._periodic: list[tuple[str, float, Callable[[], Awaitable[Any]], bool]] = []

    def add_periodic(
        self,
        job_id: str,
        seconds: float,
        work: Callable[[], Awaitable[Any]],
        *,
        leader_only: bool = True,
    ) -> None:
        """One more periodic job (before start): under the poller lock when it acts on the
        shop's shared state, in every replica when it concerns this process only."""
        self._periodic.append((job_id, seconds, work, leader_only))

    @property
    def started(self) -> bool:
        return self._started

    def _add_jobs(self) -> None:
        settings = self.deps.settings
        now = datetime.now(UTC)
        poll = settings.poll_interval_seconds
        add = self.scheduler.add_job

        def every_panel(
            kind: str,
            work: Mapping[str, Callable[[], Awaitable[Any]]],
            seconds: float,
            first: float | None,
        ) -> None:
            """One leader-only job per panel, e.g. `orders.poll` for main, `orders.poll.backup`."""
            for name, run in work.items():
                job_id = panel_job(kind, name)
                start = {} if first is None else {"next_run_time": now + timedelta(seconds=first)}
                add(
                    self._guarded,
                    "interval",
                    seconds=seconds,
                    args=[job_id, run],
                    id=job_id,
                    replace_existing=True,
                    **start,
                    **JOB_DEFAULTS,
                )

        every_panel("orders.poll", {n: p.run_cycle for n, p in self.pollers.items()}, poll, 1)
        every_panel(
            "refills.poll",
            {n: r.run_cycle for n, r in self.refill_pollers.items()},
            poll,
            min(poll // 2, 20),
        )
        every_panel(
            "panel.balance",
            {n: b.run for n, b in self.balances.items()},
            BALANCE_EVERY.total_seconds(),
            2,
        )
        # Each panel's catalogue on its own schedule.
        every_panel(
            "catalog.sync",
            {n: partial(scheduled_sync, self.deps, n) for n in self.deps.panels.names},
            settings.catalog_sync_minutes * 60,
            None,
        )
        for job_id, seconds, work, leader_only in self._periodic:
            add(
                self._guarded if leader_only else self._local,
                "interval",
                seconds=seconds,
                args=[job_id, work],
                id=job_id,
                replace_existing=True,
                **JOB_DEFAULTS,
            )
        add(
            self._run_sender,
            "date",
            run_date=now,
            id="outbox.sender",
            replace_existing=True,
            max_instances=1,
            misfire_grace_time=None,
        )

    async def start(self) -> None:
        if self._started:
            return
        self._stopping = False
        self._add_jobs()
        self.scheduler.start()
        self._started = True
        log.info("background jobs started: %s", ", ".join(j.id for j in self.scheduler.get_jobs()))

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop taking new runs, let the running ones finish (up to `timeout`), then shut
        the scheduler down and give the locks up."""
        if not self._started:
            return
        self._stopping = True
        await self.sender.stop()
        if self.scheduler.running:
            self.scheduler.pause()
        running = [task for task in self._running if not task.done()]
        if running:
            _done, pending = await asyncio.wait(running, timeout=timeout)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        for lock in (self.poller_lock, self.sender.lock):
            if lock is not None:
                with contextlib.suppress(Exception):
                    await lock.close()
        self._started = False
        log.info("background jobs stopped")

    async def run_now(self, job_id: str) -> None:
        """Run a scheduled job's work once now, under the same lock (admins, tests)."""
        job = self.scheduler.get_job(job_id)
        if job is None:
            raise LookupError(job_id)
        await job.func(*job.args)

    async def _guarded(self, name: str, work: Callable[[], Awaitable[Any]]) -> Any:
        if self._stopping:
            return None
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            if not await self.poller_lock.acquire():
                log.debug("job %s: another replica is the leader", name)
                return None
            return await work()
        except Exception:
            log.exception("job %s failed", name)
            return None
        finally:
            if task is not None:
                self._running.discard(task)

    async def _local(self, name: str, work: Callable[[], Awaitable[Any]]) -> Any:
        if self._stopping:
            return None
        try:
            return await work()
        except Exception:
            log.exception("job %s failed", name)
            return None

    async def _run_sender(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await self.sender.run()
        except Exception:
            log.exception("outbox sender stopped by an error")
        finally:
            if task is not None:
                self._running.discard(task)


def create_jobs(
    deps: Deps,
    bot: Bot,
    *,
    engine: AsyncEngine | None = None,
    scheduler: AsyncIOScheduler | None = None,
    sender: OutboxSender | None = None,
) -> Jobs:
    """The bot's jobs with the locks that fit the deployment (see bot/jobs/locks.py)."""
    settings = deps.settings
    if engine is None:
        bind = deps.session_factory.kw.get("bind")
        engine = bind if isinstance(bind, AsyncEngine) else None
    registry: dict[str, object] = {}

    # Shops sharing one Redis or PostgreSQL server each elect their own leader: the bot id
    # (the token's first part, never the secret) names the shop's locks.
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    namespace = f"bot{token.split(':', 1)[0]}" if token else None

    def lock(name: str) -> LeaderLock:
        return create_lock(
            name,
            engine=engine,
            redis_url=settings.redis_url,
            registry=registry,
            namespace=namespace,
        )

    if sender is None:
        sender = OutboxSender(deps, bot, lock=lock("sender"), pace=deps.pace)
    elif sender.lock is None:
        sender.lock = lock("sender")
    jobs = Jobs(
        deps,
        scheduler=scheduler or create_scheduler(),
        poller_lock=lock("poller"),
        sender=sender,
        poller=StatusPoller(deps),
        refills=RefillPoller(deps),
        balance=BalanceWatch(deps),
    )
    # Support tickets left answered for 72 h close by themselves (shared state: the leader).
    jobs.add_periodic("support.close_stale", TICKETS_EVERY, lambda: close_stale_tickets(deps, bot))
    return jobs


__all__ = ["JOB_DEFAULTS", "Jobs", "create_jobs", "create_scheduler"]
