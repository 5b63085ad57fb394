"""The buttons under receipts and notices (bot/notice_buttons.py): each opens a new message
at the bottom of the chat; the receipt or notice itself is never edited.

They work however old the message is. The order id they carry is checked against the
customer who taps: somebody else's order is "not found" and nothing happens."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot.deps import Deps
from bot.notice_buttons import NoticeAction, NoticeCD
from bot.shop.errors import ServiceUnavailable
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.ordering import form
from handlers.orders import keyboards as kb
from handlers.orders import texts
from handlers.orders.my_orders import card_text
from handlers.storefront import keyboards as storefront_kb
from handlers.storefront import texts as storefront_texts


def create_router() -> Router:
    router = Router(name="notice_buttons")
    router.callback_query.register(cb_card, NoticeCD.filter(F.action == NoticeAction.CARD))
    router.callback_query.register(cb_again, NoticeCD.filter(F.action == NoticeAction.AGAIN))
    router.callback_query.register(cb_refill, NoticeCD.filter(F.action == NoticeAction.REFILL))
    router.callback_query.register(
        cb_new_order, NoticeCD.filter(F.action == NoticeAction.NEW_ORDER)
    )
    router.callback_query.register(cb_menu, NoticeCD.filter(F.action == NoticeAction.MENU))
    return router


def _chat(query: CallbackQuery) -> int:
    return query.message.chat.id if query.message is not None else query.from_user.id


async def cb_card(query: CallbackQuery, callback_data: NoticeCD, shop: Shop, user: UserDTO) -> None:
    view = await shop.tracking.view(user.id, callback_data.order_id)  # NotFound / NotYours
    await query.answer()
    await query.bot.send_message(  # type: ignore[union-attr]
        _chat(query), card_text(view), reply_markup=kb.order_card(view, 0)
    )


async def cb_again(
    query: CallbackQuery, callback_data: NoticeCD, state: FSMContext, shop: Shop, user: UserDTO
) -> None:
    """A new form for the service of one of the customer's orders."""
    order = await shop.orders.get_for_user(user.id, callback_data.order_id)
    if order.service_id is None:
        raise ServiceUnavailable(0)  # the service was deleted since
    await query.answer()
    await form.begin(_chat(query), query, state, shop, user, order.service_id)


async def cb_refill(
    query: CallbackQuery, callback_data: NoticeCD, shop: Shop, user: UserDTO
) -> None:
    await shop.tracking.refill(user.id, callback_data.order_id)  # checks the order is theirs
    view = await shop.tracking.view(user.id, callback_data.order_id)
    await query.answer(texts.refill_requested(), show_alert=True)
    await query.bot.send_message(  # type: ignore[union-attr]
        _chat(query), card_text(view), reply_markup=kb.order_card(view, 0)
    )


async def cb_new_order(query: CallbackQuery, shop: Shop) -> None:
    entries = await shop.catalog.platforms()
    await query.answer()
    await query.bot.send_message(  # type: ignore[union-attr]
        _chat(query),
        storefront_texts.platforms_title(entries),
        reply_markup=storefront_kb.platforms(entries),
    )


async def cb_menu(query: CallbackQuery, state: FSMContext, user: UserDTO, deps: Deps) -> None:
    await state.clear()
    await query.answer()
    await query.bot.send_message(  # type: ignore[union-attr]
        _chat(query),
        storefront_texts.main_menu_title(user.balance, deps.settings.shop_currency),
        reply_markup=storefront_kb.main_menu(),
    )
