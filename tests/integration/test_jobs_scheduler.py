"""The jobs on one AsyncIOScheduler, started and stopped with the application."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import Application
from bot.clock import FakeClock
from bot.factory import create_bot
from bot.jobs import create_jobs
from bot.jobs.locks import LocalLock
from bot.outbox.sender import OutboxSender
from bot.outbox.writer import Outbox
from bot.provider.client import ProviderClient
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.recording import RecordingSession
from tests.integration.jobs_world import KEY, World, no_sleep, settings_for

pytestmark = pytest.mark.parametrize("db_kind", ["sqlite"])


async def test_jobs_start_with_one_scheduler_and_stop_cleanly(world: World) -> None:
    session = RecordingSession()
    bot = create_bot(world.deps.settings, session=session)
    sender = OutboxSender(world.deps, bot, idle=0.01, sleep=asyncio.sleep)
    jobs = create_jobs(world.deps, bot, sender=sender)
    assert isinstance(jobs.poller_lock, LocalLock) and isinstance(sender.lock, LocalLock)

    await jobs.start()
    try:
        scheduled = {job.id: job for job in jobs.scheduler.get_jobs()}
        assert set(scheduled) == {
            "orders.poll",
            "refills.poll",
            "panel.balance",
            "catalog.sync",
            "outbox.sender",
            "support.close_stale",
        }
        for job in scheduled.values():
            assert job.max_instances == 1
        for job_id in ("orders.poll", "refills.poll", "panel.balance", "catalog.sync"):
            assert scheduled[job_id].coalesce is True
        assert jobs.scheduler.running

        # The sender runs in the background and delivers what is queued.
        async with world.deps.session_factory() as s, s.begin():
            await Outbox.from_session(s, world.deps).to_chat(1001, "hello from the outbox")
        for _ in range(500):
            if session.methods(SendMessage):
                break
            await asyncio.sleep(0.01)
        assert [m.text for m in session.methods(SendMessage)] == ["hello from the outbox"]

        # A scheduled job's work, run now under the same lock.
        (order_id,) = await world.buy(1)
        world.sim.script(world.panel_id(await world.order(order_id)), "Completed")
        await jobs.run_now("orders.poll")
        assert (await world.order(order_id)).state.value == "completed"
    finally:
        await jobs.stop()
    assert not jobs.scheduler.running and not jobs.started
    assert not sender.lock.held  # type: ignore[union-attr]


async def test_a_replica_without_the_lock_does_not_poll(world: World) -> None:
    bot = create_bot(world.deps.settings, session=RecordingSession())
    leader, follower = create_jobs(world.deps, bot), create_jobs(world.deps, bot)
    shared: dict[str, object] = {}
    leader.poller_lock = LocalLock("poller", shared)
    follower.poller_lock = LocalLock("poller", shared)
    ran: list[str] = []

    async def work() -> None:
        ran.append("x")

    await leader._guarded("orders.poll", work)
    await follower._guarded("orders.poll", work)
    assert ran == ["x"]
    await leader.poller_lock.release()
    await follower._guarded("orders.poll", work)
    assert ran == ["x", "x"]


async def test_the_application_starts_the_jobs_after_the_catalogue_and_stops_them(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    clock = FakeClock()
    sim = ProviderSimulator(key=KEY, clock=clock, balance=Decimal("1000"))
    url = await sim.start()
    provider = ProviderClient(url, KEY, timeout=5, retries=0, sleep=no_sleep)
    settings = settings_for(url, database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}")
    app: Any = None
    try:
        app = await Application.create(
            settings, bot_session=RecordingSession(), provider=provider, clock=clock
        )
        assert app.jobs is not None and not app.jobs.started
        await app.startup()
        assert app.jobs.started and app.jobs.scheduler.running
        assert sim.calls["services"] == 1  # the catalogue was synced first
    finally:
        if app is not None:
            await app.close()
        await sim.stop()
    assert app is not None and not app.jobs.started
