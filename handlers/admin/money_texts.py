"""Texts of the two-step /credit, /debit and /refund: what will happen, and how it ended;
and the customer's notice of a debit."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.shop.admin.money_confirm import TTL, Decision, Outcome, Proposal
from bot.shop.admin.values import AdminOrder
from bot.shop.money import Micro
from bot.texts.format import fmt, money
from handlers.admin.texts import who
from handlers.common.texts import state_name


def proposal(p: Proposal, currency: str) -> str:
    values = {
        "amount": money(p.amount, currency),
        "who": who(p.customer),
        "before": money(p.customer.balance, currency),
        "after": money(p.balance_after, currency),
    }
    lines: list[str]
    if p.credit:
        lines = [fmt(_("Credit <b>{amount}</b> to {who}?"), **values)]
    else:
        lines = [fmt(_("Debit <b>{amount}</b> from {who}?"), **values)]
    lines.append(fmt(_("Balance: {before} → <b>{after}</b>"), **values))
    if p.reason.text and p.reason.public:
        lines.append(fmt(_("Reason (the customer reads it): {reason}"), reason=p.reason.text))
    elif p.reason.text:
        lines.append(fmt(_("Reason (private): {reason}"), reason=p.reason.text))
    lines.append(_("The customer is told of the change."))
    minutes = int(TTL.total_seconds() // 60)
    lines.append(
        fmt(
            ngettext(
                "Confirm within {minutes} minute; nothing changes until then.",
                "Confirm within {minutes} minutes; nothing changes until then.",
                minutes,
            ),
            minutes=minutes,
        )
    )
    return "\n".join(lines)


def decision(d: Decision) -> str:
    """How a Confirm or Cancel tap ended (DONE is told by the adjustment's own text)."""
    match d.outcome:
        case Outcome.REPEATED:
            return _("This was confirmed already; nothing changed again.")
        case Outcome.CANCELLED:
            return _("Cancelled; nothing was changed.")
        case Outcome.EXPIRED:
            return _("This confirmation has expired; nothing was changed. Send the command again.")
        case Outcome.NOT_YOURS:
            return _("Only the admin who asked can confirm or cancel this.")
    return _("This confirmation is unknown; nothing was changed.")


def debit_notice(amount: Micro, balance: Micro, reason: str | None, currency: str) -> str:
    """To the customer, in their language."""
    text: str = fmt(
        _("💸 {amount} was taken from your balance. Balance now: <b>{balance}</b>."),
        amount=money(amount, currency),
        balance=money(balance, currency),
    )
    if reason:
        text += "\n" + fmt(_("Note: {reason}"), reason=reason)
    return text


def refund_proposal(view: AdminOrder) -> str:
    """/refund's question: the order, what goes back, the balance before and after."""
    order = view.order
    currency = order.currency
    balance = view.customer.balance if view.customer else 0
    lines: list[str] = [
        fmt(
            _("Refund order #{id} to {who}?"),
            id=order.id,
            who=who(view.customer),
        ),
        fmt(
            _("{service}, quantity {quantity}, {state}"),
            service=order.service_name,
            quantity=order.quantity,
            state=state_name(order.state),
        ),
        fmt(
            _("Refunded: <b>{amount}</b> of {charge} paid (given back before: {refunded})"),
            amount=money(view.refundable, currency),
            charge=money(order.charge, currency),
            refunded=money(order.refunded, currency),
        ),
        fmt(
            _("Balance: {before} → <b>{after}</b>"),
            before=money(balance, currency),
            after=money(balance + view.refundable, currency),
        ),
    ]
    return "\n".join(lines)


def button_confirm() -> str:
    return _("✅ Confirm")
