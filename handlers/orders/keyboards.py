"""The order list's buttons and an order's card (refresh, refill, cancel)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.shop.orders.models import OrderPage
from bot.shop.tracking import OrderView
from handlers.common.keyboards import KeyboardBuilder
from handlers.orders import texts
from handlers.orders.callbacks import OrderAction, OrderCD, OrdersCD
from handlers.storefront.keyboards import home_button, pager


def orders(page: OrderPage) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    for order in page.orders:
        b.row(
            InlineKeyboardButton(
                text=texts.order_label(order),
                callback_data=OrderCD(
                    action=OrderAction.CARD, order_id=order.id, page=page.page
                ).pack(),
            )
        )
    pages = max(1, -(-page.total // page.per_page))
    pager(b, page.page, pages, lambda p: OrdersCD(page=p))
    b.row(home_button())
    return b.as_markup()


def order_card(view: OrderView, page: int) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    actions = [
        (view.can_refresh, _("🔄 Refresh"), OrderAction.REFRESH),
        (view.can_refill, _("♻️ Refill"), OrderAction.REFILL),
        (view.can_cancel, _("✖ Cancel order"), OrderAction.CANCEL),
    ]
    row = [
        InlineKeyboardButton(
            text=label,
            callback_data=OrderCD(action=action, order_id=view.order.id, page=page).pack(),
        )
        for allowed, label, action in actions
        if allowed
    ]
    if row:
        b.row(*row)
    b.row(
        InlineKeyboardButton(text=_("« My orders"), callback_data=OrdersCD(page=page).pack()),
        home_button(),
    )
    return b.as_markup()


def confirm_cancel(order_id: int, page: int) -> InlineKeyboardMarkup:
    """Yes, cancel / Keep it (back to the card, nothing done)."""
    b = KeyboardBuilder()
    b.button(
        text=_("Yes, cancel"),
        callback_data=OrderCD(action=OrderAction.CANCEL_YES, order_id=order_id, page=page),
    )
    b.button(
        text=_("Keep it"),
        callback_data=OrderCD(action=OrderAction.CARD, order_id=order_id, page=page),
    )
    b.adjust(2)
    return b.as_markup()
