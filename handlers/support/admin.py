"""/tickets [open|mine|all] for admins: the support tickets with their state, customer,
age and assignee (an area of the admin router, behind its gate and refusals)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.shop.services import Shop
from bot.shop.support.values import TicketFilter
from bot.shop.users import UserDTO
from handlers.admin.common import Usage, admin_router, command_args
from handlers.support import texts


def create_router() -> Router:
    router = admin_router("admin_tickets")
    router.message.register(cmd_tickets, Command("tickets"))
    return router


def parse_filter(args: list[str]) -> TicketFilter:
    """No argument: open; else one of open, mine, all (any case); anything else: Usage."""
    if not args:
        return TicketFilter.OPEN
    if len(args) != 1:
        raise Usage("tickets")
    try:
        return TicketFilter(args[0].lower())
    except ValueError:
        raise Usage("tickets") from None


async def cmd_tickets(message: Message, command: CommandObject, shop: Shop, user: UserDTO) -> None:
    which = parse_filter(command_args(command))
    listed = await shop.support.listing(which, actor_id=user.telegram_id)
    await message.answer(texts.listing(which, listed, shop.deps.clock.now()))
