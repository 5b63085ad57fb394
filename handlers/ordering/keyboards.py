"""The order form's buttons: skip or cancel a step, confirm, top up a shortfall."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.provider.models import SUBSCRIPTION_DELAYS
from bot.shop.order_form import OPTIONAL_STEPS, Step
from handlers.common.keyboards import KeyboardBuilder
from handlers.ordering.callbacks import FlowAction, FlowCD
from handlers.orders.callbacks import OrderAction, OrderCD
from handlers.storefront.callbacks import (
    Menu,
    MenuCD,
)
from handlers.storefront.keyboards import home_button


def step(current: Step) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    if current is Step.DELAY:
        for delay in SUBSCRIPTION_DELAYS:
            b.button(text=str(delay), callback_data=FlowCD(action=FlowAction.CHOOSE, value=delay))
        b.adjust(5)
    row = []
    if current in OPTIONAL_STEPS:
        row.append(
            InlineKeyboardButton(
                text=_("Skip »"), callback_data=FlowCD(action=FlowAction.SKIP).pack()
            )
        )
    row.append(
        InlineKeyboardButton(
            text=_("✖ Cancel"), callback_data=FlowCD(action=FlowAction.CANCEL).pack()
        )
    )
    b.row(*row)
    return b.as_markup()


def confirm() -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=_("✅ Confirm"), callback_data=FlowCD(action=FlowAction.CONFIRM))
    b.button(text=_("✖ Cancel"), callback_data=FlowCD(action=FlowAction.CANCEL))
    b.adjust(2)
    return b.as_markup()


def shortfall(topup_label: str) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=topup_label, callback_data=FlowCD(action=FlowAction.TOPUP))
    b.button(text=_("✅ Confirm"), callback_data=FlowCD(action=FlowAction.CONFIRM))
    b.button(text=_("✖ Cancel"), callback_data=FlowCD(action=FlowAction.CANCEL))
    b.adjust(1, 2)
    return b.as_markup()


def order_done(order_id: int) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(
        text=_("📄 Order #{id}").format(id=order_id),
        callback_data=OrderCD(action=OrderAction.CARD, order_id=order_id),
    )
    b.button(text=_("🛒 New order"), callback_data=MenuCD(action=Menu.NEW_ORDER))
    b.row(home_button())
    b.adjust(2)
    return b.as_markup()
