"""`PacedSends`: every message the bot sends waits for its slot in the process's `SendPace`.

On the Bot's session (bot/factory.py), so it sees every Bot API call: a handler's reply, an
edit, a job's direct send. The methods that put a message in a chat (sends, copies,
forwards, edits: Telegram's flood control counts edits in a chat too) wait for the chat's
and the overall budget; the rest (answerCallbackQuery, which is not a message,
getChatMember, deleteMessage, ...) go straight through. The outbox sender takes its own
slots from the same `SendPace` and marks its calls `already_paced()`, so they are counted
once. A 429 on a reply holds the chat and everything for `retry_after`, as one on the
outbox does (RetryAfterMiddleware, outside this one, may then try the reply once more).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import (
    CopyMessage,
    CopyMessages,
    EditMessageCaption,
    EditMessageLiveLocation,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    ForwardMessage,
    ForwardMessages,
    SendAnimation,
    SendAudio,
    SendContact,
    SendDice,
    SendDocument,
    SendInvoice,
    SendLocation,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendPoll,
    SendSticker,
    SendVenue,
    SendVideo,
    SendVideoNote,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

from bot.outbox.pacer import ChatKey, SendPace

if TYPE_CHECKING:
    from aiogram import Bot

# What Telegram's flood control counts: anything that puts (or changes) a message in a chat.
PACED_METHODS: tuple[type[TelegramMethod[Any]], ...] = (
    SendMessage,
    SendPhoto,
    SendDocument,
    SendInvoice,
    SendAnimation,
    SendAudio,
    SendVideo,
    SendVideoNote,
    SendVoice,
    SendSticker,
    SendMediaGroup,
    SendLocation,
    SendVenue,
    SendContact,
    SendPoll,
    SendDice,
    CopyMessage,
    CopyMessages,
    ForwardMessage,
    ForwardMessages,
    EditMessageText,
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageLiveLocation,
)

_already_paced: ContextVar[bool] = ContextVar("already_paced", default=False)


@contextmanager
def already_paced() -> Iterator[None]:
    """Calls made inside took their slot from the `SendPace` already (the outbox sender)."""
    token = _already_paced.set(True)
    try:
        yield
    finally:
        _already_paced.reset(token)


def chat_of(method: TelegramMethod[Any]) -> ChatKey:
    """The chat a message goes to: its id, a channel's @name, None for inline messages."""
    chat = getattr(method, "chat_id", None)
    if chat is None:
        return None
    if isinstance(chat, int):
        return chat
    text = str(chat)
    ascii_int = text.lstrip("-")
    if ascii_int.isascii() and ascii_int.isdigit() and len(ascii_int) <= 19:
        return int(text)
    return text


class PacedSends(BaseRequestMiddleware):
    def __init__(self, pace: SendPace) -> None:
        self.pace = pace

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if _already_paced.get() or not isinstance(method, PACED_METHODS):
            return await make_request(bot, method)
        chat = chat_of(method)
        await self.pace.reply_turn(chat)
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as exc:
            self.pace.hold(chat, exc.retry_after)
            raise


__all__ = ["PACED_METHODS", "PacedSends", "already_paced", "chat_of"]
