""" "Check again" under the join prompt."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery

from bot.channel import ChannelMembership
from handlers.channel import keyboards as kb
from handlers.channel import texts
from handlers.channel.callbacks import ChannelCD
from handlers.common.show import show


def create_router() -> Router:
    router = Router(name="channel")
    router.callback_query.register(cb_check, ChannelCD.filter())
    return router


async def cb_check(
    query: CallbackQuery, bot: Bot, channel: ChannelMembership | None = None
) -> None:
    if channel is not None and not await channel.is_member(bot, query.from_user.id, fresh=True):
        await query.answer(texts.not_yet(channel.channel), show_alert=True)
        return
    await show(query, texts.welcome(), kb.joined())
    await query.answer()
