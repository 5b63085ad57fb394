"""/panels and /panel <name> off|on."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import texts
from handlers.admin.common import Usage, admin_router, command_args, no_args


def create_router() -> Router:
    router = admin_router("admin_panels")
    router.message.register(cmd_panels, Command("panels"))
    router.message.register(cmd_panel, Command("panel"))
    return router


async def cmd_panels(message: Message, command: CommandObject, shop: Shop, user: UserDTO) -> None:
    no_args(command, "panels")
    await message.answer(texts.panels(await shop.admin.panels_overview(user.telegram_id)))


async def cmd_panel(message: Message, command: CommandObject, shop: Shop, user: UserDTO) -> None:
    words = command_args(command)
    if len(words) != 2 or words[1].lower() not in ("off", "on"):
        raise Usage("panel")
    name, off = words[0].lower()[:40], words[1].lower() == "off"
    changed = await shop.admin.switch_panel(user.telegram_id, name, off)
    await message.answer(texts.panel_switched(name, off, changed))
