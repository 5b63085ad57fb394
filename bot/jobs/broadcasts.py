"""Broadcast reports: each admin hears how their broadcast went once it is out."""

from __future__ import annotations

from bot.deps import Deps
from bot.outbox.writer import Outbox, Priority
from bot.shop.services import Shop
from bot.texts import operator_alerts
from db.repositories.users import UserRepo


async def report_finished_broadcasts(deps: Deps) -> int:
    """Tell each admin whose broadcast went out to its last recipient how it went: sent,
    blocked, failed. For a periodic job (its own session); returns how many were reported."""
    i18n = deps.i18n
    async with deps.session_factory() as session, session.begin():
        shop = Shop(session, deps)
        finished = await shop.broadcasts.finished()
        outbox = Outbox(session, deps.clock, deps.settings)
        for record, progress in finished:
            admin = await UserRepo(session).by_telegram_id(record.actor_id)
            with i18n.context(), i18n.use_locale(i18n.pick(admin.language if admin else None)):
                text = operator_alerts.broadcast_status(progress)
            await outbox.to_chat(
                record.chat_id,
                text,
                priority=Priority.ALERT,
                dedupe_key=f"broadcast:{record.id}:report",
            )
    return len(finished)
