"""Replies that hit Telegram's flood control wait the asked time and go out once more.

A customer typing quickly can exceed about one message a second in their chat; Telegram
then answers 429 with `retry_after`. A direct reply is worth a short wait; longer waits
are not held up here (the outbox paces notifications on its own).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

if TYPE_CHECKING:
    from aiogram import Bot


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(
        self,
        *,
        attempts: int = 2,
        max_wait: float = 5.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.attempts = attempts
        self.max_wait = max_wait
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        for attempt in range(self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts or exc.retry_after > self.max_wait:
                    raise
                await self.sleep(exc.retry_after)
        raise AssertionError("unreachable")
