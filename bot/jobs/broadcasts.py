"""Broadcasts in the background (a leader job every `EVERY` seconds): feed each running
broadcast's next batches into the outbox, edit the admins' progress messages (at most every
PROGRESS_EVERY, bot/shop/admin_broadcast.py), and report each finished broadcast once.

Editing the progress message is a Bot API call outside the outbox: one every few seconds
per running broadcast, beside NOTIFY_RATE_PER_SECOND (25 by default, under Telegram's 30).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.deps import Deps
from bot.outbox.writer import Outbox, Priority
from bot.shop.admin_broadcast import FEED_BATCH, ProgressEdit, window
from bot.shop.services import Shop
from bot.texts.broadcasts import broadcast_status
from db.repositories.users import UserRepo

log = logging.getLogger(__name__)

EVERY = 2  # seconds: a window holds WINDOW_SECONDS of sending, so feeding keeps ahead

Edit = Callable[[ProgressEdit], Awaitable[None]]  # shows a progress message (handlers/admin)


async def feed_broadcasts(deps: Deps) -> int:
    """Top each running broadcast's rows in the outbox up to its window, a batch per
    transaction (customers' updates get the writer between batches). Returns the
    customers passed."""
    pick = deps.i18n.pick
    batches = max(1, window(deps.settings.notify_rate_per_second) // FEED_BATCH + 1)
    passed = 0
    async with deps.session_factory() as session:
        shop = Shop(session, deps)
        for broadcast_id in await shop.broadcasts.feeding():
            for _ in range(batches):
                fed = await shop.broadcasts.feed(broadcast_id, pick)
                if not fed:
                    break
                passed += fed
    return passed


async def report_finished_broadcasts(deps: Deps, edit: Edit | None = None) -> int:
    """Tell each admin whose broadcast went out to its last recipient (or was cancelled)
    how it went, once, through the outbox; with `edit`, its progress message shows the
    final figures too. Returns how many were reported."""
    i18n = deps.i18n
    rate = deps.settings.notify_rate_per_second
    async with deps.session_factory() as session, session.begin():
        shop = Shop(session, deps)
        finished = await shop.broadcasts.finish(i18n.pick)
        outbox = Outbox(session, deps.clock, deps.settings)
        for done in finished:
            record = done.record
            admin = await UserRepo(session).by_telegram_id(record.actor_id)
            with i18n.context(), i18n.use_locale(i18n.pick(admin.language if admin else None)):
                text = broadcast_status(done.progress, rate)
            await outbox.to_chat(
                record.chat_id,
                text,
                priority=Priority.ALERT,
                dedupe_key=f"broadcast:{record.id}:report",
            )
    if edit is not None:
        for done in finished:
            await _edit(edit, done)
    return len(finished)


async def edit_progress_messages(deps: Deps, edit: Edit) -> int:
    """Edit the progress messages that are due; returns how many were edited."""
    async with deps.session_factory() as session:
        service = Shop(session, deps).broadcasts
        due = [
            await service.progress_edit(broadcast_id, deps.i18n.pick)
            for broadcast_id in await service.claim_progress_edits()
        ]
    for item in due:
        await _edit(edit, item)
    return len(due)


async def _edit(edit: Edit, item: ProgressEdit) -> None:
    try:
        await edit(item)
    except Exception:  # an edit that fails (message deleted, a 429) waits for the next one
        log.warning("broadcast %s: the progress message was not edited", item.record.id)


async def run_broadcasts(deps: Deps, edit: Edit | None = None) -> None:
    """The periodic job: feed, then progress messages, then reports."""
    await feed_broadcasts(deps)
    if edit is not None:
        await edit_progress_messages(deps, edit)
    await report_finished_broadcasts(deps, edit)
