"""The persistent menu's buttons and greetings (/support is handlers/support/).

This router comes first among the customer's: a menu button leaves whatever form the
chat is in (its buttons are out of date from then on) and does what it says."""

from __future__ import annotations

import re
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.deps import Deps
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.menu import texts
from handlers.menu.buttons import MenuButton, pressed
from handlers.orders import my_orders
from handlers.storefront import keyboards as storefront_kb
from handlers.storefront import start
from handlers.storefront import texts as storefront_texts
from handlers.support import router as support
from handlers.wallet import balance, referral

# Said on their own, these are a hello, not a search (compared without punctuation).
GREETINGS = frozenset(
    {
        "hi",
        "hii",
        "hey",
        "hello",
        "hello there",
        "hi there",
        "good morning",
        "good afternoon",
        "good evening",
        "привет",
        "приветик",
        "здравствуй",
        "здравствуйте",
        "добрый день",
        "добрый вечер",
        "доброе утро",
        "салют",
    }
)
_NOT_LETTERS = re.compile(r"[^\w\s]+")


def create_router() -> Router:
    router = Router(name="menu")
    router.message.register(msg_menu_button, F.text, menu_button)
    router.message.register(msg_greeting, StateFilter(None), F.text, is_greeting)
    return router


async def menu_button(message: Message, deps: Deps) -> dict[str, Any] | bool:
    button = pressed(message.text, deps.i18n)
    return {"button": button} if button is not None else False


def is_greeting(message: Message) -> bool:
    text = (message.text or "")[:40]
    words = " ".join(_NOT_LETTERS.sub(" ", text.lower()).split())
    return words in GREETINGS


async def msg_menu_button(
    message: Message,
    button: MenuButton,
    state: FSMContext,
    bot: Bot,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
) -> None:
    await state.clear()  # a form or a top-up left halfway is over
    match button:
        case MenuButton.NEW_ORDER:
            entries = await shop.catalog.platforms()
            await message.answer(
                storefront_texts.platforms_title(entries),
                reply_markup=storefront_kb.platforms(entries),
            )
        case MenuButton.ORDERS:
            await my_orders.cmd_orders(message, shop, user)
        case MenuButton.BALANCE:
            await balance.cmd_balance(message, shop, user, deps)
        case MenuButton.REFERRAL:
            await referral.cmd_referral(message, bot, shop, user, deps)
        case MenuButton.SUPPORT:
            await support.cmd_support(message, state, shop, user, deps)
        case MenuButton.LANGUAGE:
            await start.cmd_language(message, user)


async def msg_greeting(message: Message, user: UserDTO, deps: Deps) -> None:
    name = user.first_name or user.username or ""
    await message.answer(texts.greeting(name), reply_markup=storefront_kb.main_menu())
