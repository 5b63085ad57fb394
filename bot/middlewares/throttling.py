"""Per-customer throttling: a few updates a second, then one notice, then silence."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import gettext as _

from bot.i18n import Catalogues
from bot.middlewares.user import money_arrived


@dataclass
class _Bucket:
    tokens: float
    at: float
    warned: bool = False


class ThrottlingMiddleware(BaseMiddleware):
    """A token bucket per user: `burst` updates at once, refilled at `rate` a second.

    Over the limit the customer gets one notice; further updates are dropped silently
    until the bucket refills, so a flood is not answered N times. The users in `exempt`
    (the admins) are never throttled: an admin crediting 25 customers in a row must not
    lose a command.
    """

    def __init__(
        self,
        i18n: Catalogues,
        *,
        rate: float = 2.0,
        burst: int = 5,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = 100_000,
        exempt: frozenset[int] = frozenset(),
    ) -> None:
        self.i18n = i18n
        self.exempt = exempt
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_users = max_users
        self._buckets: dict[int, _Bucket] = {}

    def allow(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn): warn is True once per throttled streak."""
        now = self.clock()
        bucket = self._buckets.get(user_id)
        if bucket is None:
            if len(self._buckets) >= self.max_users:
                self._forget_idle(now)
            bucket = self._buckets[user_id] = _Bucket(tokens=float(self.burst), at=now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return True, False
        warn = not bucket.warned
        bucket.warned = True
        return False, warn

    async def check(self, user_id: int, bot_id: int) -> tuple[bool, bool]:
        """`allow()` behind an await: a shared backend (Redis) overrides this."""
        return self.allow(user_id)

    def _forget_idle(self, now: float) -> None:
        full_after = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.at > full_after]:
            del self._buckets[key]

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if (
            user is None
            or user.id in self.exempt
            or not isinstance(event, Update)
            or event.pre_checkout_query is not None
            or money_arrived(event)
        ):
            # Payments are never throttled: Telegram waits for the pre-checkout answer, and
            # a payment message dropped here would never come again.
            return await handler(event, data)
        allowed, warn = await self.check(user.id, data["bot"].id if "bot" in data else 0)
        if allowed:
            return await handler(event, data)
        if warn:
            with self.i18n.context(), self.i18n.use_locale(self.i18n.pick(user.language_code)):
                text = _("Too fast! Please wait a moment before the next tap.")
            if event.callback_query is not None:
                await event.callback_query.answer(text)
            elif event.message is not None:
                await event.message.answer(text)
        elif event.callback_query is not None:
            # Answer silently so the customer's button stops spinning.
            await event.callback_query.answer()
        return None
