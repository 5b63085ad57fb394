"""Browsing: platforms -> categories -> services -> a service card; search by text."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.shop.catalog import category_key
from bot.shop.services import Shop
from bot.texts.format import locale
from handlers.common.show import show
from handlers.storefront import keyboards as kb
from handlers.storefront import texts
from handlers.storefront.callbacks import (
    CatalogCD,
    CatalogView,
    Menu,
    MenuCD,
    SearchCD,
    ServiceAction,
    ServiceCD,
)


def create_router() -> Router:
    router = Router(name="catalog")
    router.callback_query.register(cb_new_order, MenuCD.filter(F.action == Menu.NEW_ORDER))
    router.callback_query.register(cb_platforms, CatalogCD.filter(F.view == CatalogView.PLATFORMS))
    router.callback_query.register(
        cb_categories, CatalogCD.filter(F.view == CatalogView.CATEGORIES)
    )
    router.callback_query.register(cb_services, CatalogCD.filter(F.view == CatalogView.SERVICES))
    router.callback_query.register(cb_card, ServiceCD.filter(F.action == ServiceAction.CARD))
    router.callback_query.register(cb_search_page, SearchCD.filter())
    # Text outside any flow is a search (commands are handled before this router).
    router.message.register(msg_search, StateFilter(None), F.text, ~F.text.startswith("/"))
    return router


async def cb_new_order(query: CallbackQuery, shop: Shop) -> None:
    entries = await shop.catalog.platforms()
    await show(query, texts.platforms_title(entries), kb.platforms(entries))
    await query.answer()


async def cb_platforms(query: CallbackQuery, shop: Shop) -> None:
    await cb_new_order(query, shop)


async def cb_categories(query: CallbackQuery, callback_data: CatalogCD, shop: Shop) -> None:
    platform = await shop.catalog.platform(callback_data.platform)  # NotFound when stale
    entries = await shop.catalog.categories(platform.name)
    pages = max(1, -(-len(entries) // kb.CATEGORIES_PER_PAGE))
    page = min(max(callback_data.page, 0), pages - 1)
    await show(
        query,
        texts.categories_title(platform, page, pages),
        kb.categories(callback_data.platform, entries, page),
    )
    await query.answer()


async def cb_services(query: CallbackQuery, callback_data: CatalogCD, shop: Shop) -> None:
    platform = await shop.catalog.platform(callback_data.platform)
    category = await shop.catalog.category(platform.name, callback_data.category)
    view = await shop.catalog.services_page(category, callback_data.page)
    await show(query, texts.services_title(view), kb.services(callback_data.platform, view))
    await query.answer()


async def cb_card(query: CallbackQuery, callback_data: ServiceCD, shop: Shop) -> None:
    card = await shop.catalog.card(callback_data.service_id)  # ServiceUnavailable when gone
    platforms = await shop.catalog.platforms()
    index = next((i for i, p in enumerate(platforms) if p.name == card.platform), None)
    back = None
    if index is not None:
        back = CatalogCD(
            view=CatalogView.SERVICES,
            platform=index,
            category=category_key(card.category),
            page=callback_data.page,
        )
    await show(query, texts.service_card(card), kb.service_card(card, back))
    await query.answer()


SEARCH_KEY = "search"  # the FSM data entry that holds the last search's words
MAX_QUERY = 100


def search_key(query: str) -> str:
    return category_key(query)


async def msg_search(message: Message, shop: Shop, state: FSMContext) -> None:
    query = (message.text or "").strip()[:MAX_QUERY]
    view = await shop.catalog.search(query, locale=locale())
    if not view.total:
        await message.answer(texts.unknown_text(), reply_markup=kb.main_menu())
        return
    await state.update_data({SEARCH_KEY: query})
    await message.answer(
        texts.search_results(query, view), reply_markup=kb.search_results(view, search_key(query))
    )


async def cb_search_page(
    query: CallbackQuery, callback_data: SearchCD, shop: Shop, state: FSMContext
) -> None:
    """Another page of the last search; a button of an older one (or made up) changes
    nothing."""
    words = (await state.get_data()).get(SEARCH_KEY)
    if not isinstance(words, str) or search_key(words) != callback_data.key:
        await query.answer(texts.search_out_of_date(), show_alert=True)
        return
    view = await shop.catalog.search(words, locale=locale(), page=callback_data.page)
    await show(query, texts.search_results(words, view), kb.search_results(view, callback_data.key))
    await query.answer()
