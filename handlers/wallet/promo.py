"""/promo: customers redeem a code (`/promo CODE`); admins create, list and switch codes
off (`/promo create|list|off ...`). For anyone but an admin the admin forms do not exist:
they fall through to the catalogue search and the fallback like any unknown text.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.deps import Deps
from bot.shop.errors import ShopError
from bot.shop.promos import RESERVED, parse_spec
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.wallet import texts
from handlers.wallet.payments import admin_only


def _args(command: CommandObject) -> list[str]:
    return (command.args or "").split()


def _sub(word: str) -> Callable[[Message, CommandObject], bool]:
    def check(_: Message, command: CommandObject) -> bool:
        args = _args(command)
        return bool(args) and args[0].lower() == word

    return check


def _no_args(_: Message, command: CommandObject) -> bool:
    return not _args(command)


def _one_code(_: Message, command: CommandObject) -> bool:
    args = _args(command)
    return len(args) == 1 and args[0].upper() not in RESERVED


def create_router() -> Router:
    router = Router(name="promo")
    promo = Command("promo")
    router.message.register(cmd_create, promo, admin_only, _sub("create"))
    router.message.register(cmd_list, promo, admin_only, _sub("list"))
    router.message.register(cmd_off, promo, admin_only, _sub("off"))
    router.message.register(cmd_redeem, promo, _one_code)
    router.message.register(cmd_usage, promo, _no_args)
    return router


async def cmd_usage(message: Message, is_admin: bool = False) -> None:
    await message.answer(texts.promo_usage(is_admin))


async def cmd_redeem(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    currency = deps.settings.shop_currency
    try:
        result = await shop.promos.redeem(user.id, _args(command)[0])
    except ShopError as error:
        await message.answer(texts.promo_error(error, currency))
        return
    await message.answer(texts.promo_redeemed(result, currency))


async def cmd_create(message: Message, command: CommandObject, shop: Shop, deps: Deps) -> None:
    currency = deps.settings.shop_currency
    actor = message.from_user.id if message.from_user else 0
    try:
        promo = await shop.promos.create(parse_spec(_args(command)[1:]), actor_id=actor)
    except ShopError as error:
        await message.answer(texts.promo_admin_error(error, currency))
        return
    now = deps.clock.now()
    await message.answer(texts.promo_created(promo, promo.status(now), currency))


async def cmd_list(message: Message, shop: Shop, deps: Deps) -> None:
    currency = deps.settings.shop_currency
    now = deps.clock.now()
    promos = await shop.promos.all()
    await message.answer(
        texts.promo_list([texts.promo_line(p, p.status(now), currency) for p in promos])
    )


async def cmd_off(message: Message, command: CommandObject, shop: Shop, deps: Deps) -> None:
    currency = deps.settings.shop_currency
    args = _args(command)
    actor = message.from_user.id if message.from_user else 0
    if len(args) != 2:
        await message.answer(texts.promo_usage(True))
        return
    try:
        promo = await shop.promos.disable(args[1], actor_id=actor)
    except ShopError as error:
        await message.answer(texts.promo_admin_error(error, currency))
        return
    await message.answer(texts.promo_disabled(promo, promo.status(deps.clock.now()), currency))
