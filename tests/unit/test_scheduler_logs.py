"""APScheduler's routine lines (a job added, run, done) show with LOG_LEVEL=DEBUG only;
its warnings always."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from bot.jobs.scheduler import create_scheduler


@pytest.fixture(autouse=True)
def _keep_levels() -> Iterator[None]:
    scheduler_log = logging.getLogger("apscheduler")
    level = scheduler_log.level
    yield
    scheduler_log.setLevel(level)


async def _run_one_job(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    caplog.clear()
    scheduler = create_scheduler()
    ran = asyncio.Event()
    scheduler.add_job(ran.set, id="once")
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), 5)
        await asyncio.sleep(0.05)  # the executor logs "executed successfully" after
    finally:
        scheduler.shutdown(wait=False)
    return [r for r in caplog.records if r.name.startswith("apscheduler")]


async def test_job_runs_leave_no_line_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert await _run_one_job(caplog) == []
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.WARNING)


async def test_job_runs_are_told_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    messages = [r.getMessage() for r in await _run_one_job(caplog)]
    assert any("Running job" in m for m in messages), messages
    assert any("executed successfully" in m for m in messages), messages
