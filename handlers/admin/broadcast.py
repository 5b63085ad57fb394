"""/broadcast: the message (a text, or a photo with a caption) for everyone, or a text per
language, or one language only; a preview per language with the recipients of each,
Confirm; the outbox sends it behind order notifications. The confirm message becomes the
progress message: sent / blocked / failed / waiting, in all and per language, with the
time left, edited every few seconds by the broadcasts job (bot/jobs/broadcasts.py), with
Pause, Resume, Cancel and Progress buttons. Cancel acts at once (no second question:
Pause is the button for second thoughts); the rows not sent yet are dropped and the
report says how many. The admin gets the report when it is done."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from pydantic import Field

from bot.deps import Deps
from bot.shop.admin_broadcast import Audience, BroadcastContent, BroadcastProgress
from bot.shop.errors import NotFound
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import broadcast_texts as btexts
from handlers.admin import keyboards as kb
from handlers.admin import texts
from handlers.admin.broadcast_progress import view as progress_view
from handlers.admin.callbacks import BroadcastAction, BroadcastCD
from handlers.admin.common import admin_router, reply
from handlers.admin.states import AdminFlow
from handlers.common.keyboards import KeyboardBuilder
from handlers.common.show import show
from handlers.common.texts import stale_button

MAX_TEXT = 4096
MAX_CAPTION = 1024

ALL, EACH, ONLY = "all", "each", "only"
Mode = Annotated[str, Field(pattern=r"^(each|only)$")]
LanguageCode = Annotated[str, Field(pattern=r"^([a-z]{2,5})?$")]


class BroadcastModeCD(CallbackData, prefix="abm"):
    mode: Mode
    language: LanguageCode = ""


def create_router() -> Router:
    router = admin_router("admin_broadcast")
    router.message.register(cmd_broadcast, Command("broadcast"))
    router.message.register(cmd_skip, AdminFlow.broadcast_message, Command("skip"))
    router.message.register(msg_content, AdminFlow.broadcast_message, ~F.text.startswith("/"))
    router.message.register(msg_waiting, AdminFlow.broadcast_confirm, ~F.text.startswith("/"))
    router.callback_query.register(cb_mode, BroadcastModeCD.filter())
    router.callback_query.register(cb_broadcast, BroadcastCD.filter())
    return router


def _languages(deps: Deps) -> list[str]:
    """The shipped languages, the default (the fallback) first."""
    default = deps.i18n.default_locale
    return [default, *sorted(set(deps.i18n.available_locales) - {default})]


def _modes(deps: Deps) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=btexts.button_each(), callback_data=BroadcastModeCD(mode=EACH))
    for code in _languages(deps):
        b.button(
            text=btexts.button_only(code), callback_data=BroadcastModeCD(mode=ONLY, language=code)
        )
    b.adjust(1)
    return b.as_markup()


async def cmd_broadcast(
    message: Message, command: CommandObject, state: FSMContext, deps: Deps
) -> None:
    if command.args:
        await message.answer(texts.usage("broadcast"))
        return
    await state.set_state(AdminFlow.broadcast_message)
    await state.set_data({"mode": ALL})
    await message.answer(
        texts.broadcast_prompt() + "\n\n" + btexts.choose_hint(deps.i18n.default_locale),
        reply_markup=_modes(deps),
    )


async def cb_mode(
    query: CallbackQuery, callback_data: BroadcastModeCD, state: FSMContext, deps: Deps
) -> None:
    languages = _languages(deps)
    if await state.get_state() != AdminFlow.broadcast_message.state or (
        callback_data.mode == ONLY and callback_data.language not in languages
    ):
        await query.answer(stale_button(), show_alert=True)
        return
    if callback_data.mode == EACH:
        data: dict[str, Any] = {"mode": EACH, "ask": languages, "contents": {}}
    else:
        data = {"mode": ONLY, "ask": [callback_data.language], "contents": {}}
    await state.set_data(data)
    await query.answer()
    if query.message is not None:
        await query.message.answer(_ask(data, deps))


def _ask(data: dict[str, Any], deps: Deps) -> str:
    code = data["ask"][0]
    default = deps.i18n.default_locale
    return btexts.ask_text(
        code,
        fallback=data["mode"] == EACH and code == default,
        skippable=data["mode"] == EACH and code != default,
        default=default,
    )


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


async def msg_content(message: Message, state: FSMContext, shop: Shop, deps: Deps) -> None:
    content = _content(message)
    if content is None:
        await message.answer(texts.broadcast_unsupported())
        return
    data = await state.get_data()
    stored = {"text": content.text, "photo": content.photo}
    if data.get("mode", ALL) == ALL:
        data = {"mode": ALL, "contents": {deps.i18n.default_locale: stored}}
    else:
        data["contents"] = {**data.get("contents", {}), data["ask"][0]: stored}
        data["ask"] = data["ask"][1:]
        if data["ask"]:
            await state.set_data(data)
            await message.answer(_ask(data, deps))
            return
    await _preview(message, state, shop, deps, data)


async def cmd_skip(message: Message, state: FSMContext, shop: Shop, deps: Deps) -> None:
    data = await state.get_data()
    ask = data.get("ask") or []
    if data.get("mode") != EACH or not ask:
        await message.answer(texts.broadcast_prompt())
        return
    if ask[0] == deps.i18n.default_locale:
        await message.answer(btexts.cannot_skip(ask[0]))
        return
    data["ask"] = ask[1:]
    if data["ask"]:
        await state.set_data(data)
        await message.answer(_ask(data, deps))
        return
    await _preview(message, state, shop, deps, data)


def _audience(data: dict[str, Any], deps: Deps) -> Audience:
    contents = {
        code: BroadcastContent(text=item.get("text") or "", photo=item.get("photo"))
        for code, item in (data.get("contents") or {}).items()
    }
    mode = data.get("mode", ALL)
    return Audience(
        contents=contents,
        fallback=deps.i18n.default_locale,
        only=next(iter(contents), None) if mode == ONLY else None,
        per_language=mode == EACH,
    )


async def _show(message: Message, content: BroadcastContent) -> None:
    if content.photo:
        await message.answer_photo(content.photo, caption=content.text or None)
    else:
        await message.answer(content.text)


async def _preview(
    message: Message, state: FSMContext, shop: Shop, deps: Deps, data: dict[str, Any]
) -> None:
    """Each text as customers will see it, then the recipients per language and Confirm."""
    audience = _audience(data, deps)
    counts = await shop.broadcasts.recipients_by_language(deps.i18n.pick)
    for code in _languages(deps):
        if code not in counts:
            counts[code] = 0
    total = sum(n for code, n in counts.items() if audience.content_for(code) is not None)
    broadcast_id = secrets.token_hex(6)
    await state.set_state(AdminFlow.broadcast_confirm)
    await state.set_data({**data, "id": broadcast_id})
    for code, content in audience.contents.items():
        if data.get("mode", ALL) != ALL:
            await message.answer(btexts.preview_for(code))
        await _show(message, content)
    await message.answer(
        btexts.recipients(audience, counts) + "\n\n" + texts.broadcast_preview(total),
        reply_markup=kb.broadcast_confirm(broadcast_id, total),
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
    pick = deps.i18n.pick
    match callback_data.action:
        case BroadcastAction.CANCEL:
            data = await state.get_data()
            if data.get("id") == broadcast_id:
                await state.clear()
            await reply(query, texts.broadcast_cancelled())
        case BroadcastAction.CONFIRM:
            await _confirm(query, broadcast_id, state, shop, user, deps)
        case BroadcastAction.PROGRESS:
            if await _show_progress(query, shop, broadcast_id, deps) is not None:
                await query.answer()
        case BroadcastAction.PAUSE | BroadcastAction.RESUME | BroadcastAction.STOP:
            try:
                if callback_data.action == BroadcastAction.PAUSE:
                    change = await shop.broadcasts.pause(broadcast_id, user.telegram_id)
                elif callback_data.action == BroadcastAction.RESUME:
                    change = await shop.broadcasts.resume(broadcast_id, user.telegram_id)
                else:
                    change = await shop.broadcasts.cancel(broadcast_id, user.telegram_id, pick)
            except NotFound:
                await query.answer(stale_button(), show_alert=True)
                return
            progress = await _show_progress(query, shop, broadcast_id, deps)
            if progress is None:
                return
            if not change.changed:
                # A stale or repeated tap: nothing changed; the message shows how it is.
                await query.answer(btexts.not_changed(change.record.state), show_alert=True)
            elif callback_data.action == BroadcastAction.STOP:
                await query.answer(btexts.stopped(progress.not_sent))
            else:
                await query.answer(btexts.changed(change.record.state))


async def _show_progress(
    query: CallbackQuery, shop: Shop, broadcast_id: str, deps: Deps
) -> BroadcastProgress | None:
    """The progress message as it is now (edited in place); the caller answers the tap.
    None: there is no such broadcast (tampered data): the tap is answered "out of date"."""
    try:
        progress = await shop.broadcasts.progress(broadcast_id, deps.i18n.pick)
    except NotFound:
        await query.answer(stale_button(), show_alert=True)
        return None
    text, markup = progress_view(progress, deps)
    await show(query, text, markup)
    return progress


async def _confirm(
    query: CallbackQuery,
    broadcast_id: str,
    state: FSMContext,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
) -> None:
    data = await state.get_data()
    if data.get("id") != broadcast_id:
        # Confirmed before (a second tap), or the flow is gone: show what there is.
        if await _show_progress(query, shop, broadcast_id, deps) is not None:
            await query.answer()
        return
    message = query.message
    chat_id = message.chat.id if message is not None else user.telegram_id
    started = await shop.broadcasts.start(
        user.telegram_id,
        chat_id,
        broadcast_id,
        _audience(data, deps),
        deps.i18n.pick,
        progress_message_id=message.message_id if message is not None else None,
    )
    await state.clear()
    progress = await shop.broadcasts.progress(broadcast_id, deps.i18n.pick)
    text, markup = progress_view(progress, deps)
    await reply(query, texts.broadcast_queued(started.record.total) + "\n\n" + text, markup)
