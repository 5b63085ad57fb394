"""What GET /healthz and GET /metrics report, and `python -m bot healthcheck`.

/healthz answers 200 with a JSON report when the database answers `SELECT 1` and Redis
(when REDIS_URL is set) answers PING, else 503. It also tells whether this replica leads
the status poller and the outbox sender, and the age of its last successful status poll
(a replica that does not lead never polls: look at the leader's figure).

/metrics renders the Prometheus registry of bot/metrics.py after a refresh: orders by
state (one GROUP BY on the orders table), the outbox sender's counters, the poll age and
who leads. Counters of updates and panel calls move as they happen.

This module imports neither aiogram nor SQLAlchemy at import time: the healthcheck
command must answer well within Docker's timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.config import Config

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.clock import Clock
    from bot.jobs import Jobs
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0  # seconds for each of SELECT 1 and PING
# Notification counters: label of bot_notifications_total -> OutboxSender.stats attribute.
NOTIFICATION_STATS = {
    "sent": "sent",
    "retry_after": "rate_limited",
    "blocked": "blocked",
    "dead_lettered": "dead",
}


@dataclass
class Monitor:
    """Reads the live application for /healthz and /metrics (one per process)."""

    settings: Config
    engine: AsyncEngine
    clock: Clock
    metrics: Metrics
    redis: Redis | None = None
    jobs: Jobs | None = None
    mode: str = "polling"
    in_flight: Callable[[], int] | None = None  # webhook updates being handled
    _seen: dict[str, int] = field(default_factory=dict)
    _extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from prometheus_client import Counter, Gauge

        registry = self.metrics.registry
        self._extra["leader"] = Gauge(
            "bot_leader",
            "1 while this replica holds the lock (poller: panel polling; sender: outbox)",
            ["lock"],
            registry=registry,
        )
        self._extra["in_flight"] = Gauge(
            "bot_webhook_in_flight", "Webhook updates being handled now", registry=registry
        )
        self._extra["rejected"] = Counter(
            "bot_webhook_rejected",
            "Webhook requests refused before any processing, by reason",
            ["reason"],
            registry=registry,
        )
        self._extra["up"] = Gauge(
            "bot_dependency_up",
            "1 when the dependency answered the last health check",
            ["dependency"],
            registry=registry,
        )

    def watch_webhook(self, in_flight: Callable[[], int]) -> None:
        """Webhook mode: report it, and the updates being handled (`in_flight()`)."""
        self.mode = "webhook"
        self.in_flight = in_flight

    @property
    def rejected(self) -> Any:
        """Counter of refused webhook requests (`.labels(reason=...).inc()`)."""
        return self._extra["rejected"]

    # --- health --------------------------------------------------------------------------

    async def _database(self) -> None:
        from sqlalchemy import text

        async with asyncio.timeout(CHECK_TIMEOUT), self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _redis(self) -> None:
        from bot.redis_client import ping_redis

        assert self.redis is not None
        await ping_redis(self.redis, CHECK_TIMEOUT)

    @staticmethod
    async def _timed(name: str, probe: Callable[[], Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            await probe()
        except Exception as exc:
            log.warning("health: %s unavailable: %s: %s", name, type(exc).__name__, exc)
            # Only the kind of failure: /healthz may be reachable from outside.
            return {"ok": False, "error": type(exc).__name__}
        return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}

    def poll_age(self) -> float | None:
        """Seconds since this replica's last successful status poll; None: never."""
        poller = getattr(self.jobs, "poller", None)
        last = getattr(poller, "last_success", None)
        if last is None:
            return None
        return max(0.0, (self.clock.now() - last).total_seconds())

    def leads(self) -> dict[str, bool]:
        if self.jobs is None:
            return {"poller": False, "sender": False}
        sender_lock = getattr(self.jobs.sender, "lock", None)
        return {
            "poller": bool(self.jobs.poller_lock.held),
            "sender": bool(sender_lock.held) if sender_lock is not None else False,
        }

    async def health(self) -> tuple[bool, dict[str, Any]]:
        probes = {"database": self._database}
        if self.redis is not None:
            probes["redis"] = self._redis
        results = await asyncio.gather(*(self._timed(n, p) for n, p in probes.items()))
        checks = dict(zip(probes, results, strict=True))
        if self.redis is None:
            checks["redis"] = {"ok": True, "configured": False}
        for name, result in checks.items():
            self._extra["up"].labels(dependency=name).set(1 if result["ok"] else 0)
        ok = all(result["ok"] for result in checks.values())
        age = self.poll_age()
        leads = self.leads()
        report: dict[str, Any] = {
            "status": "ok" if ok else "unavailable",
            "mode": self.mode,
            "checks": checks,
            "poll": {
                "leader": leads["poller"],
                "last_success_age_seconds": round(age, 1) if age is not None else None,
                "interval_seconds": self.settings.poll_interval_seconds,
            },
            "sender": {"leader": leads["sender"]},
        }
        if self.in_flight is not None:
            report["webhook"] = {"in_flight": self.in_flight()}
        return ok, report

    # --- metrics -------------------------------------------------------------------------

    async def _orders_by_state(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from bot.shop.enums import OrderState
        from db.models import Order

        counts = {state.value: 0 for state in OrderState}
        async with asyncio.timeout(CHECK_TIMEOUT), self.engine.connect() as connection:
            rows = await connection.execute(select(Order.state, func.count()).group_by(Order.state))
            for state, count in rows:
                counts[getattr(state, "value", state)] = int(count)
        return counts

    def _notifications(self) -> None:
        stats = getattr(getattr(self.jobs, "sender", None), "stats", None)
        if stats is None:
            return
        for label, attribute in NOTIFICATION_STATS.items():
            value = int(getattr(stats, attribute, 0))
            delta = value - self._seen.get(label, 0)
            if delta < 0:  # the stats were reset: count from zero again
                delta = value
            if delta:
                self.metrics.notifications.labels(result=label).inc(delta)
            else:
                self.metrics.notifications.labels(result=label)  # shown as 0
            self._seen[label] = value

    async def refresh(self) -> None:
        """Bring the scrape-time figures up to date (a failing query keeps the old ones)."""
        try:
            for state, count in (await self._orders_by_state()).items():
                self.metrics.orders.labels(state=state).set(count)
        except Exception as exc:
            log.warning("metrics: orders by state not read: %s: %s", type(exc).__name__, exc)
        self._notifications()
        age = self.poll_age()
        self.metrics.last_poll_age.set(age if age is not None else -1)
        for lock, held in self.leads().items():
            self._extra["leader"].labels(lock=lock).set(1 if held else 0)
        if self.in_flight is not None:
            self._extra["in_flight"].set(self.in_flight())

    async def render_metrics(self) -> bytes:
        await self.refresh()
        return self.metrics.render()


# --- `python -m bot healthcheck` ---------------------------------------------------------


def health_url(settings: Config) -> str | None:
    """Where this container's /healthz answers; None when no server runs (METRICS_PORT=0
    in polling mode)."""
    port = settings.webhook_port if settings.webhook_url else settings.metrics_port
    if not port:
        return None
    host = settings.webhook_host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/healthz"


def healthcheck(settings: Config, *, timeout: float = 4.0) -> int:
    """GET /healthz of the running bot: 0 when it answers 200, else 1 (Docker HEALTHCHECK)."""
    url = health_url(settings)
    if url is None:
        print("healthcheck: no health server (METRICS_PORT=0 in polling mode)")
        return 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read().decode("utf-8", "replace")
            status = response.status
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        status = exc.code
    except (OSError, TimeoutError) as exc:
        print(f"healthcheck: {url}: {exc}")
        return 1
    try:
        summary = json.dumps(json.loads(body), separators=(",", ":"))
    except ValueError:
        summary = body[:200]
    print(f"healthcheck: {status} {summary}")
    return 0 if status == 200 else 1


__all__ = ["Monitor", "health_url", "healthcheck"]
