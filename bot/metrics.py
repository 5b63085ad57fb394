"""Prometheus metrics of one bot process, rendered at GET /metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """A registry of its own per process (and per test), never the global default."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.updates = Counter(
            "bot_updates_total",
            "Updates handled, by update type and outcome",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.update_seconds = Histogram(
            "bot_update_seconds",
            "Time to handle one update, by update type",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.panel_calls = Counter(
            "bot_panel_calls_total",
            "Calls to the SMM panel, by action and outcome",
            ["action", "outcome"],
            registry=self.registry,
        )
        self.panel_seconds = Histogram(
            "bot_panel_call_seconds",
            "Latency of calls to the SMM panel, by action",
            ["action"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.orders = Gauge(
            "bot_orders",
            "Orders by state (read from the database at each scrape)",
            ["state"],
            registry=self.registry,
        )
        self.notifications = Counter(
            "bot_notifications_total",
            "Outbox deliveries: sent, retry_after (429 received), blocked, dead_lettered",
            ["result"],
            registry=self.registry,
        )
        self.last_poll_age = Gauge(
            "bot_last_successful_poll_age_seconds",
            "Seconds since the last successful status poll (-1: never)",
            registry=self.registry,
        )

    def observe_panel(self, action: str, seconds: float, outcome: str) -> None:
        """The provider client's observer hook."""
        self.panel_calls.labels(action=action, outcome=outcome).inc()
        self.panel_seconds.labels(action=action).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware(BaseMiddleware):
    """Outermost update middleware: counts and times every update, whatever happens."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await handler(event, data)
            outcome = "ok"
            return result
        finally:
            self.metrics.update_seconds.labels(type=kind).observe(time.perf_counter() - started)
            self.metrics.updates.labels(type=kind, outcome=outcome).inc()
