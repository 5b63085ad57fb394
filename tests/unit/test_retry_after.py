"""Flood control on a direct reply: wait what Telegram asks (briefly), then send again."""

from typing import Any

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage

from bot.middlewares.retry import RetryAfterMiddleware

METHOD = SendMessage(chat_id=1, text="hi")


def flood(times: int, retry_after: int = 1) -> Any:
    calls = {"n": 0}

    async def make_request(bot: Any, method: Any) -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise TelegramRetryAfter(
                method=method, message="Too Many Requests", retry_after=retry_after
            )
        return "sent"

    return make_request, calls


async def test_waits_then_sends() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    make_request, calls = flood(2)
    result = await RetryAfterMiddleware(sleep=sleep)(make_request, None, METHOD)  # type: ignore[arg-type]
    assert result == "sent" and calls["n"] == 3 and waits == [1, 1]


async def test_gives_up_after_attempts_or_long_waits() -> None:
    async def sleep(_: float) -> None:
        return None

    make_request, _ = flood(5)
    with pytest.raises(TelegramRetryAfter):
        await RetryAfterMiddleware(sleep=sleep)(make_request, None, METHOD)  # type: ignore[arg-type]
    make_request, calls = flood(1, retry_after=60)
    with pytest.raises(TelegramRetryAfter):
        await RetryAfterMiddleware(sleep=sleep)(make_request, None, METHOD)  # type: ignore[arg-type]
    assert calls["n"] == 1
