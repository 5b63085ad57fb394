"""A Bot API session that answers locally and records every call.

Used by handler tests and the update benchmark: the real dispatcher and the real `Bot`
run unchanged, only the transport is replaced. Replies are built as Telegram would
(messages get ids, edits change the stored message) so handlers see realistic objects.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiogram.client.session.base import BaseSession
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CreateInvoiceLink,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendInvoice,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Invoice, Message, MessageId, User

if TYPE_CHECKING:
    from aiogram import Bot

BOT_USER = User(id=42, is_bot=True, first_name="Storefront", username="storefront_bot")


@dataclass
class Sent:
    """One message the bot sent, as it currently stands (edits applied)."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: Any = None
    method: str = "sendMessage"
    deleted: bool = False
    history: list[str] = field(default_factory=list)


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self.messages: dict[tuple[int, int], Sent] = {}
        self._ids = itertools.count(1000)

    async def close(self) -> None:
        return None

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield b""

    def _message(
        self,
        bot: Bot,
        chat_id: int,
        text: str | None,
        markup: Any,
        message_id: int | None = None,
        **extra: Any,
    ) -> Message:
        return Message(
            message_id=message_id or next(self._ids),
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup"),
            from_user=BOT_USER,
            text=text,
            reply_markup=markup,
            **extra,
        ).as_(bot)

    def sent_to(self, chat_id: int) -> list[Sent]:
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id and not m.deleted]

    def methods(self, kind: type[TelegramMethod[Any]]) -> list[Any]:
        return [call for call in self.calls if isinstance(call, kind)]

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls.append(method)
        result: Any = True
        if isinstance(method, SendMessage | SendPhoto | SendDocument | SendInvoice):
            chat_id = int(method.chat_id)
            text = getattr(method, "text", None) or getattr(method, "caption", None) or ""
            if isinstance(method, SendInvoice):
                text = f"{method.title}\n{method.description}"
            message = self._message(bot, chat_id, text, method.reply_markup)
            if isinstance(method, SendInvoice):
                amount = sum(p.amount for p in method.prices)
                message = message.model_copy(
                    update={
                        "text": None,
                        "invoice": Invoice(
                            title=method.title,
                            description=method.description,
                            start_parameter="",
                            currency=method.currency,
                            total_amount=amount,
                        ),
                    }
                )
            self.messages[(chat_id, message.message_id)] = Sent(
                chat_id, message.message_id, text, method.reply_markup, method=method.__api_method__
            )
            result = message
        elif isinstance(method, EditMessageText | EditMessageReplyMarkup):
            chat_id, message_id = int(method.chat_id or 0), int(method.message_id or 0)
            stored = self.messages.get((chat_id, message_id))
            if stored is not None:
                if isinstance(method, EditMessageText):
                    stored.history.append(stored.text)
                    stored.text = method.text or ""
                stored.reply_markup = method.reply_markup
                result = self._message(
                    bot, chat_id, stored.text, stored.reply_markup, message_id=message_id
                )
            else:
                result = self._message(
                    bot,
                    chat_id,
                    getattr(method, "text", ""),
                    method.reply_markup,
                    message_id=message_id,
                )
        elif isinstance(method, DeleteMessage):
            stored = self.messages.get((int(method.chat_id), method.message_id))
            if stored is not None:
                stored.deleted = True
        elif isinstance(method, CopyMessage):
            result = MessageId(message_id=next(self._ids))
        elif isinstance(method, CreateInvoiceLink):
            result = f"https://t.me/$invoice{next(self._ids)}"
        elif isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, AnswerCallbackQuery):
            result = True
        return result
