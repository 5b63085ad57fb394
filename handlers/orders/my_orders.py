"""My orders: the paged list, an order card, and Refresh / Refill / Cancel on it."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.shop.services import Shop
from bot.shop.tracking import ActionNotAvailable, CancelAlreadyRequested, OrderView
from bot.shop.users import UserDTO
from handlers.common import error_texts
from handlers.common import texts as common_texts
from handlers.common.show import show
from handlers.orders import keyboards as kb
from handlers.orders import texts
from handlers.orders.callbacks import OrderAction, OrderCD, OrdersCD
from handlers.storefront.callbacks import Menu, MenuCD

PER_PAGE = 6


def create_router() -> Router:
    router = Router(name="orders")
    router.message.register(cmd_orders, Command("orders"))
    router.callback_query.register(cb_orders_menu, MenuCD.filter(F.action == Menu.ORDERS))
    router.callback_query.register(cb_orders_page, OrdersCD.filter())
    router.callback_query.register(cb_card, OrderCD.filter(F.action == OrderAction.CARD))
    router.callback_query.register(cb_refresh, OrderCD.filter(F.action == OrderAction.REFRESH))
    router.callback_query.register(cb_refill, OrderCD.filter(F.action == OrderAction.REFILL))
    router.callback_query.register(cb_cancel, OrderCD.filter(F.action == OrderAction.CANCEL))
    router.callback_query.register(
        cb_cancel_yes, OrderCD.filter(F.action == OrderAction.CANCEL_YES)
    )
    return router


async def cmd_orders(message: Message, shop: Shop, user: UserDTO) -> None:
    page = await shop.orders.page_for_user(user.id, page=0, per_page=PER_PAGE)
    await message.answer(texts.orders_title(page), reply_markup=kb.orders(page))


async def cb_orders_menu(query: CallbackQuery, shop: Shop, user: UserDTO) -> None:
    await _list(query, shop, user, 0)


async def cb_orders_page(
    query: CallbackQuery, callback_data: OrdersCD, shop: Shop, user: UserDTO
) -> None:
    await _list(query, shop, user, callback_data.page)


async def _list(query: CallbackQuery, shop: Shop, user: UserDTO, page_no: int) -> None:
    page = await shop.orders.page_for_user(user.id, page=page_no, per_page=PER_PAGE)
    if page_no > 0 and not page.orders:  # a stale page: show the first one
        page = await shop.orders.page_for_user(user.id, page=0, per_page=PER_PAGE)
    await show(query, texts.orders_title(page), kb.orders(page))
    await query.answer()


def card_text(view: OrderView) -> str:
    return texts.order_card(view.order, view.refills, view.usual, view.cancel_requested)


async def cb_card(query: CallbackQuery, callback_data: OrderCD, shop: Shop, user: UserDTO) -> None:
    view = await shop.tracking.view(user.id, callback_data.order_id)  # NotYours / NotFound
    await show(query, card_text(view), kb.order_card(view, callback_data.page))
    await query.answer()


async def cb_refresh(
    query: CallbackQuery, callback_data: OrderCD, shop: Shop, user: UserDTO
) -> None:
    view, wait = await shop.tracking.refresh(user.id, callback_data.order_id)
    await show(query, card_text(view), kb.order_card(view, callback_data.page))
    await query.answer(texts.refreshed_too_soon(wait) if wait else None)


async def cb_refill(
    query: CallbackQuery, callback_data: OrderCD, shop: Shop, user: UserDTO
) -> None:
    await shop.tracking.refill(user.id, callback_data.order_id)
    view = await shop.tracking.view(user.id, callback_data.order_id)
    await show(query, card_text(view), kb.order_card(view, callback_data.page))
    await query.answer(texts.refill_requested(), show_alert=True)


async def cb_cancel(
    query: CallbackQuery, callback_data: OrderCD, shop: Shop, user: UserDTO
) -> None:
    """First the question: nothing is sent to the panel before the customer confirms."""
    view = await shop.tracking.view(user.id, callback_data.order_id)
    if view.cancel_requested:
        await query.answer(error_texts.customer_error(CancelAlreadyRequested(view.order.id), ""))
        return
    if not view.can_cancel:
        await query.answer(common_texts.stale_button())
        return
    await show(
        query,
        card_text(view) + "\n\n" + texts.confirm_cancel(view.order),
        kb.confirm_cancel(view.order.id, callback_data.page),
    )
    await query.answer()


async def cb_cancel_yes(
    query: CallbackQuery, callback_data: OrderCD, shop: Shop, user: UserDTO
) -> None:
    try:
        await shop.tracking.cancel(user.id, callback_data.order_id)
    except ActionNotAvailable:  # a confirmation left from before the order moved on
        await query.answer(common_texts.stale_button())
        return
    view = await shop.tracking.view(user.id, callback_data.order_id)
    await show(query, card_text(view), kb.order_card(view, callback_data.page))
    await query.answer(texts.cancel_requested(), show_alert=True)
