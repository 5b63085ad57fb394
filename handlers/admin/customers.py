"""A customer's profile and the admin's actions on it: /user, /credit, /debit, /ban, /unban."""

from __future__ import annotations

import secrets
from functools import partial

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.deps import Deps
from bot.shop.admin.money_confirm import Reason
from bot.shop.admin.parsing import UserRef, parse_adjustment, parse_user_ref
from bot.shop.admin.values import CannotBanAdmin
from bot.shop.errors import InvalidAmount
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import keyboards as kb
from handlers.admin import money_confirm, money_texts, texts
from handlers.admin.callbacks import AdminUserAction, AdminUserCD
from handlers.admin.common import Usage, admin_router, command_args, reply


def create_router() -> Router:
    router = admin_router("admin_customers")
    router.message.register(cmd_user, Command("user"))
    # One handler each for the two directions; the flag says which.
    router.message.register(partial(cmd_adjust, credit=True), Command("credit"))
    router.message.register(partial(cmd_adjust, credit=False), Command("debit"))
    router.message.register(partial(cmd_set_banned, banned=True), Command("ban"))
    router.message.register(partial(cmd_set_banned, banned=False), Command("unban"))
    router.callback_query.register(cb_user, AdminUserCD.filter())
    return router


async def cmd_user(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    args = command_args(command)
    ref = parse_user_ref(args[0]) if len(args) == 1 else None
    if ref is None:
        raise Usage("user")
    await _profile(message, ref, shop, user, deps)


async def _profile(
    event: Message | CallbackQuery, who: UserRef | int, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    profile = await shop.admin.profile(user.telegram_id, who)
    await reply(event, texts.profile(profile, deps.settings.shop_currency), kb.profile(profile))


async def cb_user(
    query: CallbackQuery, callback_data: AdminUserCD, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    if callback_data.action is not AdminUserAction.CARD:
        banned = callback_data.action is AdminUserAction.BAN
        await shop.admin.set_banned(
            user.telegram_id, callback_data.user_id, banned, protected=deps.settings.admin_ids
        )
    await _profile(query, callback_data.user_id, shop, user, deps)


async def cmd_adjust(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps, *, credit: bool
) -> None:
    """Only a proposal: what would happen, with Confirm / Cancel (see money_confirm.py)."""
    name = "credit" if credit else "debit"
    parts = (command.args or "").split(maxsplit=2)
    ref = parse_user_ref(parts[0]) if len(parts) >= 2 else None
    if ref is None:
        raise Usage(name)
    currency = deps.settings.shop_currency
    try:
        amount = parse_adjustment(parts[1], currency)
    except InvalidAmount:
        raise Usage(name, prefix=texts.bad_amount(currency)) from None
    proposal = await shop.admin.propose_adjustment(
        user.telegram_id,
        ref,
        amount,
        credit=credit,
        reason=Reason.parse(parts[2] if len(parts) == 3 else None),
        token=secrets.token_hex(6),
    )
    await message.answer(
        money_texts.proposal(proposal, currency), reply_markup=money_confirm.keyboard(proposal)
    )


async def cmd_set_banned(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps, *, banned: bool
) -> None:
    args = command_args(command)
    ref = parse_user_ref(args[0]) if len(args) == 1 else None
    if ref is None:
        raise Usage("ban" if banned else "unban")
    try:
        change = await shop.admin.set_banned(
            user.telegram_id, ref, banned, protected=deps.settings.admin_ids
        )
    except CannotBanAdmin:
        await message.answer(texts.cannot_ban_admin())
        return
    await message.answer(texts.ban_change(change))
