"""GET /metrics with real figures, on SQLite and PostgreSQL: updates by type and their
latency, panel calls by action, orders by state read at scrape time, the outbox sender's
counters, the last poll's age and who leads."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.types import Chat, Message, Update, User
from aiohttp.test_utils import TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.factory import create_dispatcher
from bot.health import Monitor
from bot.i18n import create_i18n
from bot.jobs import Jobs, create_jobs
from bot.metrics import Metrics
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.provider.client import ProviderClient
from bot.sandbox.recording import RecordingSession
from bot.web import create_web_app
from tests.e2e.live import metric
from tests.integration.jobs_world import ALICE_TG, KEY, World, no_sleep


@dataclasses.dataclass
class Observed:
    world: World
    metrics: Metrics
    jobs: Jobs
    monitor: Monitor
    bot: Bot
    session: RecordingSession
    dp: Any
    url: str  # /metrics

    async def scrape(self) -> str:
        async with aiohttp.ClientSession() as http, http.get(self.url) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=")
            return await response.text()

    async def send(self, update_id: int, text: str) -> None:
        user = User(id=ALICE_TG, is_bot=False, first_name="Alice", language_code="en")
        message = Message(
            message_id=update_id,
            date=datetime.now(UTC),
            chat=Chat(id=ALICE_TG, type="private"),
            from_user=user,
            text=text,
        )
        await self.dp.feed_update(self.bot, Update(update_id=update_id, message=message))


@pytest.fixture
async def observed(world: World, engine: AsyncEngine) -> AsyncIterator[Observed]:
    metrics = Metrics()
    assert world.sim.url is not None
    provider = ProviderClient(
        world.sim.url, KEY, timeout=5, retries=1, sleep=no_sleep, observer=metrics.observe_panel
    )
    deps = dataclasses.replace(world.deps, provider=provider)
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    dp = create_dispatcher(
        deps, metrics=metrics, throttling=ThrottlingMiddleware(create_i18n(), rate=1e3, burst=1000)
    )
    jobs = create_jobs(deps, bot, engine=engine)
    monitor = Monitor(deps.settings, engine, world.clock, metrics, jobs=jobs)
    server = TestServer(create_web_app(monitor))
    await server.start_server()
    try:
        yield Observed(
            world, metrics, jobs, monitor, bot, session, dp, str(server.make_url("/metrics"))
        )
    finally:
        await server.close()
        await jobs.poller_lock.close()
        await provider.close()
        await bot.session.close()


async def test_metrics_report_real_figures(observed: Observed) -> None:
    world, jobs = observed.world, observed.jobs

    # Nothing happened yet: the series exist with zeros, the poll never ran.
    text = await observed.scrape()
    assert metric(text, "bot_orders", state="active") == 0
    assert metric(text, "bot_last_successful_poll_age_seconds") == -1
    assert metric(text, "bot_notifications_total", result="sent") == 0
    assert metric(text, "bot_leader", lock="poller") == 0

    # Two updates through the real dispatcher.
    await observed.send(1, "/start")
    await observed.send(2, "/help")
    text = await observed.scrape()
    assert metric(text, "bot_updates_total", type="message", outcome="ok") == 2
    assert metric(text, "bot_update_seconds_count", type="message") == 2
    assert (metric(text, "bot_update_seconds_sum", type="message") or 0) > 0

    # Three orders; the panel completes one; one poll cycle as the leader.
    done, *_ = await world.buy(3)
    world.sim.script(world.panel_id(await world.order(done)), "Completed")
    assert await jobs.poller_lock.acquire()
    report = await jobs.poller.run_cycle()
    assert report.completed == 1 and report.calls == 1
    world.clock.advance(seconds=30)
    text = await observed.scrape()
    assert metric(text, "bot_orders", state="active") == 2
    assert metric(text, "bot_orders", state="completed") == 1
    assert metric(text, "bot_orders", state="failed") == 0
    assert metric(text, "bot_panel_calls_total", action="status", outcome="ok") == 1
    assert metric(text, "bot_panel_call_seconds_count", action="status") == 1
    assert metric(text, "bot_last_successful_poll_age_seconds") == 30
    assert metric(text, "bot_leader", lock="poller") == 1
    assert metric(text, "bot_leader", lock="sender") == 0

    # The completion notice goes out through the outbox sender.
    stats = await jobs.sender.drain()
    assert stats.sent == 1
    assert any("completed" in m.text for m in observed.session.sent_to(ALICE_TG))
    text = await observed.scrape()
    assert metric(text, "bot_notifications_total", result="sent") == 1
    # Scraping again counts nothing twice; later 429s and dead letters add up.
    stats.rate_limited += 2
    stats.dead += 1
    await observed.scrape()
    text = await observed.scrape()
    assert metric(text, "bot_notifications_total", result="sent") == 1
    assert metric(text, "bot_notifications_total", result="retry_after") == 2
    assert metric(text, "bot_notifications_total", result="dead_lettered") == 1


async def test_a_failing_orders_query_keeps_the_last_figures(
    observed: Observed, caplog: pytest.LogCaptureFixture
) -> None:
    await observed.world.buy(1)
    text = await observed.scrape()
    assert metric(text, "bot_orders", state="active") == 1

    class Gone:
        def connect(self) -> Any:
            raise ConnectionError("database gone")

    monitor = observed.monitor
    engine, monitor.engine = monitor.engine, Gone()  # type: ignore[assignment]
    try:
        text = await observed.scrape()  # still 200
    finally:
        monitor.engine = engine
    assert metric(text, "bot_orders", state="active") == 1
    assert any("orders by state not read" in r.getMessage() for r in caplog.records)
