"""The last router: whatever nothing else took gets a helpful answer, not silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from handlers.common import texts as common_texts
from handlers.menu import texts as menu_texts
from handlers.storefront import keyboards as kb
from handlers.storefront import texts


def create_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(cb_stale)
    router.message.register(msg_unknown)
    return router


async def cb_stale(query: CallbackQuery) -> None:
    """A button from an old message, a finished flow, or tampered data."""
    await query.answer(common_texts.stale_button(), show_alert=True)


async def msg_unknown(message: Message) -> None:
    """An unknown command, or something that is not text (a sticker, a photo): the menu
    and a hint, never "not found" (that is the search's answer to a word)."""
    if message.chat.type != "private":
        return
    if message.text and message.text.startswith("/"):
        text = menu_texts.unknown_command()
    elif message.text:
        text = texts.unknown_text()
    else:
        text = menu_texts.not_understood()
    await message.answer(text, reply_markup=kb.main_menu())
