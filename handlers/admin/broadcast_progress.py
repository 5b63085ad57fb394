"""A broadcast's progress message: its text and buttons for each state (Pause, Resume,
Cancel, Progress while it runs; none once it is over), and the editor the broadcasts job
uses to keep it up to date (bot/jobs/broadcasts.py)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InlineKeyboardMarkup

from bot.deps import Deps
from bot.jobs.broadcasts import Edit
from bot.shop.admin_broadcast import BroadcastProgress, ProgressEdit
from bot.shop.enums import BroadcastState
from bot.texts.broadcasts import broadcast_status
from handlers.admin import broadcast_texts as btexts
from handlers.admin import texts
from handlers.admin.callbacks import BroadcastAction, BroadcastCD
from handlers.common.keyboards import KeyboardBuilder


def keyboard(broadcast_id: str, state: BroadcastState) -> InlineKeyboardMarkup | None:
    if state not in (BroadcastState.SENDING, BroadcastState.PAUSED):
        return None
    b = KeyboardBuilder()
    if state == BroadcastState.SENDING:
        b.button(
            text=btexts.button_pause(),
            callback_data=BroadcastCD(action=BroadcastAction.PAUSE, broadcast_id=broadcast_id),
        )
    else:
        b.button(
            text=btexts.button_resume(),
            callback_data=BroadcastCD(action=BroadcastAction.RESUME, broadcast_id=broadcast_id),
        )
    b.button(
        text=btexts.button_stop(),
        callback_data=BroadcastCD(action=BroadcastAction.STOP, broadcast_id=broadcast_id),
    )
    b.button(
        text=texts.progress_button(),
        callback_data=BroadcastCD(action=BroadcastAction.PROGRESS, broadcast_id=broadcast_id),
    )
    b.adjust(2, 1)
    return b.as_markup()


def view(progress: BroadcastProgress, deps: Deps) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of the progress message (in the current locale)."""
    text = broadcast_status(progress, deps.settings.notify_rate_per_second)
    return text, keyboard(progress.id, progress.state)


def editor(bot: Bot, deps: Deps) -> Edit:
    """Edits a progress message in its admin's language (for the broadcasts job)."""
    i18n = deps.i18n

    async def edit(item: ProgressEdit) -> None:
        if item.record.progress_message_id is None:
            return
        with i18n.context(), i18n.use_locale(i18n.pick(item.language)):
            text, markup = view(item.progress, deps)
        try:
            await bot.edit_message_text(
                text=text,
                chat_id=item.record.chat_id,
                message_id=item.record.progress_message_id,
                reply_markup=markup,
            )
        except TelegramBadRequest as exc:
            if "message is not modified" not in exc.message:
                raise

    return edit
