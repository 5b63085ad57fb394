"""Texts of support tickets that the core sends as well as the handlers: the operators'
thread message (edited as the ticket changes), the customer's notice of a closed ticket,
and support's answer as the customer reads it.

Operators read the shop's default language, the customer their own (the caller picks it).
"""

from __future__ import annotations

from datetime import datetime

from aiogram.utils.i18n import gettext as _

from bot.i18n import pgettext
from bot.shop.enums import OrderState, TicketState
from bot.shop.support.values import OrderLine, ThreadView
from bot.texts.format import fmt, money, shorten, when
from bot.texts.mentions import customer, order_ref

_STATE_ICONS = {TicketState.OPEN: "🟢", TicketState.ANSWERED: "💬", TicketState.CLOSED: "⚪️"}


def state_name(state: TicketState) -> str:
    """A ticket's state, said of a ticket (a context of its own: "тикет открыт")."""
    names = {
        TicketState.OPEN: pgettext("ticket", "open"),
        TicketState.ANSWERED: pgettext("ticket", "answered"),
        TicketState.CLOSED: pgettext("ticket", "closed"),
    }
    return f"{_STATE_ICONS[state]} {names[state]}"


def order_state(state: OrderState) -> str:
    """An order's state as the thread names it (the msgids of the order cards)."""
    names = {
        OrderState.SUBMITTING: pgettext("order", "being placed"),
        OrderState.ACTIVE: pgettext("order", "in progress"),
        OrderState.COMPLETED: pgettext("order", "completed"),
        OrderState.PARTIAL: pgettext("order", "partially completed"),
        OrderState.CANCELED: pgettext("order", "canceled, refunded"),
        OrderState.FAILED: pgettext("order", "not placed, refunded"),
        OrderState.UNKNOWN: pgettext("order", "being checked"),
    }
    return names[state]


def _order_line(order: OrderLine) -> str:
    return fmt(
        "{ref} {name} · {state} · {charge}",
        ref=order_ref(order.id),
        name=shorten(order.service_name, 40),
        state=order_state(order.state),
        charge=money(order.charge, order.currency),
    )


def thread(view: ThreadView, currency: str) -> str:
    """The ticket's one message in the operators' chat: who, about what, what they wrote."""
    t, who = view.ticket, view.customer
    lines: list[str] = [
        fmt(
            _("🎫 <b>Ticket #{id}</b> · {state}"),
            id=t.id,
            state=state_name(t.state),
        ),
        fmt(
            _("From: {who} · language {language} · balance {balance}"),
            who=customer(who),
            language=who.language or "—",
            balance=money(who.balance, currency),
        ),
    ]
    if t.assignee_id is not None:
        lines.append(
            fmt(
                _("Taken by: {name} (id {id})"),
                name=t.assignee_name or "—",
                id=t.assignee_id,
            )
        )
    else:
        lines.append(_("Taken by: nobody yet"))
    if view.order is not None:
        lines.append(fmt(_("About order: {order}"), order=_order_line(view.order)))
    elif t.order_id is not None:
        lines.append(fmt(_("About order: {order}"), order=order_ref(t.order_id)))
    else:
        lines.append(_("About order: none"))
    if view.orders:
        lines.append(_("Last orders:"))
        lines += [fmt("• {line}", line=_order_line(o)) for o in view.orders]
    else:
        lines.append(_("Last orders: none"))
    lines.append(fmt(_("Opened {at}"), at=when(t.created_at)))
    if t.closed_at is not None:
        lines.append(fmt(_("Closed {at}"), at=when(t.closed_at)))
    lines.append("")
    lines.append(
        fmt("<blockquote>{text}</blockquote>", text=t.text)
        if t.text.strip()
        else _("(a photo, in the reply below)")
    )
    lines.append("")
    lines.append(
        _("↩️ Reply to this message (or to any message of this ticket) to answer the customer.")
    )
    return "\n".join(lines)


def answer(ticket_id: int, text: str) -> str:
    """Support's answer in the customer's chat."""
    head = fmt(_("💬 <b>Support</b> · ticket #{id}"), id=ticket_id)
    return f"{head}\n\n{fmt('{text}', text=text)}" if text.strip() else head


def closed_notice(ticket_id: int, *, auto: bool) -> str:
    if auto:
        return fmt(
            _(
                "✅ Your support ticket #{id} was closed, as we have not heard from you for "
                "three days. Tap Reopen if there is more to it."
            ),
            id=ticket_id,
        )
    return fmt(
        _("✅ Your support ticket #{id} is closed. Thank you! Tap Reopen if there is more to it."),
        id=ticket_id,
    )


def age(created_at: datetime, now: datetime) -> str:
    """How long ago, roughly: "5 min", "3 h", "2 d"."""
    seconds = max(0, int((now - created_at).total_seconds()))
    if seconds < 3600:
        return fmt(_("{n} min"), n=seconds // 60)
    if seconds < 86400:
        return fmt(_("{n} h"), n=seconds // 3600)
    return fmt(_("{n} d"), n=seconds // 86400)


__all__ = ["age", "answer", "closed_notice", "order_state", "state_name", "thread"]
