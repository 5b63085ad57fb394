"""A ticket's thread message in the operators' chat, shown again after a change.

Both the operators' buttons and replies (handlers/support/) and the job that closes stale
tickets (bot/jobs/tickets.py) edit it; the edit is the operators' own message, not a
customer's receipt, so it may be rewritten.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from bot.deps import Deps
from bot.i18n import in_language
from bot.shop.support.values import ThreadView
from bot.support_buttons import thread_markup
from bot.texts.tickets import thread

log = logging.getLogger(__name__)


async def edit_thread(bot: Bot, deps: Deps, view: ThreadView) -> None:
    """Show the ticket's state and assignee again; a failed edit is logged, never raised
    (the ticket's state is already committed)."""
    t = view.ticket
    if t.thread_chat_id is None or t.thread_message_id is None:
        return
    with in_language(deps.i18n, None):
        text = thread(view, deps.settings.shop_currency)
        markup = thread_markup(view)
    try:
        await bot.edit_message_text(
            text, chat_id=t.thread_chat_id, message_id=t.thread_message_id, reply_markup=markup
        )
    except TelegramBadRequest as exc:
        if "message is not modified" not in exc.message:
            log.warning("support ticket #%s: thread not edited: %s", t.id, exc.message)
    except TelegramAPIError as exc:
        log.warning("support ticket #%s: thread not edited: %s", t.id, exc)


__all__ = ["edit_thread"]
