"""Buttons of support tickets: the customer's (under a support answer, under the notice
of a closed ticket, in the opening flow) and the operators' (under a ticket's thread
message in their chat).

They live here, beside the job that closes stale tickets and attaches them, rather than
in handlers/support/ (bot/ never imports handlers/); the handlers are there. Every ticket
id a button carries is checked again when pressed: the customer's against who presses
(another customer's ticket is "not found"), the operators' against the chat it is
pressed in."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from bot.numbers import MAX_INT64
from bot.shop.support.values import ThreadView

Id = Annotated[int, Field(ge=0, le=MAX_INT64)]


class TicketAction(StrEnum):
    ORDER = "p"  # the new ticket concerns this order (`order`)
    NO_ORDER = "n"  # ... concerns no order
    WRITE = "w"  # write to this open ticket (`ticket`)
    REPLY = "r"  # answer support's answer in this ticket
    REOPEN = "o"  # reopen this closed ticket
    CANCEL = "x"  # leave the support flow


class TicketCD(CallbackData, prefix="tk"):
    action: TicketAction
    ticket: Id = 0
    order: Id = 0


class OperatorAction(StrEnum):
    TAKE = "t"
    CLOSE = "c"
    ORDER = "o"  # show the order the ticket concerns
    REOPEN = "r"


class OperatorCD(CallbackData, prefix="to"):
    action: OperatorAction
    ticket: Id


def _customer(text: str, action: TicketAction, ticket: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=TicketCD(action=action, ticket=ticket).pack()
    )


def _operator(text: str, action: OperatorAction, ticket: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=OperatorCD(action=action, ticket=ticket).pack()
    )


def answer_markup(ticket_id: int) -> InlineKeyboardMarkup:
    """Under support's answer in the customer's chat."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_customer(_("✍️ Reply"), TicketAction.REPLY, ticket_id)]]
    )


def closed_markup(ticket_id: int) -> InlineKeyboardMarkup:
    """Under the notice of a closed ticket."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_customer(_("🔓 Reopen"), TicketAction.REOPEN, ticket_id)]]
    )


def thread_markup(view: ThreadView) -> InlineKeyboardMarkup:
    """Under the ticket's thread message: Take, Close (Reopen once closed), the order."""
    ticket = view.ticket
    if ticket.closed:
        row = [_operator(_("🔓 Reopen"), OperatorAction.REOPEN, ticket.id)]
    else:
        row = [
            _operator(_("🙋 Take"), OperatorAction.TAKE, ticket.id),
            _operator(_("✅ Close"), OperatorAction.CLOSE, ticket.id),
        ]
    rows = [row]
    if ticket.order_id is not None:
        label = _("📄 Order #{id}").format(id=ticket.order_id)
        rows.append([_operator(label, OperatorAction.ORDER, ticket.id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def reopen_markup(ticket_id: int) -> InlineKeyboardMarkup:
    """Under the operators' note that a reply did not reach a closed ticket's customer."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[_operator(_("🔓 Reopen"), OperatorAction.REOPEN, ticket_id)]]
    )


__all__ = [
    "OperatorAction",
    "OperatorCD",
    "TicketAction",
    "TicketCD",
    "answer_markup",
    "closed_markup",
    "reopen_markup",
    "thread_markup",
]
