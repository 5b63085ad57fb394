"""The catalogue and the panel: /markup, /hide, /show, /sync, /provider, /platform."""

from __future__ import annotations

from functools import partial

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.deps import Deps
from bot.jobs.catalog import sync_catalog
from bot.numbers import parse_whole
from bot.shop.admin.parsing import parse_percent
from bot.shop.errors import InvalidMarkup
from bot.shop.platforms import clean_name, split_rename
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import texts
from handlers.admin.common import Usage, admin_router, id_arg, no_args


def create_router() -> Router:
    router = admin_router("admin_catalogue")
    router.message.register(cmd_markup, Command("markup"))
    router.message.register(partial(cmd_set_hidden, hidden=True), Command("hide"))
    router.message.register(partial(cmd_set_hidden, hidden=False), Command("show"))
    router.message.register(cmd_sync, Command("sync"))
    router.message.register(cmd_provider, Command("provider"))
    router.message.register(cmd_platform, Command("platform"))
    return router


async def cmd_markup(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    parts = (command.args or "").split(maxsplit=2)
    category = service_id = None
    ok = len(parts) == 1 or (len(parts) == 3 and parts[1].lower() in {"category", "service"})
    if ok and len(parts) == 3:
        if parts[1].lower() == "category":
            category = parts[2].strip()
        else:
            service_id = parse_whole(parts[2].strip().removeprefix("#"), low=1)
            ok = service_id is not None
    if not ok:
        raise Usage("markup")
    try:
        percent = parse_percent(parts[0])
    except InvalidMarkup:
        raise Usage("markup", prefix=texts.bad_percent()) from None
    change = await shop.admin.set_markup(
        user.telegram_id, percent, category=category, service_id=service_id
    )
    await message.answer(texts.markup_change(change, deps.settings.shop_currency))


async def cmd_set_hidden(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps, *, hidden: bool
) -> None:
    service_id = id_arg(command, "hide" if hidden else "show")
    toggle = await shop.admin.set_hidden(user.telegram_id, service_id, hidden)
    await message.answer(texts.service_toggle(toggle))


async def cmd_sync(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    no_args(command, "sync")
    await message.answer(texts.sync_started())
    report = await shop.admin.sync(user.telegram_id, lambda: sync_catalog(deps))
    await message.answer(texts.sync_report(report))


async def cmd_provider(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    no_args(command, "provider")
    overview = await shop.admin.provider_overview(user.telegram_id)
    await message.answer(texts.provider(overview, deps.settings.shop_currency))


async def cmd_platform(message: Message, command: CommandObject, shop: Shop, user: UserDTO) -> None:
    """`/platform list`, `/platform rename <from> <to>`, `/platform reset <name>`."""
    action, _, rest = (command.args or "").strip().partition(" ")
    rest = rest.strip()
    match action.lower():
        case "list" if not rest:
            overview = await shop.admin.platform_overview(user.telegram_id)
            await message.answer(texts.platform_overview(overview))
        case "rename":
            parts = split_rename(rest, await shop.admin.platform_names())
            target = clean_name(parts[1]) if parts else None
            if parts is None or target is None:
                raise Usage("platform")
            change = await shop.admin.rename_platform(user.telegram_id, parts[0], target)
            await message.answer(texts.platform_renamed(parts[0], change))
        case "reset" if rest:
            change = await shop.admin.reset_platform(user.telegram_id, rest)
            await message.answer(texts.platform_reset(rest, change))
        case _:
            raise Usage("platform")
