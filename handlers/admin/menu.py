"""The admin's own screen and switches: /admin with the order-alert switch, /maintenance,
and /cancel of an admin flow."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import keyboards as kb
from handlers.admin import texts
from handlers.admin.callbacks import AdminAlertsCD
from handlers.admin.common import admin_router, command_args, reply
from handlers.admin.states import AdminFlow


def create_router() -> Router:
    router = admin_router("admin_menu")
    router.message.register(cmd_cancel_flow, Command("cancel"), StateFilter(AdminFlow))
    router.message.register(cmd_admin, Command("admin"))
    router.message.register(cmd_maintenance, Command("maintenance"))
    router.callback_query.register(cb_alerts, AdminAlertsCD.filter())
    return router


async def cmd_cancel_flow(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(texts.flow_cancelled())


async def cmd_admin(message: Message, shop: Shop, user: UserDTO) -> None:
    on = await shop.alert_switches.order_placed()
    await shop.admin.record(user.telegram_id, "admin")
    await message.answer(texts.admin_help(on), reply_markup=kb.admin_menu(on))


async def cb_alerts(
    query: CallbackQuery, callback_data: AdminAlertsCD, shop: Shop, user: UserDTO
) -> None:
    on = callback_data.order_placed
    await shop.alert_switches.set_order_placed(on)
    await shop.admin.record(user.telegram_id, "alerts.order_placed", target_type="shop", on=on)
    await reply(query, texts.admin_help(on), kb.admin_menu(on))


async def cmd_maintenance(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO
) -> None:
    args = [a.lower() for a in command_args(command)]
    if args not in (["on"], ["off"]):
        await message.answer(texts.maintenance_state(await shop.settings.maintenance()))
        return
    on = args == ["on"]
    changed = await shop.admin.set_maintenance(user.telegram_id, on)
    await message.answer(texts.maintenance(on, changed))
