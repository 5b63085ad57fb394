"""Texts of support tickets: the customer's flow and the operators' replies in their chat
(the thread message and support's answer are in bot/texts/tickets.py)."""

from __future__ import annotations

from datetime import datetime

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.shop.support.values import (
    MAX_TEXT,
    ListedTicket,
    MessageTooLong,
    ThreadView,
    TicketDTO,
    TicketFilter,
)
from bot.texts.format import fmt
from bot.texts.mentions import customer, order_ref
from bot.texts.tickets import age, state_name

# --- the customer ---------------------------------------------------------------------


def start(contact: str | None, unclosed: TicketDTO | None, has_orders: bool) -> str:
    lines = [_("💬 <b>Support</b>")]
    if unclosed is not None:
        lines.append(
            fmt(
                _("Your ticket #{id} is still open: you can write to it, or open a new one."),
                id=unclosed.id,
            )
        )
    lines.append(
        _("Which order is your question about?")
        if has_orders
        else _("Tap below and write your question: the shop's operators answer you here.")
    )
    lines.append(_("For a question about a payment, /paysupport also shows your latest ones."))
    if contact:
        lines.append(contact_line(contact))
    return "\n".join(lines)


def contact_line(contact: str) -> str:
    return fmt(_("You can also write to {contact}."), contact=contact)


def write_prompt(order_id: int | None) -> str:
    head = (
        fmt(_("✍️ A question about order #{id}."), id=order_id)
        if order_id is not None
        else _("✍️ A question for the shop.")
    )
    return "\n".join(
        [
            head,
            fmt(
                _(
                    "Write your message (text, or photos with a caption; up to {limit} "
                    "characters). The operators answer you here."
                ),
                limit=MAX_TEXT,
            ),
        ]
    )


def follow_up_prompt(ticket_id: int) -> str:
    return fmt(
        _("✍️ Write your message to ticket #{id} (text, or photos with a caption)."),
        id=ticket_id,
    )


def opened(ticket_id: int) -> str:
    return fmt(
        _(
            "✅ Your ticket #{id} is open. The shop's operators answer you here in this chat; "
            "you can add more at any time."
        ),
        id=ticket_id,
    )


def sent(ticket_id: int) -> str:
    return fmt(_("✉️ Sent to support (ticket #{id})."), id=ticket_id)


def cancelled() -> str:
    return _("Cancelled. /support opens a ticket whenever you need us.")


def reopened(ticket_id: int) -> str:
    return fmt(_("🔓 Ticket #{id} is open again. Write your message."), id=ticket_id)


def ticket_closed(ticket_id: int) -> str:
    return fmt(
        _("Ticket #{id} is closed. Tap Reopen to write to it again, or /support for a new one."),
        id=ticket_id,
    )


def ticket_not_found() -> str:
    return _("That ticket was not found.")


def order_not_found() -> str:
    return _("That order was not found among yours.")


def too_many_tickets(limit: int) -> str:
    return fmt(
        ngettext(
            "You can open {n} new ticket an hour, and that is done. Please write to your "
            "open ticket, or try again later.",
            "You can open {n} new tickets an hour, and that is done. Please write to your "
            "open ticket, or try again later.",
            limit,
        ),
        n=limit,
    )


def too_many_messages() -> str:
    return _("That is a lot of messages at once: please wait a minute and send it again.")


def too_long(error: MessageTooLong) -> str:
    return fmt(
        _(
            "That message is too long for support: {length} characters, at most {limit}. "
            "Please shorten it or send it in parts. Nothing was sent."
        ),
        length=error.length,
        limit=error.limit,
    )


def empty() -> str:
    return _("Support takes text and photos: please write your message or send a photo.")


# --- the operators' chat ------------------------------------------------------------------


def op_follow_up(view: ThreadView, text: str) -> str:
    return fmt(
        _("💬 Ticket #{id} · {who} writes:\n{text}"),
        id=view.ticket.id,
        who=customer(view.customer),
        text=text,
    )


def op_photo_caption(view: ThreadView) -> str:
    return fmt(_("📎 Ticket #{id} · {who}"), id=view.ticket.id, who=customer(view.customer))


def op_reopened_by_customer(ticket_id: int) -> str:
    return fmt(_("🔓 The customer reopened ticket #{id}."), id=ticket_id)


def op_reopened(ticket_id: int, operator: str) -> str:
    return fmt(
        _("🔓 Ticket #{id} is open again ({who}): reply to answer the customer."),
        id=ticket_id,
        who=operator,
    )


def op_closed_reply(ticket_id: int) -> str:
    return fmt(
        _(
            "⚪️ Ticket #{id} is closed: your answer did not go to the customer. Reopen it "
            "first, then reply again."
        ),
        id=ticket_id,
    )


def op_blocked(ticket_id: int) -> str:
    return fmt(
        _(
            "🚫 Not delivered: the customer of ticket #{id} has blocked the bot. Nothing "
            "else changed."
        ),
        id=ticket_id,
    )


def op_not_delivered(ticket_id: int) -> str:
    return fmt(
        _("⚠️ Not delivered to the customer of ticket #{id}: Telegram refused it. Try again."),
        id=ticket_id,
    )


def op_empty() -> str:
    return _("Only text and photos reach the customer: this reply was not sent.")


def op_too_long(limit: int) -> str:
    return fmt(_("Too long for one message: at most {limit} characters. Not sent."), limit=limit)


def op_taken(ticket_id: int) -> str:
    return fmt(_("Ticket #{id} is yours."), id=ticket_id)


def op_closed(ticket_id: int) -> str:
    return fmt(_("Ticket #{id} is closed; the customer is told."), id=ticket_id)


def op_already_closed(ticket_id: int) -> str:
    return fmt(_("Ticket #{id} is closed already."), id=ticket_id)


def op_already_open(ticket_id: int) -> str:
    return fmt(_("Ticket #{id} is open already."), id=ticket_id)


def op_no_order() -> str:
    return _("This ticket is not about an order.")


# --- /tickets -------------------------------------------------------------------------

LISTING_BUDGET = 3600  # characters of the list's lines before "… and N more"


def filter_name(which: TicketFilter) -> str:
    return {
        TicketFilter.OPEN: _("open"),
        TicketFilter.MINE: _("mine"),
        TicketFilter.ALL: _("all"),
    }[which]


def listing(which: TicketFilter, tickets: list[ListedTicket], now: datetime) -> str:
    head = fmt(
        ngettext(
            "🎫 <b>Tickets</b> ({which}): {n}",
            "🎫 <b>Tickets</b> ({which}): {n}",
            len(tickets),
        ),
        which=filter_name(which),
        n=len(tickets),
    )
    if not tickets:
        return "\n".join([head, _("None.")])
    lines: list[str] = [head]
    for shown, item in enumerate(tickets):
        if sum(len(line) + 1 for line in lines) > LISTING_BUDGET:  # one Telegram message
            lines.append(fmt(_("… and {n} more"), n=len(tickets) - shown))
            break
        t = item.ticket
        parts = [
            fmt("#{id}", id=t.id),
            state_name(t.state),
            customer(item.customer, None if item.customer else t.user_id),
            age(t.created_at, now),
            fmt(_("taken by {name}"), name=t.assignee_name)
            if t.assignee_id is not None
            else _("not taken"),
        ]
        if t.order_id is not None:
            parts.append(order_ref(t.order_id))
        lines.append(" · ".join(str(p) for p in parts))
    return "\n".join(lines)
