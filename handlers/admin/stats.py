"""/stats: customers, orders, revenue and profit for a period."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.shop.services import Shop
from bot.shop.stats import Period
from bot.shop.users import UserDTO
from handlers.admin import keyboards as kb
from handlers.admin import texts
from handlers.admin.callbacks import AdminStatsCD
from handlers.admin.common import admin_router, reply


def create_router() -> Router:
    router = admin_router("admin_stats")
    router.message.register(cmd_stats, Command("stats"))
    router.callback_query.register(cb_stats, AdminStatsCD.filter())
    return router


async def cmd_stats(message: Message, command: CommandObject, shop: Shop, user: UserDTO) -> None:
    period = Period.parse(command.args)
    if period is None:
        await message.answer(texts.bad_period() + "\n" + texts.usage("stats"))
        return
    await _stats(message, period, shop, user)


async def cb_stats(
    query: CallbackQuery, callback_data: AdminStatsCD, shop: Shop, user: UserDTO
) -> None:
    period = Period.parse(callback_data.period) or Period.TODAY
    await _stats(query, period, shop, user)


async def _stats(event: Message | CallbackQuery, period: Period, shop: Shop, user: UserDTO) -> None:
    stats = await shop.stats.collect(period)
    await shop.admin.record(user.telegram_id, "stats", period=period.value)
    await reply(event, texts.stats(stats), kb.stats(period))
