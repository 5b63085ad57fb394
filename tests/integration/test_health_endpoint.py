"""GET /healthz and `python -m bot healthcheck`: 200 when the database (SQLite and
PostgreSQL) answers and Redis (when configured) too, 503 otherwise; the poll's age and who
leads come from the jobs."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.config import Config
from bot.health import Monitor, health_url, healthcheck
from bot.metrics import Metrics
from bot.outbox.sender import SenderStats
from bot.redis_client import create_redis, ping_redis
from bot.web import WebServer, create_web_app
from db.session import create_engine
from tests.services import redis_url

ROOT = Path(__file__).resolve().parents[2]


def settings(**values: Any) -> Config:
    return Config(_env_file=None, **values)  # type: ignore[call-arg]


async def serve(monitor: Monitor) -> WebServer:
    server = WebServer(create_web_app(monitor), "127.0.0.1", 0)
    await server.start()
    return server


async def get_health(monitor: Monitor) -> tuple[int, dict[str, Any]]:
    server = await serve(monitor)
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{server.port}/healthz") as response,
        ):
            return response.status, await response.json()
    finally:
        await server.stop()


@pytest.fixture
async def redis_client() -> AsyncIterator[Any]:
    client = create_redis(redis_url())
    try:
        await ping_redis(client, 2.0)
    except Exception as exc:
        await client.aclose()
        pytest.skip(f"Redis at {redis_url()} unreachable: {type(exc).__name__}: {exc}")
    yield client
    await client.aclose()


def fake_jobs(last_success: Any, *, poller: bool, sender: bool) -> Any:
    return SimpleNamespace(
        poller=SimpleNamespace(last_success=last_success),
        poller_lock=SimpleNamespace(held=poller),
        sender=SimpleNamespace(lock=SimpleNamespace(held=sender), stats=SenderStats()),
    )


async def test_healthy_database_without_redis(engine: AsyncEngine) -> None:
    clock = FakeClock()
    jobs = fake_jobs(clock.now() - timedelta(seconds=12), poller=True, sender=False)
    monitor = Monitor(settings(), engine, clock, Metrics(), jobs=jobs)
    status, report = await get_health(monitor)
    assert status == 200
    assert report["status"] == "ok" and report["mode"] == "polling"
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["redis"] == {"ok": True, "configured": False}
    assert report["poll"] == {
        "leader": True,
        "last_success_age_seconds": 12.0,
        "interval_seconds": 60,
    }
    assert report["sender"] == {"leader": False}
    assert "webhook" not in report


async def test_healthy_with_redis(engine: AsyncEngine, redis_client: Any) -> None:
    monitor = Monitor(settings(), engine, FakeClock(), Metrics(), redis=redis_client)
    status, report = await get_health(monitor)
    assert status == 200
    assert report["checks"]["redis"]["ok"] is True
    assert report["poll"]["last_success_age_seconds"] is None  # no jobs: never polled


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_redis_down_is_503(engine: AsyncEngine) -> None:
    client = create_redis("redis://127.0.0.1:1/0")
    try:
        monitor = Monitor(settings(), engine, FakeClock(), Metrics(), redis=client)
        status, report = await get_health(monitor)
    finally:
        await client.aclose()
    assert status == 503
    assert report["status"] == "unavailable"
    assert report["checks"]["database"]["ok"] is True
    assert report["checks"]["redis"]["ok"] is False
    assert "error" in report["checks"]["redis"]


async def test_database_down_is_503_and_says_little() -> None:
    engine = create_engine("postgresql+asyncpg://bot:pw-never-shown@127.0.0.1:1/shop")
    try:
        monitor = Monitor(settings(), engine, FakeClock(), Metrics())
        status, report = await get_health(monitor)
    finally:
        await engine.dispose()
    assert status == 503
    assert report["checks"]["database"] == {"ok": False, "error": "ConnectionRefusedError"}
    assert "pw-never-shown" not in str(report)


# --- `python -m bot healthcheck` --------------------------------------------------------


def test_health_url_follows_the_mode() -> None:
    assert health_url(settings()) == "http://127.0.0.1:9090/healthz"
    assert health_url(settings(metrics_port=0)) is None
    webhook = settings(
        webhook_url="https://bot.example.com/hook", webhook_secret="x", webhook_port=8443
    )
    assert health_url(webhook) == "http://127.0.0.1:8443/healthz"
    assert health_url(settings(webhook_host="10.0.0.5")) == "http://10.0.0.5:9090/healthz"


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_healthcheck_exit_codes(engine: AsyncEngine, tmp_path: Path) -> None:
    server = await serve(Monitor(settings(), engine, FakeClock(), Metrics()))
    try:
        port = server.port
        probe = settings(metrics_port=port)
        assert await asyncio.to_thread(healthcheck, probe) == 0
        # The real command, as Docker's HEALTHCHECK runs it.
        env = {**os.environ, "METRICS_PORT": str(port), "PYTHONPATH": str(ROOT)}
        env.pop("WEBHOOK_URL", None)
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot", "healthcheck"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert '"status":"ok"' in done.stdout
    finally:
        await server.stop()
    # Nobody listens any more.
    assert await asyncio.to_thread(healthcheck, settings(metrics_port=port)) == 1
    # No server configured: nothing to ask, not a failure.
    assert await asyncio.to_thread(healthcheck, settings(metrics_port=0)) == 0

    client = create_redis("redis://127.0.0.1:1/0")
    server = await serve(Monitor(settings(), engine, FakeClock(), Metrics(), redis=client))
    try:
        assert await asyncio.to_thread(healthcheck, settings(metrics_port=server.port)) == 1
    finally:
        await server.stop()
        await client.aclose()
