"""The customer's support keyboards (the operators' and those under notices are in
bot/support_buttons.py)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.shop.support.values import OrderLine, TicketDTO
from bot.texts.format import shorten
from handlers.common.keyboards import KeyboardBuilder
from handlers.support.callbacks import TicketAction, TicketCD


def _cd(action: TicketAction, *, ticket: int = 0, order: int = 0) -> str:
    return TicketCD(action=action, ticket=ticket, order=order).pack()


def cancel() -> InlineKeyboardMarkup:
    kb = KeyboardBuilder()
    kb.button(text=_("✖️ Cancel"), callback_data=_cd(TicketAction.CANCEL))
    return kb.as_markup()


def pick_order(orders: list[OrderLine], unclosed: TicketDTO | None) -> InlineKeyboardMarkup:
    """Write to the open ticket (when there is one); which order a new one is about; none;
    Cancel."""
    kb = KeyboardBuilder()
    if unclosed is not None:
        kb.button(
            text=_("✍️ Write to ticket #{id}").format(id=unclosed.id),
            callback_data=_cd(TicketAction.WRITE, ticket=unclosed.id),
        )
    for order in orders:
        kb.button(
            text=_("📄 #{id} · {name}").format(id=order.id, name=shorten(order.service_name, 28)),
            callback_data=_cd(TicketAction.ORDER, order=order.id),
        )
    kb.button(text=_("💬 Not about an order"), callback_data=_cd(TicketAction.NO_ORDER))
    kb.button(text=_("✖️ Cancel"), callback_data=_cd(TicketAction.CANCEL))
    kb.adjust(1)
    return kb.as_markup()


def write_more(ticket_id: int) -> InlineKeyboardMarkup:
    """Under the receipt of a message taken into a ticket."""
    kb = KeyboardBuilder()
    kb.button(text=_("✍️ Write more"), callback_data=_cd(TicketAction.WRITE, ticket=ticket_id))
    return kb.as_markup()


def reopen(ticket_id: int) -> InlineKeyboardMarkup:
    kb = KeyboardBuilder()
    kb.button(text=_("🔓 Reopen"), callback_data=_cd(TicketAction.REOPEN, ticket=ticket_id))
    return kb.as_markup()
