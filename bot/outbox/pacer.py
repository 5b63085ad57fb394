"""Pacing: when the next message for a key (all, one chat, one group) may go.

`Pacer` is one budget (a cell rate per key). `SendPace` is every budget Telegram puts on
one bot, held once per process and shared by everything that sends: the replies of
handlers (through `PacedSends` on the Bot's session, bot/outbox/pacing_session.py) and the
outbox sender (bot/outbox/sender.py). The policy is told in bot/outbox/__init__.py.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]
WINDOW = 1.0  # seconds: the overall rate holds over any window this long
# Kept to spare on that window: a request leaves a few milliseconds after its slot is
# taken (more on a busy event loop), and Telegram counts when it arrives.
WINDOW_SPARE = 0.01
EPSILON = 1e-6  # a microsecond: clocks (and FakeClock) do not resolve finer


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


ChatKey = int | str | None  # a chat id, a channel's @name, None: no chat (inline messages)


@dataclass
class PaceStats:
    replies: int = 0  # replies that asked for a slot
    replies_waited: int = 0  # ... of which had to wait for one
    reply_wait_total: float = 0.0  # seconds
    reply_wait_max: float = 0.0
    outbox: int = 0  # slots the outbox sender took
    holds: int = 0  # 429s applied (a chat and everything held for retry_after)

    def waited(self, seconds: float) -> None:
        self.replies += 1
        if seconds > 0:
            self.replies_waited += 1
            self.reply_wait_total += seconds
            self.reply_wait_max = max(self.reply_wait_max, seconds)


class SendPace:
    """Telegram's budgets for one bot, kept by one process for all it sends.

    - overall: `rate` messages a second, smoothly (a cell rate with a small `burst`) and
      never more than floor(`rate`) in any window of 1.01 s of the moments sends leave;
    - a private chat (positive id): `chat_rate` a second after a burst of `chat_burst`;
    - a group or channel (negative id, @name): `group_rate` a second after `group_burst`;
    - a 429: that chat and everything else wait `retry_after` (`hold`).

    Replies book the next free overall slot ahead of time (`reply_turn`), the outbox
    sender only takes a slot that is free now (`take`): a waiting reply therefore always
    goes before the next outbox message, and the outbox uses what replies leave.
    Times are seconds of `clock` (monotonic); `sleep` waits them.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: int | None = None,
        chat_rate: float = 1.0,
        chat_burst: int = 3,
        group_rate: float = 20 / 60,
        group_burst: int = 3,
        clock: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate > 0")
        self.rate = float(rate)
        self.burst = burst or max(1, min(5, int(self.rate)))
        self.clock = clock
        self.sleep = sleep
        self.overall = Pacer(self.rate, self.burst)
        self.chats = Pacer(chat_rate, chat_burst)
        self.groups = Pacer(group_rate, group_burst)
        self.held_until = -math.inf  # a 429's pause of everything
        self.per_window = max(1, math.floor(self.rate + EPSILON))
        self._recent: deque[float] = deque(maxlen=self.per_window)  # last send times
        self._replying: Counter[ChatKey] = Counter()
        self.stats = PaceStats()

    def now(self) -> float:
        return self.clock()

    def pacer(self, chat: ChatKey) -> Pacer:
        """Private chats (positive ids) and groups (negative, or a channel's @name)."""
        return self.chats if isinstance(chat, int) and chat > 0 else self.groups

    # --- reading ----------------------------------------------------------------------

    def chat_earliest(self, chat: ChatKey, now: float) -> float:
        if chat is None:
            return now
        return self.pacer(chat).earliest(chat, now)

    def overall_earliest(self, now: float) -> float:
        """When the next message may go as far as the overall budget and a 429 say."""
        return max(now, self.held_until, self.overall.earliest(None, now), self._window_opens(now))

    def earliest(self, chat: ChatKey, now: float) -> float:
        return max(self.chat_earliest(chat, now), self.overall_earliest(now))

    # --- taking -----------------------------------------------------------------------

    def take(self, chat: ChatKey, now: float) -> None:
        """A message for `chat` goes now (the caller checked `earliest(chat, now) <= now`)."""
        if chat is not None:
            self.pacer(chat).take(chat, now)
        self.overall.take(None, now)
        self._recent.append(now)

    def prune(self, now: float) -> None:
        self.chats.prune(now)
        self.groups.prune(now)

    async def reply_turn(self, chat: ChatKey) -> float:
        """Wait for a reply's slot and take it; the seconds waited.

        The overall slot is booked as soon as the chat's turn has come: the outbox sender
        takes only a slot that is free now, so it leaves this one to the reply. The chat's
        own slot is taken at the moment the reply goes (a token bucket counts actual
        sends); meanwhile `replying(chat)` tells the outbox to leave that chat alone.
        """
        started = now = self.now()
        self._replying[chat] += 1
        try:
            booked = False
            while True:
                at = self.chat_earliest(chat, now)
                if at <= now:
                    at = max(now, self.held_until, self._window_opens(now))
                    if not booked:
                        at = max(at, self.overall.earliest(None, now))
                        self.overall.take(None, at)
                        booked = True
                    if at <= now:
                        break
                # A 429, the window or another reply to the chat may still move it: all
                # checked again on waking.
                await self._sleep_until(at, now)
                now = self.now()
            if chat is not None:
                self.pacer(chat).take(chat, now)
            self._recent.append(now)
        finally:
            self._replying[chat] -= 1
            if not self._replying[chat]:
                del self._replying[chat]
        waited = max(0.0, now - started)
        self.stats.waited(waited)
        return waited

    def replying(self, chat: ChatKey) -> bool:
        """Whether a reply to `chat` is waiting for its slot (the outbox then waits)."""
        return chat in self._replying

    def hold(self, chat: ChatKey, retry_after: float, now: float | None = None) -> float:
        """Telegram answered 429: nothing for `chat`, and nothing at all, before `retry_after`
        has passed (Telegram does not say which limit was hit; every chat is paced within
        its own, so the whole bot is taken to be over). Returns when sending may resume."""
        now = self.now() if now is None else now
        until = now + max(1.0, float(retry_after))
        self.held_until = max(self.held_until, until)
        if chat is not None:
            self.pacer(chat).hold(chat, until)
        self.stats.holds += 1
        return until

    # --- helpers ----------------------------------------------------------------------

    def _window_opens(self, now: float) -> float:
        """When one more send fits the last `per_window` sends' one-second window."""
        if len(self._recent) < self.per_window:
            return now
        return self._recent[0] + WINDOW + WINDOW_SPARE

    async def _sleep_until(self, at: float, now: float) -> None:
        # Up to the next microsecond: never a hair early for Telegram's buckets.
        await self.sleep(math.ceil((at - now) / EPSILON) * EPSILON)


__all__ = ["ChatKey", "PaceStats", "Pacer", "SendPace"]
