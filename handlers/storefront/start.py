"""/start, /help, the main menu, /cancel and /language."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.deps import Deps
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.common import texts as common_texts
from handlers.common.show import show
from handlers.menu import texts as menu_texts
from handlers.menu.buttons import menu_markup
from handlers.storefront import keyboards as kb
from handlers.storefront import texts
from handlers.storefront.callbacks import LanguageCD, Menu, MenuCD


def create_router() -> Router:
    router = Router(name="start")
    router.message.register(cmd_start, CommandStart())
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_cancel, Command("cancel"))
    router.message.register(cmd_language, Command("language"))
    router.callback_query.register(cb_main, MenuCD.filter(F.action == Menu.MAIN))
    router.callback_query.register(cb_help, MenuCD.filter(F.action == Menu.HELP))
    router.callback_query.register(cb_language, MenuCD.filter(F.action == Menu.LANGUAGE))
    router.callback_query.register(cb_set_language, LanguageCD.filter())
    return router


async def cmd_start(message: Message, state: FSMContext, user: UserDTO, deps: Deps) -> None:
    """One message: the welcome, which sets the persistent menu (a reply keyboard)."""
    await state.clear()
    await message.answer(
        texts.welcome(user, deps.settings.shop_currency), reply_markup=menu_markup(deps.settings)
    )


async def cmd_help(message: Message, deps: Deps) -> None:
    await message.answer(_help(deps), reply_markup=kb.back_to_menu())


async def cb_help(query: CallbackQuery, deps: Deps) -> None:
    await show(query, _help(deps), kb.back_to_menu())
    await query.answer()


def _help(deps: Deps) -> str:
    settings = deps.settings
    return texts.help_text(referrals=settings.referral_percent > 0)


async def cb_main(query: CallbackQuery, state: FSMContext, user: UserDTO, deps: Deps) -> None:
    await state.clear()
    await show(
        query, texts.main_menu_title(user.balance, deps.settings.shop_currency), kb.main_menu()
    )
    await query.answer()


async def cmd_cancel(message: Message, state: FSMContext, user: UserDTO, deps: Deps) -> None:
    had_flow = await state.get_state() is not None
    await state.clear()
    text = common_texts.cancelled() if had_flow else texts.nothing_to_cancel()
    await message.answer(text)
    await message.answer(
        texts.main_menu_title(user.balance, deps.settings.shop_currency),
        reply_markup=kb.main_menu(),
    )


async def cmd_language(message: Message, user: UserDTO) -> None:
    await message.answer(texts.language_prompt(), reply_markup=kb.languages(user.language))


async def cb_language(query: CallbackQuery, user: UserDTO) -> None:
    await show(query, texts.language_prompt(), kb.languages(user.language))
    await query.answer()


async def cb_set_language(
    query: CallbackQuery, callback_data: LanguageCD, user: UserDTO, shop: Shop, deps: Deps
) -> None:
    code = callback_data.code
    if code not in deps.i18n.available_locales and code != "en":
        await query.answer(common_texts.stale_button())
        return
    await shop.users.set_language(user.id, code)
    # Applies at once: the rest of this update already speaks the new language.
    with deps.i18n.use_locale(code):
        await query.answer(texts.language_set())
        await show(
            query, texts.main_menu_title(user.balance, deps.settings.shop_currency), kb.main_menu()
        )
        if query.message is not None:  # the persistent menu in the new language
            await query.bot.send_message(  # type: ignore[union-attr]
                query.message.chat.id,
                menu_texts.menu_set(),
                reply_markup=menu_markup(deps.settings),
            )
