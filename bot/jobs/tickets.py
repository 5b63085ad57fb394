"""Support tickets left answered for 72 hours close by themselves (bot/shop/support/).

Each run closes them in one transaction that also queues each customer's notice (the
outbox sends it after the commit); then each ticket's thread message in the operators'
chat shows it closed. Run under the leader lock: one replica closes, once.
"""

from __future__ import annotations

import logging

from aiogram import Bot

from bot.deps import Deps
from bot.outbox.writer import Outbox
from bot.shop.support.tickets import SupportService
from bot.support_notices import OutboxTicketNotices
from bot.support_threads import edit_thread
from db.uow import unit_of_work

log = logging.getLogger(__name__)

EVERY_SECONDS = 600


async def close_stale_tickets(deps: Deps, bot: Bot) -> int:
    """Close what is due; the number closed."""
    async with unit_of_work(deps.session_factory, write=True) as session:
        notices = OutboxTicketNotices(Outbox(session, deps.clock, deps.settings), deps.i18n)
        service = SupportService(
            session,
            deps.clock,
            tickets_per_hour=deps.settings.support_tickets_per_hour,
            notices=notices,
        )
        closed = await service.close_stale()
    for view in closed:
        await edit_thread(bot, deps, view)
    if closed:
        log.info("support tickets closed after 72 h answered: %s", len(closed))
    return len(closed)
