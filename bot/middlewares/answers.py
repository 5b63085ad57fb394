"""Each callback query is answered exactly once.

Telegram takes one answer per callback query and refuses a second ("query is too old …
or query ID is invalid"): a toast sent after a handler already answered is lost, and the
customer never sees why their tap did nothing. `CallbackAnswers` (on the Bot's session)
notes each answer that went out in the current update's context; `AnswerScope` (on the
dispatcher) starts that record for each update and, when a handler forgot to answer,
stops the button's spinner with an empty answer. The error handler asks
`callback_answered()` and writes a message instead of a second answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import TelegramObject, Update

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)
_answered: ContextVar[set[str] | None] = ContextVar("answered_callbacks", default=None)


def callback_answered(query_id: str) -> bool:
    """Whether the callback query was answered in this update already."""
    answered = _answered.get()
    return answered is not None and query_id in answered


class CallbackAnswers(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if isinstance(method, AnswerCallbackQuery):
            answered = _answered.get()
            if answered is not None:
                answered.add(method.callback_query_id)
        return response


class AnswerScope(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        # Set, not reset afterwards: the error handler runs outside this middleware, in
        # the same context, and must see what was answered.
        _answered.set(set())
        result = await handler(event, data)
        query = event.callback_query if isinstance(event, Update) else None
        if query is not None and not callback_answered(query.id):
            try:
                await query.answer()
            except TelegramAPIError as exc:
                log.info("callback %s: the spinner could not be stopped: %s", query.id, exc)
        return result
