"""The order form's buttons: skip or cancel a step, confirm, top up a shortfall."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.notice_buttons import receipt_markup
from bot.provider.models import SUBSCRIPTION_DELAYS
from bot.shop.order_form import OPTIONAL_STEPS, Step
from handlers.common.keyboards import KeyboardBuilder
from handlers.ordering.callbacks import FlowAction, FlowCD


def step(current: Step, token: str) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    if current is Step.DELAY:
        for delay in SUBSCRIPTION_DELAYS:
            b.button(
                text=str(delay),
                callback_data=FlowCD(action=FlowAction.CHOOSE, token=token, value=delay),
            )
        b.adjust(5)
    row = []
    if current in OPTIONAL_STEPS:
        row.append(
            InlineKeyboardButton(
                text=_("Skip »"), callback_data=FlowCD(action=FlowAction.SKIP, token=token).pack()
            )
        )
    row.append(
        InlineKeyboardButton(
            text=_("✖ Cancel"), callback_data=FlowCD(action=FlowAction.CANCEL, token=token).pack()
        )
    )
    b.row(*row)
    return b.as_markup()


def confirm(token: str) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=_("✅ Confirm"), callback_data=FlowCD(action=FlowAction.CONFIRM, token=token))
    b.button(text=_("✖ Cancel"), callback_data=FlowCD(action=FlowAction.CANCEL, token=token))
    b.adjust(2)
    return b.as_markup()


def shortfall(topup_label: str, token: str) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=topup_label, callback_data=FlowCD(action=FlowAction.TOPUP, token=token))
    b.button(text=_("✅ Confirm"), callback_data=FlowCD(action=FlowAction.CONFIRM, token=token))
    b.button(text=_("✖ Cancel"), callback_data=FlowCD(action=FlowAction.CANCEL, token=token))
    b.adjust(1, 2)
    return b.as_markup()


def order_done(order_id: int) -> InlineKeyboardMarkup:
    """Under the receipt: its buttons open new messages, the receipt stays as it is."""
    return receipt_markup(order_id)
