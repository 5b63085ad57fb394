"""A Bot API session that answers locally and records every call.

Used by handler tests and the update benchmark: the real dispatcher and the real `Bot`
run unchanged, only the transport is replaced. Replies are built as Telegram would
(messages get ids, edits change the stored message) so handlers see realistic objects.

It refuses what Telegram refuses and remembers each refusal the bot caused (`errors`), so
a handler test can fail on any of them: a second answer to one callback query, a text
over 4096 characters, callback data over 64 bytes, a call made while a database
transaction is open (db/uow.py). `fail_with(Fault...)` makes every send fail the way
Telegram or the network can (403 blocked, 500, a lost connection, 429 with retry_after),
to test that no money effect depends on a reply.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CreateInvoiceLink,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChatMember,
    GetMe,
    SendDocument,
    SendInvoice,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    Chat,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardMarkup,
    InputFile,
    Invoice,
    Message,
    MessageId,
    User,
)

from db.uow import open_transactions

if TYPE_CHECKING:
    from aiogram import Bot

BOT_USER = User(id=42, is_bot=True, first_name="Storefront", username="storefront_bot")
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
# What "sending" means for a fault: anything that puts a message in a chat.
_SENDS = (
    SendMessage,
    SendPhoto,
    SendDocument,
    SendInvoice,
    EditMessageText,
    EditMessageReplyMarkup,
    CopyMessage,
)


class Fault(StrEnum):
    """How every send fails while a fault is on."""

    BLOCKED = "blocked"  # 403: the user blocked the bot
    SERVER = "server"  # 500 from Telegram
    NETWORK = "network"  # the connection was lost
    FLOOD = "flood"  # 429 with retry_after 30


class TransactionOpen(AssertionError):
    """A Bot API call was made while a database transaction was open."""


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
    file: bytes | None = None  # an uploaded document's contents
    filename: str | None = None


class RecordingSession(BaseSession):
    def __init__(self, *, latency: float = 0.0) -> None:
        """`latency`: seconds each call takes, like a round trip to Telegram (benchmarks)."""
        super().__init__()
        self.latency = latency
        self.calls: list[TelegramMethod[Any]] = []
        self.messages: dict[tuple[int, int], Sent] = {}
        # The same messages by chat: `sent_to` is asked after every update, and a scan of
        # every chat's messages made long benchmark runs quadratic.
        self._by_chat: dict[int, dict[int, Sent]] = {}
        self.errors: list[BaseException] = []  # refusals the bot caused
        self.fault: Fault | None = None
        # Chats whose user blocked the bot: every send to them is refused with 403.
        self.blocked: set[int] = set()
        self.faulted: list[TelegramMethod[Any]] = []  # sends refused by the fault
        self._answered: set[str] = set()
        self._ids = itertools.count(1000)
        # Channels the bot can ask getChatMember about: name -> Telegram id -> status
        # ("creator", "administrator", "member", "left", "kicked"); unknown ids are "left".
        self.channels: dict[str, dict[int, str]] = {}

    def fail_with(self, fault: Fault | None) -> None:
        """Every send fails with `fault` from now on (None: Telegram works again)."""
        self.fault = fault

    @contextmanager
    def failing(self, fault: Fault) -> Iterator[None]:
        """Every send fails with `fault` inside the block."""
        self.fail_with(fault)
        try:
            yield
        finally:
            self.fail_with(None)

    def _refuse(self, error: BaseException) -> None:
        self.errors.append(error)
        raise error

    def _check(self, method: TelegramMethod[Any]) -> None:
        """Telegram's refusals of what the bot asked for."""
        if open_transactions():
            self._refuse(
                TransactionOpen(f"{method.__api_method__} called inside a database transaction")
            )
        if isinstance(method, AnswerCallbackQuery):
            if method.callback_query_id in self._answered:
                self._refuse(
                    TelegramBadRequest(
                        method,
                        "Bad Request: query is too old and response timeout expired "
                        "or query ID is invalid",
                    )
                )
            self._answered.add(method.callback_query_id)
        text = getattr(method, "text", None)
        if isinstance(text, str) and len(text) > MAX_TEXT:
            self._refuse(TelegramBadRequest(method, "Bad Request: message is too long"))
        markup = getattr(method, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            for row in markup.inline_keyboard:
                for button in row:
                    data = button.callback_data
                    if data is not None and len(data.encode()) > MAX_CALLBACK_DATA:
                        self._refuse(TelegramBadRequest(method, "Bad Request: BUTTON_DATA_INVALID"))

    def _fail(self, method: TelegramMethod[Any]) -> None:
        if not isinstance(method, _SENDS):
            return
        chat_id = getattr(method, "chat_id", None)
        fault = self.fault
        if fault is None and chat_id is not None and int(chat_id) in self.blocked:
            fault = Fault.BLOCKED
        if fault is None:
            return
        self.faulted.append(method)
        failed: TelegramMethod[Any] = method  # as sent, not narrowed to the send kinds
        error: TelegramAPIError
        if fault is Fault.BLOCKED:
            error = TelegramForbiddenError(failed, "Forbidden: bot was blocked by the user")
        elif fault is Fault.SERVER:
            error = TelegramServerError(failed, "Internal Server Error")
        elif fault is Fault.NETWORK:
            error = TelegramNetworkError(failed, "Connection reset by peer")
        else:
            error = TelegramRetryAfter(failed, "Too Many Requests: retry after 30", retry_after=30)
        raise error

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
            # A message carries only an inline keyboard; a reply keyboard belongs to the chat.
            reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
            **extra,
        ).as_(bot)

    def _chat_member(self, method: GetChatMember) -> Any:
        """A channel member as Telegram describes one; a channel it does not know (or a
        private chat, which this session does not model) is refused."""
        members = self.channels.get(str(method.chat_id))
        if members is None:
            self._refuse(TelegramBadRequest(method, "Bad Request: chat not found"))
            raise AssertionError  # pragma: no cover - _refuse raises
        user = (
            BOT_USER
            if method.user_id == BOT_USER.id
            else User(id=method.user_id, is_bot=False, first_name=f"user {method.user_id}")
        )
        status = members.get(method.user_id, "left")
        if status == "administrator":
            rights = {
                name: name != "can_be_edited"
                for name, f in ChatMemberAdministrator.model_fields.items()
                if f.is_required() and name.startswith("can_")
            }
            return ChatMemberAdministrator.model_validate(
                {"user": user, "is_anonymous": False, **rights}
            )
        if status == "creator":
            return ChatMemberOwner(user=user, is_anonymous=False)
        if status == "member":
            return ChatMemberMember(user=user)
        if status == "kicked":
            return ChatMemberBanned(user=user, until_date=datetime.fromtimestamp(0, UTC))
        return ChatMemberLeft(user=user)

    def sent_to(self, chat_id: int) -> list[Sent]:
        chat = self._by_chat.get(chat_id, {})
        return [m for _, m in sorted(chat.items()) if not m.deleted]

    def _keep(self, sent: Sent) -> None:
        self.messages[(sent.chat_id, sent.message_id)] = sent
        self._by_chat.setdefault(sent.chat_id, {})[sent.message_id] = sent

    def methods(self, kind: type[TelegramMethod[Any]]) -> list[Any]:
        return [call for call in self.calls if isinstance(call, kind)]

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        self.calls.append(method)
        self._check(method)
        if self.latency:
            await asyncio.sleep(self.latency)
        self._fail(method)
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
            sent = Sent(
                chat_id, message.message_id, text, method.reply_markup, method=method.__api_method__
            )
            if isinstance(method, SendDocument) and isinstance(method.document, InputFile):
                sent.file = b"".join([chunk async for chunk in method.document.read(bot)])
                sent.filename = method.document.filename
            self._keep(sent)
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
            # Recorded in the target chat with the caption it was given (a copy's own
            # caption is not known here).
            copied = MessageId(message_id=next(self._ids))
            chat_id = int(method.chat_id)
            self._keep(
                Sent(
                    chat_id,
                    copied.message_id,
                    method.caption or "",
                    method.reply_markup,
                    method=method.__api_method__,
                )
            )
            result = copied
        elif isinstance(method, CreateInvoiceLink):
            result = f"https://t.me/$invoice{next(self._ids)}"
        elif isinstance(method, GetMe):
            result = BOT_USER
        elif isinstance(method, GetChatMember):
            result = self._chat_member(method)
        elif isinstance(method, AnswerCallbackQuery):
            result = True
        return result
