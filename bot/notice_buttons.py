"""Buttons under the messages nothing edits later: a placement's receipt and the notices
the bot sends on its own (an order completed, partial, canceled ...).

Such a message stays where it is in the chat: its buttons open new messages at the bottom
instead of rewriting it, and they keep working however old the message is. The order id
they carry is checked against the customer who taps (another customer's id is "not
found"). The callback data lives here, beside the background jobs that attach it; the
handlers are in handlers/orders/notices.py."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from bot.numbers import MAX_INT64


class NoticeAction(StrEnum):
    CARD = "c"  # the order's card
    AGAIN = "a"  # a new form for the order's service
    REFILL = "f"
    NEW_ORDER = "n"  # the catalogue
    MENU = "m"


class NoticeCD(CallbackData, prefix="nb"):
    action: NoticeAction
    order_id: Annotated[int, Field(ge=0, le=MAX_INT64)] = 0


def _button(text: str, action: NoticeAction, order_id: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=NoticeCD(action=action, order_id=order_id).pack()
    )


def receipt_markup(order_id: int) -> InlineKeyboardMarkup:
    """Under a placement's receipt: the order's card, a new order, the menu."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("📄 Order #{id}").format(id=order_id), NoticeAction.CARD, order_id),
                _button(_("🛒 New order"), NoticeAction.NEW_ORDER),
            ],
            [_button(_("🏠 Menu"), NoticeAction.MENU)],
        ]
    )


def finished_markup(order_id: int, *, refillable: bool) -> InlineKeyboardMarkup:
    """Under the notice of a finished order: order again, refill (when the service and the
    order allow it), the menu."""
    row = [_button(_("🔁 Order again"), NoticeAction.AGAIN, order_id)]
    if refillable:
        row.append(_button(_("♻️ Refill"), NoticeAction.REFILL, order_id))
    return InlineKeyboardMarkup(inline_keyboard=[row, [_button(_("🏠 Menu"), NoticeAction.MENU)]])


def as_json(markup: InlineKeyboardMarkup) -> dict[str, Any]:
    """The markup as the outbox stores it."""
    return markup.model_dump(mode="json", exclude_none=True)
