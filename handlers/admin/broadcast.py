"""/broadcast: the message (a text, or a photo with a caption), a preview with the number
of recipients, Confirm; the outbox sends it behind order notifications, and the admin
gets sent / blocked / failed when it is done (bot/jobs/broadcasts.py, run periodically,
or the Progress button meanwhile)."""

from __future__ import annotations

import secrets

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.deps import Deps
from bot.shop.admin_broadcast import BroadcastContent
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from bot.texts import operator_alerts
from handlers.admin import keyboards as kb
from handlers.admin import texts
from handlers.admin.callbacks import BroadcastAction, BroadcastCD
from handlers.admin.common import admin_router, reply
from handlers.admin.states import AdminFlow

MAX_TEXT = 4096
MAX_CAPTION = 1024


def create_router() -> Router:
    router = admin_router("admin_broadcast")
    router.message.register(cmd_broadcast, Command("broadcast"))
    router.message.register(msg_content, AdminFlow.broadcast_message, ~F.text.startswith("/"))
    router.message.register(msg_waiting, AdminFlow.broadcast_confirm, ~F.text.startswith("/"))
    router.callback_query.register(cb_broadcast, BroadcastCD.filter())
    return router


async def cmd_broadcast(message: Message, command: CommandObject, state: FSMContext) -> None:
    if command.args:
        await message.answer(texts.usage("broadcast"))
        return
    await state.set_state(AdminFlow.broadcast_message)
    await state.set_data({})
    await message.answer(texts.broadcast_prompt())


def _content(message: Message) -> BroadcastContent | None:
    """The message as it will be broadcast, with its formatting; None if it cannot be."""
    if message.photo:
        caption = message.html_text if message.caption else ""
        if len(caption) > MAX_CAPTION:
            return None
        return BroadcastContent(text=caption, photo=message.photo[-1].file_id)
    if message.text:
        text = message.html_text
        return BroadcastContent(text=text) if len(text) <= MAX_TEXT else None
    return None


async def msg_content(message: Message, state: FSMContext, shop: Shop) -> None:
    content = _content(message)
    if content is None:
        await message.answer(texts.broadcast_unsupported())
        return
    broadcast_id = secrets.token_hex(6)
    recipients = await shop.broadcasts.recipients()
    await state.set_state(AdminFlow.broadcast_confirm)
    await state.set_data({"id": broadcast_id, "text": content.text, "photo": content.photo})
    if content.photo:
        await message.answer_photo(content.photo, caption=content.text or None)
    else:
        await message.answer(content.text)
    await message.answer(
        texts.broadcast_preview(recipients),
        reply_markup=kb.broadcast_confirm(broadcast_id, recipients),
    )


async def msg_waiting(message: Message) -> None:
    await message.answer(texts.broadcast_waiting())


async def cb_broadcast(
    query: CallbackQuery,
    callback_data: BroadcastCD,
    state: FSMContext,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
) -> None:
    broadcast_id = callback_data.broadcast_id
    match callback_data.action:
        case BroadcastAction.PROGRESS:
            progress = await shop.broadcasts.progress(broadcast_id)
            await reply(
                query,
                operator_alerts.broadcast_status(progress),
                kb.broadcast_progress(broadcast_id),
            )
        case BroadcastAction.CANCEL:
            data = await state.get_data()
            if data.get("id") == broadcast_id:
                await state.clear()
            await reply(query, texts.broadcast_cancelled())
        case BroadcastAction.CONFIRM:
            await _confirm(query, broadcast_id, state, shop, user)


async def _confirm(
    query: CallbackQuery, broadcast_id: str, state: FSMContext, shop: Shop, user: UserDTO
) -> None:
    data = await state.get_data()
    if data.get("id") != broadcast_id:
        # Confirmed before (a second tap), or the flow is gone: show what there is.
        progress = await shop.broadcasts.progress(broadcast_id)  # NotFound when never sent
        await reply(
            query, operator_alerts.broadcast_status(progress), kb.broadcast_progress(broadcast_id)
        )
        return
    content = BroadcastContent(text=data.get("text") or "", photo=data.get("photo"))
    chat_id = query.message.chat.id if query.message is not None else user.telegram_id
    started = await shop.broadcasts.start(user.telegram_id, chat_id, broadcast_id, content)
    await state.clear()
    await reply(
        query, texts.broadcast_queued(started.record.total), kb.broadcast_progress(broadcast_id)
    )
