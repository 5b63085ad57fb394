"""Operator alerts the admins control: the "order placed" switch, and a rate limit for
alerts about unexpected errors (a storm sends one alert and one summary, not a thousand).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from db.repositories.settings import SettingsRepo
from db.uow import reads, writes

ORDER_PLACED_ALERTS = "alerts.order_placed"
ERROR_WINDOW = timedelta(minutes=5)
_DETAIL_MAX = 300


class AlertSwitches:
    """Alerts operators may turn off; kept in the settings table (off by default)."""

    def __init__(self, repo: SettingsRepo, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    @property
    def session(self) -> AsyncSession:
        return self.repo.session

    @classmethod
    def from_session(cls, session: AsyncSession, clock: Clock) -> AlertSwitches:
        return cls(SettingsRepo(session), clock)

    @reads
    async def order_placed(self) -> bool:
        """Whether each placed order is announced in the operators' chat."""
        return await self.repo.get_bool(ORDER_PLACED_ALERTS, default=False)

    @writes
    async def set_order_placed(self, on: bool) -> None:
        await self.repo.set_bool(ORDER_PLACED_ALERTS, on, now=self.clock.now())


@dataclass(frozen=True, slots=True)
class ErrorAlert:
    """What to tell operators: an error (`error` set) and/or how many were held back."""

    error: str | None  # "KeyError: 'x'" of the error that opened a new window
    update_id: int | None
    held_back: int  # errors counted, not announced, since the previous alert
    kinds: tuple[tuple[str, int], ...]  # the most frequent of them, by type name
    since: datetime | None  # when the previous alert went out


class ErrorAlerts:
    """In memory, one per running bot: the first error is announced at once; any more
    within `window` are counted, then announced as one summary, either with the next
    error after the window or by `flush()` (call it periodically)."""

    def __init__(self, clock: Clock, *, window: timedelta = ERROR_WINDOW) -> None:
        self.clock = clock
        self.window = window
        self._opened: datetime | None = None
        self._held = 0
        self._kinds: Counter[str] = Counter()

    def record(self, error: BaseException, *, update_id: int | None = None) -> ErrorAlert | None:
        """The alert to send now, or None when this error is only counted."""
        now = self.clock.now()
        if self._opened is not None and now - self._opened < self.window:
            self._held += 1
            self._kinds[type(error).__name__] += 1
            return None
        return self._emit(now, describe(error), update_id)

    def flush(self) -> ErrorAlert | None:
        """A summary of the errors held back, once the window they fell in has passed."""
        now = self.clock.now()
        if not self._held or self._opened is None or now - self._opened < self.window:
            return None
        return self._emit(now, None, None)

    @property
    def held_back(self) -> int:
        return self._held

    def _emit(self, now: datetime, error: str | None, update_id: int | None) -> ErrorAlert:
        alert = ErrorAlert(
            error=error,
            update_id=update_id,
            held_back=self._held,
            kinds=tuple(self._kinds.most_common(3)),
            since=self._opened,
        )
        self._opened = now
        self._held = 0
        self._kinds.clear()
        return alert


def describe(error: BaseException) -> str:
    text = str(error).strip()
    name = type(error).__name__
    return (f"{name}: {text}" if text else name)[:_DETAIL_MAX]


__all__ = ["ORDER_PLACED_ALERTS", "AlertSwitches", "ErrorAlert", "ErrorAlerts", "describe"]
