"""Support tickets in handler tests: operators writing in the operators' chat (a group) and
replying to the bot's messages there, customers sending photos, and what was stored."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    Update,
    User,
)
from sqlalchemy import select

from bot.sandbox.recording import BOT_USER, Sent
from db.models import SupportMessage, SupportTicket
from tests.handlers.arrange import OPERATORS
from tests.harness import Customer, ShopApp

_photos = itertools.count(1)


def ops_chat() -> Chat:
    return Chat(id=OPERATORS, type="supergroup", title="Operators")


def ops_messages(app: ShopApp) -> list[Sent]:
    return app.session.sent_to(OPERATORS)


def thread_of(app: ShopApp, ticket_id: int) -> Sent:
    for sent in ops_messages(app):
        if sent.text.startswith(f"🎫 <b>Ticket #{ticket_id}</b>"):
            return sent
    raise AssertionError(f"no thread message of ticket #{ticket_id}")


def photo(caption: str | None = None) -> dict[str, Any]:
    n = next(_photos)
    return {
        "photo": [PhotoSize(file_id=f"photo-{n}", file_unique_id=f"u{n}", width=90, height=90)],
        "caption": caption,
    }


async def send_photo(
    someone: Customer, caption: str | None = None, album: str | None = None
) -> Any:
    message = Message(
        message_id=next(someone.app._message_ids),
        date=datetime.now(UTC),
        chat=someone.chat,
        from_user=someone.user,
        media_group_id=album,
        **photo(caption),
    )
    return await someone.app.feed(Update(update_id=someone.app.next_update_id(), message=message))


@dataclass
class Operator:
    """Someone in the operators' chat."""

    app: ShopApp
    user: User

    async def write(
        self, text: str | None = None, *, reply_to: Sent | None = None, **extra: Any
    ) -> Any:
        replied = None
        if reply_to is not None:
            replied = Message(
                message_id=reply_to.message_id,
                date=datetime.now(UTC),
                chat=ops_chat(),
                from_user=BOT_USER,
                text=reply_to.text,
            )
        message = Message(
            message_id=next(self.app._message_ids),
            date=datetime.now(UTC),
            chat=ops_chat(),
            from_user=self.user,
            text=text,
            reply_to_message=replied,
            **extra,
        )
        return await self.app.feed(Update(update_id=self.app.next_update_id(), message=message))

    async def press(self, sent: Sent, label: str) -> Any:
        markup = sent.reply_markup
        assert isinstance(markup, InlineKeyboardMarkup), sent
        for row in markup.inline_keyboard:
            for button in row:
                if label in button.text and button.callback_data:
                    return await self.press_data(sent, button.callback_data)
        raise AssertionError(f"no button {label!r} under {sent.text[:40]!r}")

    async def press_data(self, sent: Sent, data: str) -> Any:
        message = Message(
            message_id=sent.message_id,
            date=datetime.now(UTC),
            chat=ops_chat(),
            from_user=BOT_USER,
            text=sent.text,
            reply_markup=sent.reply_markup
            if isinstance(sent.reply_markup, InlineKeyboardMarkup)
            else None,
        )
        query = CallbackQuery(
            id=str(self.app.next_update_id()),
            from_user=self.user,
            chat_instance="ops",
            data=data,
            message=message,
        )
        return await self.app.feed(
            Update(update_id=self.app.next_update_id(), callback_query=query)
        )


def operator(app: ShopApp, telegram_id: int, name: str, username: str | None = None) -> Operator:
    return Operator(
        app,
        User(id=telegram_id, is_bot=False, first_name=name, username=username, language_code="en"),
    )


async def tickets(app: ShopApp) -> list[SupportTicket]:
    async with app.deps.session_factory() as session, session.begin():
        return list(await session.scalars(select(SupportTicket).order_by(SupportTicket.id)))


async def ticket_messages(app: ShopApp) -> list[SupportMessage]:
    async with app.deps.session_factory() as session, session.begin():
        return list(await session.scalars(select(SupportMessage).order_by(SupportMessage.id)))


async def open_ticket(someone: Customer, text: str, *, order_label: str | None = None) -> int:
    """/support, pick the order (or none), write: the new ticket's id."""
    await someone.send("/support")
    await someone.click(order_label or "Not about an order")
    await someone.send(text)
    assert "is open" in someone.last_text, someone.last_text
    return (await tickets(someone.app))[-1].id
