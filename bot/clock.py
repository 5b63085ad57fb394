"""Time as a dependency: services and jobs take a clock so tests control time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        self._now += timedelta(seconds=seconds, **kwargs)
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when


class ScaledClock:
    """Real time running `speed` times faster from its start: the demo's simulated panel
    finishes orders in a minute instead of half an hour."""

    def __init__(self, speed: float, start: datetime | None = None) -> None:
        self.speed = speed
        self._real_start = datetime.now(UTC)
        self._start = start or self._real_start

    def now(self) -> datetime:
        elapsed = datetime.now(UTC) - self._real_start
        return self._start + elapsed * self.speed
