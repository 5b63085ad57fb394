"""Telegram's limits: message size, button data, and flood control by token buckets."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

MonotonicClock = Callable[[], float]


@dataclass(frozen=True)
class LimitSettings:
    """Which of Telegram's limits the emulator enforces; ``None`` switches one off."""

    global_per_second: float | None = 30.0
    global_burst: int = 30
    chat_per_second: float | None = 1.0
    chat_burst: int = 4
    group_per_minute: float | None = 20.0
    group_burst: int = 20
    max_text_length: int | None = 4096
    max_caption_length: int | None = 1024
    max_callback_data_bytes: int | None = 64
    max_callback_answer_length: int | None = 200
    strict_html: bool = True

    @classmethod
    def off(cls) -> LimitSettings:
        return cls(
            global_per_second=None,
            chat_per_second=None,
            group_per_minute=None,
            max_text_length=None,
            max_caption_length=None,
            max_callback_data_bytes=None,
            max_callback_answer_length=None,
            strict_html=False,
        )

    def without_rate_limits(self) -> LimitSettings:
        return replace(self, global_per_second=None, chat_per_second=None, group_per_minute=None)


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = float(capacity)
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if it is now)."""
        self._refill(now)
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class RateLimiter:
    """Flood control for sent messages: overall, per chat, and per group."""

    def __init__(self, settings: LimitSettings, clock: MonotonicClock = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._global: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}
        self._groups: dict[int, TokenBucket] = {}

    def reset(self) -> None:
        self._global = None
        self._chats.clear()
        self._groups.clear()

    def acquire(self, chat_id: int, *, is_group: bool) -> int | None:
        """Take a send slot; return None if allowed, else retry_after in whole seconds."""
        now = self.clock()
        buckets = self._buckets(chat_id, is_group, now)
        wait = max((b.wait_time(now) for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait - 1e-9))
        for bucket in buckets:
            bucket.take(now)
        return None

    def _buckets(self, chat_id: int, is_group: bool, now: float) -> list[TokenBucket]:
        s = self.settings
        buckets: list[TokenBucket] = []
        if s.global_per_second:
            if self._global is None:
                self._global = TokenBucket(s.global_per_second, s.global_burst, now)
            buckets.append(self._global)
        if s.chat_per_second:
            bucket = self._chats.get(chat_id)
            if bucket is None:
                bucket = self._chats[chat_id] = TokenBucket(s.chat_per_second, s.chat_burst, now)
            buckets.append(bucket)
        if is_group and s.group_per_minute:
            bucket = self._groups.get(chat_id)
            if bucket is None:
                rate = s.group_per_minute / 60
                bucket = self._groups[chat_id] = TokenBucket(rate, s.group_burst, now)
            buckets.append(bucket)
        return buckets
