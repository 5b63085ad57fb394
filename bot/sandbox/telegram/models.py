"""The emulator's state: who is there, what was said, what was paid, and the counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiogram.types import Update

from .entities import render_html
from .keyboards import inline_buttons


@dataclass(frozen=True)
class Persona:
    """A Telegram user who talks to the bot (a private chat with the same id)."""

    user_id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"
    is_admin_hint: bool = False
    last_name: str | None = None

    def as_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def as_private_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {
            "id": self.user_id,
            "type": "private",
            "first_name": self.first_name,
        }
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(frozen=True)
class GroupChat:
    """A supergroup the bot is in (as an administrator), e.g. the operators' chat."""

    chat_id: int
    title: str
    member_ids: tuple[int, ...] = ()
    username: str | None = None
    type: str = "supergroup"  # or "channel" (e.g. REQUIRED_CHANNEL)
    bot_status: str = "administrator"  # what getChatMember says of the bot in a channel

    def as_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "type": self.type, "title": self.title}
        if self.username:
            chat["username"] = self.username
        return chat


OPERATORS_CHAT_ID = -1001234567890


def default_personas() -> list[Persona]:
    return [
        Persona(1001, "Alice", "alice", "en"),
        Persona(1002, "Boris", "boris", "ru"),
        Persona(1000, "Admin", "shop_admin", "en", is_admin_hint=True),
    ]


def default_groups() -> list[GroupChat]:
    return [GroupChat(OPERATORS_CHAT_ID, "Operators", member_ids=(1000,))]


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # "photo" | "document"
    data: bytes | None = None
    url: str | None = None
    filename: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    file_path: str | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0

    def photo_sizes(self) -> list[dict[str, Any]]:
        size: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
        }
        if self.data is not None:
            size["file_size"] = self.size
        return [size]

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.filename:
            doc["file_name"] = self.filename
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        if self.data is not None:
            doc["file_size"] = self.size
        return doc


@dataclass
class StoredMessage:
    """One message of a chat as it is now (after edits). ``deleted`` ones stay flagged."""

    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    sender: dict[str, Any]
    chat: dict[str, Any]
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    keyboard_markup: dict[str, Any] | None = None
    link_preview_options: dict[str, Any] | None = None
    photo: StoredFile | None = None
    document: StoredFile | None = None
    invoice: dict[str, Any] | None = None
    invoice_payload: str | None = None
    paid_charge_id: str | None = None
    successful_payment: dict[str, Any] | None = None
    refunded_payment: dict[str, Any] | None = None
    reply_to: StoredMessage | None = None
    forward_origin: dict[str, Any] | None = None
    edit_date: int | None = None
    deleted: bool = False
    protect_content: bool = False

    @property
    def html(self) -> str:
        """Text (or caption) as the web chat shows it: safe HTML built from the entities."""
        if self.text is not None:
            return render_html(self.text, self.entities)
        return render_html(self.caption, self.caption_entities)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row after row."""
        return inline_buttons(self.reply_markup)

    def button(self, text: str) -> dict[str, Any]:
        for button in self.buttons:
            if button["text"] == text:
                return button
        raise LookupError(f"no button {text!r} in message {self.message_id}: {self.buttons}")

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat,
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if self.protect_content:
            message["has_protected_content"] = True
        if self.forward_origin is not None:
            message["forward_origin"] = self.forward_origin
        if with_reply and self.reply_to is not None:
            message["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
            if self.link_preview_options is not None:
                message["link_preview_options"] = self.link_preview_options
        if self.photo is not None:
            message["photo"] = self.photo.photo_sizes()
        if self.document is not None:
            message["document"] = self.document.document()
        if self.caption is not None:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        if self.invoice is not None:
            message["invoice"] = self.invoice
        if self.successful_payment is not None:
            message["successful_payment"] = self.successful_payment
        if self.refunded_payment is not None:
            message["refunded_payment"] = self.refunded_payment
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass
class ChatState:
    chat: dict[str, Any]
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    keyboard: dict[str, Any] | None = None
    blocked: bool = False
    last_action: str | None = None

    @property
    def chat_id(self) -> int:
        return int(self.chat["id"])

    @property
    def is_group(self) -> bool:
        return self.chat["type"] != "private"


@dataclass
class CallbackAnswer:
    """What the bot answered to one click (None text: answered silently)."""

    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass
class CallbackQueryRecord:
    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str | None
    answer: CallbackAnswer | None = None


@dataclass
class StarPayment:
    telegram_payment_charge_id: str
    user_id: int
    currency: str
    total_amount: int
    invoice_payload: str
    refunded: bool = False


@dataclass
class PaymentOutcome:
    """The result of ``TelegramEmulator.pay``: ``ok`` once successful_payment was posted."""

    ok: bool
    pre_checkout_query_id: str
    error_message: str | None = None
    telegram_payment_charge_id: str | None = None
    message: StoredMessage | None = None
    update: Update | None = None


@dataclass
class Counters:
    """What the bot did: calls per method, messages sent, 429s and other refusals by kind."""

    calls: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    edited: int = 0
    deleted: int = 0
    too_many_requests: int = 0
    violations: Counter[str] = field(default_factory=Counter)
    updates: int = 0
    polls: int = 0  # getUpdates calls that reached the emulator
    webhook_deliveries: int = 0
    webhook_failures: int = 0

    def reset(self) -> None:
        self.calls.clear()
        self.violations.clear()
        self.sent = self.edited = self.deleted = self.too_many_requests = 0
        self.updates = self.polls = self.webhook_deliveries = self.webhook_failures = 0
