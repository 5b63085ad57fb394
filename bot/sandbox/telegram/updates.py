"""The updates Telegram holds for the bot: the queue, the long polls that wait on it, and
the webhook that, while it is set, takes the queue over."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiogram.types import Update

from .errors import ApiError
from .models import Counters
from .pulse import Pulse

DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class Updates:
    """Pending updates in order; `pulse` fires when one arrives, the webhook changes or the
    emulator closes, `transport` when a poll arrives or a webhook delivery ends."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters
        self.webhook: WebhookConfig | None = None
        self.pulse = Pulse()
        self.transport = Pulse()
        self.closed = False
        self._queue: deque[dict[str, Any]] = deque()
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._poll_generation = 0

    def push(self, kind: str, payload: dict[str, Any]) -> Update:
        data = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.counters.updates += 1
        allowed = self._allowed_updates
        if self.webhook is not None and self.webhook.allowed_updates:
            allowed = frozenset(self.webhook.allowed_updates)
        if kind in allowed:
            self._queue.append(data)
            self.pulse.fire()
        return Update.model_validate(data)

    @property
    def pending(self) -> list[dict[str, Any]]:
        return list(self._queue)

    def first(self) -> dict[str, Any] | None:
        return self._queue[0] if self._queue else None

    def delivered(self, update: dict[str, Any]) -> None:
        """The webhook took `update`: it leaves the queue (unless the queue moved on)."""
        if self._queue and self._queue[0] is update:
            self._queue.popleft()

    def drop_pending(self) -> None:
        self._queue.clear()

    def set_allowed_updates(self, allowed: Iterable[str] | None) -> None:
        values = frozenset(allowed or ())
        self._allowed_updates = values or DEFAULT_UPDATE_TYPES

    def confirm(self, offset: int) -> None:
        if offset > 0:
            while self._queue and self._queue[0]["update_id"] < offset:
                self._queue.popleft()
        elif offset < 0:
            keep = -offset
            while len(self._queue) > keep:
                self._queue.popleft()

    async def long_poll(self, limit: int, timeout: float) -> list[dict[str, Any]]:
        self._poll_generation += 1
        generation = self._poll_generation
        self.pulse.fire()  # an older poll ends with 409 Conflict
        self.counters.polls += 1
        self.transport.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._queue or timeout <= 0 or self.closed:
                return list(itertools.islice(self._queue, limit))
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self.pulse.wait(remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                    kind="conflict",
                )
            if self.webhook is not None:
                return []

    def close(self) -> None:
        """Release every long poll and stop webhook delivery."""
        self.closed = True
        self.pulse.fire()
