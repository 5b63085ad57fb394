"""One AsyncSession per update; committed when the update was handled, else rolled back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.deps import Deps
from bot.shop.services import Shop


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.deps.session_factory() as session:
            data["session"] = session
            data["shop"] = Shop(session, self.deps)
            try:
                result = await handler(event, data)
            except BaseException:
                await session.rollback()
                raise
            await session.commit()
            return result
