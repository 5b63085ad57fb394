"""The operators' chat (OPERATOR_CHAT_ID): each ticket is one thread message there, and
operators answer a customer by replying to it (or to any later message of its thread).

Who is an operator: whoever can write in the operators' chat (the shop's staff chat, which
already gets customers' data in alerts); ADMIN_IDS are not required, and a button or a
reply counts only inside that chat. Nothing written there reaches a customer unless it is
a reply to a message of a ticket; a reply to anything else, and any other message that is
not a command, is left alone (the storefront does not answer in the operators' chat).

An answer is sent to the customer first and recorded after (`answered`): a customer who
blocked the bot gets nothing, the operator is told in a reply, and the ticket stays as it
was. A reply to a closed ticket is not sent; the operator gets a Reopen button.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, ReplyParameters, TelegramObject
from aiogram.types import User as TgUser

from bot.deps import Deps
from bot.i18n import in_language
from bot.shop.errors import NotFound
from bot.shop.services import Shop
from bot.shop.support.values import (
    Posted,
    ThreadView,
    TicketClosed,
    TicketNotClosed,
    TicketNotFound,
)
from bot.support_buttons import answer_markup, reopen_markup, thread_markup
from bot.support_threads import edit_thread
from bot.texts.format import fmt
from bot.texts.tickets import answer, thread
from handlers.admin import texts as admin_texts
from handlers.support import texts
from handlers.support.callbacks import OperatorAction, OperatorCD

log = logging.getLogger(__name__)

MAX_ANSWER = 3500  # characters of an operator's answer (one message with its heading)
MAX_CAPTION = 1024  # Telegram's limit of a photo's caption


class InOperatorsChat(Filter):
    """The event happened in OPERATOR_CHAT_ID (read on each update: tests set it late)."""

    async def __call__(self, event: TelegramObject, deps: Deps) -> bool:
        chat_id = deps.settings.operator_chat_id
        if chat_id is None:
            return False
        if isinstance(event, Message):
            return event.chat.id == chat_id
        if isinstance(event, CallbackQuery):
            return event.message is not None and event.message.chat.id == chat_id
        return False


def create_router() -> Router:
    router = Router(name="support_operators")
    router.message.filter(InOperatorsChat())
    router.callback_query.filter(InOperatorsChat())
    router.message.register(msg_reply, F.reply_to_message)
    # Everything else said there (not a command) is the operators' own talk.
    router.message.register(msg_ignore, ~F.text.startswith("/"))
    router.callback_query.register(cb_operator, OperatorCD.filter())
    return router


def operator_name(user: TgUser) -> str:
    return f"@{user.username}" if user.username else (user.first_name or str(user.id))


def _reply_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


# --- posting what the customer sent ------------------------------------------------------


async def post_new(bot: Bot, shop: Shop, deps: Deps, posted: Posted, source: Message) -> None:
    """The new ticket's thread message, and its photo as a reply to it."""
    chat_id = deps.settings.operator_chat_id
    view = posted.view
    if chat_id is None:
        log.warning("support ticket #%s opened, but OPERATOR_CHAT_ID is not set", view.ticket.id)
        return
    try:
        with in_language(deps.i18n, None):
            sent = await bot.send_message(
                chat_id,
                thread(view, deps.settings.shop_currency),
                reply_markup=thread_markup(view),
            )
    except TelegramAPIError:
        log.exception("support ticket #%s: the thread message was not sent", view.ticket.id)
        return
    await shop.support.place_thread(view.ticket.id, chat_id=chat_id, message_id=sent.message_id)
    if source.photo:
        await _copy_photo(bot, shop, deps, posted, source, thread_id=sent.message_id)


async def post_follow_up(bot: Bot, shop: Shop, deps: Deps, posted: Posted, source: Message) -> None:
    """A customer's further message as a reply to the ticket's thread message; the thread
    message shows the state again when it changed."""
    chat_id = deps.settings.operator_chat_id
    view = posted.view
    if chat_id is None:
        return
    thread_id = view.ticket.thread_message_id
    if source.photo:
        await _copy_photo(bot, shop, deps, posted, source, thread_id=thread_id)
    else:
        try:
            with in_language(deps.i18n, None):
                text = texts.op_follow_up(view, source.text or "")
            sent = await bot.send_message(chat_id, text, reply_parameters=_reply_to(thread_id))
        except TelegramAPIError:
            log.exception("support ticket #%s: a follow-up was not posted", view.ticket.id)
            return
        await shop.support.place_message(
            posted.message_id, chat_id=chat_id, operator_message_id=sent.message_id
        )
    if posted.reopened:
        await edit_thread(bot, deps, view)


async def _copy_photo(
    bot: Bot, shop: Shop, deps: Deps, posted: Posted, source: Message, *, thread_id: int | None
) -> None:
    chat_id = deps.settings.operator_chat_id
    if chat_id is None:
        return
    view = posted.view
    with in_language(deps.i18n, None):
        head = texts.op_photo_caption(view)
    caption = source.caption or ""
    full = f"{head}\n{fmt('{c}', c=caption)}" if caption else head
    try:
        copied = await bot.copy_message(
            chat_id,
            source.chat.id,
            source.message_id,
            caption=full if len(full) <= MAX_CAPTION else head,
            reply_parameters=_reply_to(thread_id),
        )
    except TelegramAPIError:
        log.exception("support ticket #%s: a photo was not copied", view.ticket.id)
        return
    await shop.support.place_message(
        posted.message_id, chat_id=chat_id, operator_message_id=copied.message_id
    )


async def ticket_changed(
    bot: Bot, shop: Shop, deps: Deps, view: ThreadView, *, note: Any = None
) -> None:
    """The thread message shows the change; `note(ticket id)` says it in a reply to it
    (itself a message of the thread: a reply to it answers the ticket)."""
    await edit_thread(bot, deps, view)
    t = view.ticket
    if note is None or t.thread_chat_id is None:
        return
    with in_language(deps.i18n, None):
        text = note(t.id)
    try:
        sent = await bot.send_message(
            t.thread_chat_id, text, reply_parameters=_reply_to(t.thread_message_id)
        )
    except TelegramAPIError as exc:
        log.warning("support ticket #%s: note not posted: %s", t.id, exc)
        return
    await shop.support.place_note(
        t.id, chat_id=t.thread_chat_id, operator_message_id=sent.message_id
    )


# --- operators answering -----------------------------------------------------------------


async def msg_ignore(message: Message) -> None:
    """Operators talking among themselves: not the storefront's business."""


async def msg_reply(message: Message, bot: Bot, shop: Shop, deps: Deps) -> None:
    replied = message.reply_to_message
    if replied is None or message.from_user is None or message.from_user.is_bot:
        return
    view = await shop.support.for_operator_message(message.chat.id, replied.message_id)
    if view is None:
        return  # a reply to something that is not a ticket's: nothing to do
    ticket = view.ticket
    text = message.text or message.caption or ""
    photo = message.photo[-1].file_id if message.photo else None
    if not text.strip() and photo is None:
        await message.reply(texts.op_empty())
        return
    if len(text) > MAX_ANSWER:
        await message.reply(texts.op_too_long(MAX_ANSWER))
        return
    if ticket.closed:
        await message.reply(texts.op_closed_reply(ticket.id), reply_markup=reopen_markup(ticket.id))
        return
    customer = view.customer
    try:
        await _deliver(bot, deps, view, message, text, photo is not None)
    except TelegramForbiddenError:
        await message.reply(texts.op_blocked(ticket.id))
        return
    except TelegramAPIError as exc:
        log.warning("support ticket #%s: answer not delivered: %s", ticket.id, exc)
        await message.reply(texts.op_not_delivered(ticket.id))
        return
    was = ticket.state
    after = await shop.support.answered(
        ticket.id,
        operator_id=message.from_user.id,
        text=text,
        photo=photo,
        chat_id=message.chat.id,
        operator_message_id=message.message_id,
    )
    if after.ticket.state is not was:
        await edit_thread(bot, deps, after)
    log.info("support ticket #%s answered to %s", ticket.id, customer.telegram_id)


async def _deliver(
    bot: Bot, deps: Deps, view: ThreadView, message: Message, text: str, is_photo: bool
) -> None:
    """Support's answer in the customer's chat, in their language, with Reply."""
    ticket, customer = view.ticket, view.customer
    with in_language(deps.i18n, customer.language):
        body = answer(ticket.id, text)
        head = answer(ticket.id, "")
        markup = answer_markup(ticket.id)
    if not is_photo:
        await bot.send_message(customer.telegram_id, body, reply_markup=markup)
        return
    fits = len(body) <= MAX_CAPTION
    await bot.copy_message(
        customer.telegram_id,
        message.chat.id,
        message.message_id,
        caption=body if fits else head,
        reply_markup=markup if fits else None,
    )
    if not fits:
        await bot.send_message(customer.telegram_id, body, reply_markup=markup)


# --- the thread's buttons ----------------------------------------------------------------


async def cb_operator(
    query: CallbackQuery, callback_data: OperatorCD, bot: Bot, shop: Shop, deps: Deps
) -> None:
    ticket_id = callback_data.ticket
    who = query.from_user
    try:
        match callback_data.action:
            case OperatorAction.TAKE:
                view = await shop.support.take(
                    ticket_id, operator_id=who.id, name=operator_name(who)
                )
                await edit_thread(bot, deps, view)
                await query.answer(texts.op_taken(ticket_id))
            case OperatorAction.CLOSE:
                view = await shop.support.close(ticket_id, actor_id=who.id)
                await edit_thread(bot, deps, view)
                await query.answer(texts.op_closed(ticket_id))
            case OperatorAction.REOPEN:
                view = await shop.support.reopen(ticket_id, actor_id=who.id)
                name = operator_name(who)
                await ticket_changed(
                    bot, shop, deps, view, note=lambda i: texts.op_reopened(i, name)
                )
                await query.answer(texts.op_reopened(ticket_id, name)[:200])
            case OperatorAction.ORDER:
                await _show_order(query, bot, shop, deps, ticket_id)
    except TicketNotFound:
        await query.answer(texts.ticket_not_found(), show_alert=True)
    except TicketClosed:
        await query.answer(texts.op_already_closed(ticket_id), show_alert=True)
    except TicketNotClosed:
        await query.answer(texts.op_already_open(ticket_id), show_alert=True)


async def _show_order(
    query: CallbackQuery, bot: Bot, shop: Shop, deps: Deps, ticket_id: int
) -> None:
    """The admin's view of the order the ticket is about, as a reply to the thread."""
    view = await shop.support.thread(ticket_id)
    order_id = view.ticket.order_id
    if order_id is None:
        await query.answer(texts.op_no_order(), show_alert=True)
        return
    try:
        card = await shop.admin.order(query.from_user.id, order_id)
    except NotFound:
        await query.answer(texts.order_not_found(), show_alert=True)
        return
    await query.answer()
    chat_id = view.ticket.thread_chat_id or deps.settings.operator_chat_id
    if chat_id is None:
        return
    sent = await bot.send_message(
        chat_id,
        admin_texts.order_card(card, deps.settings.shop_currency),
        reply_parameters=_reply_to(view.ticket.thread_message_id),
    )
    await shop.support.place_note(ticket_id, chat_id=chat_id, operator_message_id=sent.message_id)
