"""The customer's notice of a closed ticket, through the notification outbox: queued in
the closing transaction, sent after its commit, retried like every notice (and held for a
customer who blocked the bot until they come back)."""

from __future__ import annotations

from bot.i18n import Catalogues, in_language
from bot.outbox.writer import Outbox, Priority
from bot.shop.support.values import ThreadView
from bot.support_buttons import closed_markup
from bot.texts.tickets import closed_notice


class OutboxTicketNotices:
    """TicketNotices (bot/shop/support/tickets.py) in the customer's language."""

    def __init__(self, outbox: Outbox, i18n: Catalogues) -> None:
        self.outbox = outbox
        self.i18n = i18n

    async def closed(self, view: ThreadView, *, auto: bool) -> None:
        ticket, customer = view.ticket, view.customer
        with in_language(self.i18n, customer.language):
            text = closed_notice(ticket.id, auto=auto)
            markup = closed_markup(ticket.id)
        closed_at = ticket.closed_at.isoformat() if ticket.closed_at else ""
        await self.outbox.to_chat(
            customer.telegram_id,
            text,
            priority=Priority.ORDER,
            reply_markup=markup.model_dump(mode="json", exclude_none=True),
            dedupe_key=f"ticket:{ticket.id}:closed:{closed_at}",
            user_id=customer.id,
        )


__all__ = ["OutboxTicketNotices"]
