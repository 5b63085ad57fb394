"""The customer's support: /support and the menu's Support button open a ticket (which
order it is about, then the message: text and/or photos), the buttons under support's
answers write to the same ticket again, and a closed ticket reopens with its Reopen button.

Plain messages reach support only inside the flow's states (after a button asked for
them); outside them text stays the storefront's (search, greetings). What the customer
sends goes to the ticket's thread in the operators' chat as a reply to its thread
message (operators.py posts and maps it)."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.deps import Deps
from bot.shop.errors import NotFound, ShopError
from bot.shop.services import Shop
from bot.shop.support.values import (
    EmptyMessage,
    MessageTooLong,
    Posted,
    TicketClosed,
    TicketNotClosed,
    TicketNotFound,
    TooManyMessages,
    TooManyTickets,
)
from bot.shop.users import UserDTO
from handlers.common.show import show
from handlers.support import keyboards as kb
from handlers.support import operators, texts
from handlers.support.callbacks import TicketAction, TicketCD
from handlers.support.states import SupportFlow

log = logging.getLogger(__name__)

NOT_COMMAND = ~F.text.startswith("/")
TICKET_KEY = "support_ticket"
ORDER_KEY = "support_order"
ALBUM_KEY = "support_album"


def create_router() -> Router:
    router = Router(name="support")
    router.message.register(cmd_support, Command("support"))
    router.message.register(msg_first, SupportFlow.writing, NOT_COMMAND)
    router.message.register(msg_follow_up, SupportFlow.follow_up, NOT_COMMAND)
    router.callback_query.register(cb_ticket, TicketCD.filter())
    return router


def refusal(error: ShopError) -> str:
    """The customer's words for a refusal of the support use cases."""
    if isinstance(error, MessageTooLong):
        return texts.too_long(error)
    if isinstance(error, TooManyTickets):
        return texts.too_many_tickets(error.limit)
    if isinstance(error, TooManyMessages):
        return texts.too_many_messages()
    if isinstance(error, EmptyMessage):
        return texts.empty()
    if isinstance(error, TicketClosed):
        return texts.ticket_closed(error.ticket_id)
    if isinstance(error, NotFound):
        return texts.order_not_found()
    return texts.ticket_not_found()


async def cmd_support(
    message: Message, state: FSMContext, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    """Also the menu's Support button (handlers/menu/router.py)."""
    await state.clear()
    contact = deps.settings.support_contact
    unclosed = await shop.support.unclosed(user.id)
    try:
        await shop.support.check_can_open(user.id)
    except TooManyTickets as error:
        lines = [texts.too_many_tickets(error.limit)]
        markup = None
        if unclosed is not None:
            markup = kb.write_more(unclosed.id)
        if contact:
            lines.append(texts.contact_line(contact))
        await message.answer("\n".join(lines), reply_markup=markup)
        return
    orders = await shop.support.recent_orders(user.id)
    await state.set_state(SupportFlow.choosing)
    await message.answer(
        texts.start(contact, unclosed, bool(orders)), reply_markup=kb.pick_order(orders, unclosed)
    )


async def cb_ticket(
    query: CallbackQuery,
    callback_data: TicketCD,
    state: FSMContext,
    bot: Bot,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
) -> None:
    action = callback_data.action
    if action is TicketAction.CANCEL:
        await state.clear()
        await show(query, texts.cancelled())
        await query.answer()
        return
    if action in (TicketAction.ORDER, TicketAction.NO_ORDER):
        order_id = callback_data.order if action is TicketAction.ORDER else None
        if order_id is not None:
            try:
                await shop.support.order_of(user.id, order_id)
            except NotFound:
                await query.answer(texts.order_not_found(), show_alert=True)
                return
        await state.set_state(SupportFlow.writing)
        await state.update_data({ORDER_KEY: order_id})
        await show(query, texts.write_prompt(order_id), kb.cancel())
        await query.answer()
        return
    ticket_id = callback_data.ticket
    if action is TicketAction.REOPEN:
        try:
            view = await shop.support.reopen_by_customer(user.id, ticket_id)
        except TicketNotFound:
            await query.answer(texts.ticket_not_found(), show_alert=True)
            return
        except TicketNotClosed:
            pass  # open already: just write to it
        else:
            await operators.ticket_changed(
                bot, shop, deps, view, note=texts.op_reopened_by_customer
            )
        await _ask_follow_up(query, state, ticket_id, reopened=True)
        return
    # WRITE, REPLY: the ticket must be this customer's and not closed.
    ticket = await shop.support.own_ticket(user.id, ticket_id)
    if ticket is None:
        await query.answer(texts.ticket_not_found(), show_alert=True)
        return
    if ticket.closed:
        await query.answer()
        await _send(query, texts.ticket_closed(ticket_id), kb.reopen(ticket_id))
        return
    await _ask_follow_up(query, state, ticket_id, reopened=False)


async def _ask_follow_up(
    query: CallbackQuery, state: FSMContext, ticket_id: int, *, reopened: bool
) -> None:
    await state.set_state(SupportFlow.follow_up)
    await state.set_data({TICKET_KEY: ticket_id})
    await query.answer()
    text = texts.reopened(ticket_id) if reopened else texts.follow_up_prompt(ticket_id)
    # A new message: the one with the button (support's answer, a notice) stays as it is.
    await _send(query, text, kb.cancel())


async def _send(query: CallbackQuery, text: str, markup: object) -> None:
    if query.message is not None and query.bot is not None:
        await query.bot.send_message(query.message.chat.id, text, reply_markup=markup)  # type: ignore[arg-type]


def _content(message: Message) -> tuple[str, str | None]:
    """The text (or caption) and the largest photo's file id of a customer's message."""
    text = message.text or message.caption or ""
    photo = message.photo[-1].file_id if message.photo else None
    return text, photo


async def _after(message: Message, state: FSMContext, ticket_id: int) -> bool:
    """Keep the flow for the rest of an album (its photos come as separate messages);
    True when this message is the first of what the customer sent (a receipt is due)."""
    album = message.media_group_id
    data = await state.get_data()
    first = album is None or data.get(ALBUM_KEY) != album
    if album is None:
        await state.clear()
    else:
        await state.set_state(SupportFlow.follow_up)
        await state.set_data({TICKET_KEY: ticket_id, ALBUM_KEY: album})
    return first


async def msg_first(
    message: Message, state: FSMContext, bot: Bot, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    """The new ticket's first message."""
    data = await state.get_data()
    order_id = data.get(ORDER_KEY)
    text, photo = _content(message)
    try:
        posted = await shop.support.open(
            user.id,
            order_id=order_id if isinstance(order_id, int) else None,
            text=text,
            photo=photo,
        )
    except ShopError as error:
        await message.answer(refusal(error), reply_markup=kb.cancel())
        return
    ticket_id = posted.view.ticket.id
    first = await _after(message, state, ticket_id)
    await operators.post_new(bot, shop, deps, posted, message)
    if first:
        await message.answer(texts.opened(ticket_id), reply_markup=kb.write_more(ticket_id))


async def msg_follow_up(
    message: Message, state: FSMContext, bot: Bot, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    data = await state.get_data()
    ticket_id = data.get(TICKET_KEY)
    if not isinstance(ticket_id, int):
        await state.clear()
        await message.answer(texts.ticket_not_found())
        return
    text, photo = _content(message)
    try:
        posted: Posted = await shop.support.follow_up(user.id, ticket_id, text=text, photo=photo)
    except TicketClosed:
        await state.clear()
        await message.answer(texts.ticket_closed(ticket_id), reply_markup=kb.reopen(ticket_id))
        return
    except TicketNotFound:
        await state.clear()
        await message.answer(texts.ticket_not_found())
        return
    except ShopError as error:
        await message.answer(refusal(error), reply_markup=kb.cancel())
        return
    first = await _after(message, state, ticket_id)
    await operators.post_follow_up(bot, shop, deps, posted, message)
    if first:
        await message.answer(texts.sent(ticket_id), reply_markup=kb.write_more(ticket_id))
