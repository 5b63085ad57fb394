"""/balance: the balance and the latest ledger movements."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.deps import Deps
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.common.show import show
from handlers.storefront.callbacks import Menu, MenuCD
from handlers.wallet import keyboards as kb
from handlers.wallet import texts

HISTORY = 8


def create_router() -> Router:
    router = Router(name="wallet")
    router.message.register(cmd_balance, Command("balance"))
    router.callback_query.register(cb_balance, MenuCD.filter(F.action == Menu.BALANCE))
    return router


async def _text(shop: Shop, user: UserDTO, deps: Deps) -> str:
    history = await shop.wallet.history(user.id, page=0, per_page=HISTORY)
    return texts.balance_text(user, deps.settings.shop_currency, list(history.entries))


async def cmd_balance(message: Message, shop: Shop, user: UserDTO, deps: Deps) -> None:
    await message.answer(await _text(shop, user, deps), reply_markup=kb.balance_menu())


async def cb_balance(query: CallbackQuery, shop: Shop, user: UserDTO, deps: Deps) -> None:
    await show(query, await _text(shop, user, deps), kb.balance_menu())
    await query.answer()
