"""Small shared pieces of the handlers: showing a screen in place or as a new message,
and telling a customer something that must not be lost."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramNetworkError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.outbox.writer import Outbox, Priority

log = logging.getLogger(__name__)


async def show(
    event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the message a button belongs to; answer a typed message with a new one."""
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message) and message.text is not None:
            try:
                await message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest as exc:
                if "message is not modified" in exc.message:
                    return
        if message is not None:
            await event.bot.send_message(message.chat.id, text, reply_markup=markup)  # type: ignore[union-attr]
        return
    await event.answer(text, reply_markup=markup)


async def tell(
    bot: Bot,
    outbox: Outbox,
    chat_id: int,
    text: str,
    *,
    user_id: int | None = None,
    markup: InlineKeyboardMarkup | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Send a message that must reach the customer after a money event (committed before
    this is called); if Telegram refuses it or cannot be reached, queue it in the outbox,
    which retries it (and holds it for a customer who blocked the bot until they return).
    True when it went out directly."""
    try:
        await bot.send_message(chat_id, text, reply_markup=markup)
    except (TelegramAPIError, TelegramNetworkError, TimeoutError, OSError) as exc:
        log.info("message to %s not delivered (%s): queued in the outbox", chat_id, exc)
        await outbox.to_chat(
            chat_id,
            text,
            priority=Priority.ORDER,
            reply_markup=markup.model_dump(mode="json", exclude_none=True) if markup else None,
            dedupe_key=dedupe_key,
            user_id=user_id,
        )
        return False
    return True
