"""Pacing: when the next message for a key (all, one chat, one group) may go."""

from __future__ import annotations

from typing import Any


class Pacer:
    """Generic cell rate algorithm per key: `rate` a second after a burst of `burst`.

    Equivalent to a token bucket of `burst` tokens refilled at `rate`, but it answers
    "when may the next one go" and can reserve slots ahead of time.
    """

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate > 0 and burst >= 1")
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self._tat: dict[Any, float] = {}

    def earliest(self, key: Any, now: float) -> float:
        tat = self._tat.get(key)
        return now if tat is None else max(now, tat - self.tolerance)

    def take(self, key: Any, at: float) -> None:
        self._tat[key] = max(self._tat.get(key, at), at) + self.interval

    def hold(self, key: Any, until: float) -> None:
        """Nothing for `key` before `until`, then one per interval (no burst)."""
        self._tat[key] = max(self._tat.get(key, until), until + self.tolerance)

    def state(self, key: Any) -> float | None:
        return self._tat.get(key)

    def prune(self, now: float) -> None:
        """Forget keys that are back to a full burst (keeps memory bounded)."""
        if len(self._tat) > 10_000:
            self._tat = {k: t for k, t in self._tat.items() if t > now}


__all__ = ["Pacer"]
