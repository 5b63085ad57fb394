"""No Bot API call while a database transaction is open.

A transaction held across a call to Telegram holds SQLite's write lock (or a PostgreSQL
connection) for a network round trip, and a reply that fails could undo what it reports.
Use cases close their transactions before the handler sends (db/uow.py); this guard logs
any call that breaks the rule, with the method, so the mistake shows up in the logs. The
handler tests' recording session refuses such a call outright.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from db.uow import open_transactions

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


class TransactionGuard(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if open_transactions():
            log.error("%s sent inside a database transaction", method.__api_method__)
        return await make_request(bot, method)
