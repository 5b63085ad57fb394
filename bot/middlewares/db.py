"""One AsyncSession per update, holding no transaction.

The session only carries the update's services (`Shop`); every use case opens and
commits its own short transaction on it (db/uow.py), so nothing the handler then sends
to Telegram can undo what was committed, and no lock is held while it waits.
"""

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
            return await handler(event, data)
