"""The storefront's buttons: the main menu, the catalogue, search results, languages; the
home button and the pager every feature uses."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import LANGUAGE_NAMES
from bot.shop.catalog import CategoryEntry, PlatformEntry, SearchPage, ServiceCard, ServicePage
from handlers.common.keyboards import KeyboardBuilder, remembered
from handlers.storefront import texts
from handlers.storefront.callbacks import (
    CatalogCD,
    CatalogView,
    LanguageCD,
    Menu,
    MenuCD,
    SearchCD,
    ServiceAction,
    ServiceCD,
)

CATEGORIES_PER_PAGE = 8


@remembered
def main_menu() -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=_("🛒 New order"), callback_data=MenuCD(action=Menu.NEW_ORDER))
    b.button(text=_("📋 My orders"), callback_data=MenuCD(action=Menu.ORDERS))
    b.button(text=_("💰 Balance"), callback_data=MenuCD(action=Menu.BALANCE))
    b.button(text=_("➕ Top up"), callback_data=MenuCD(action=Menu.TOPUP))
    b.button(text=_("🌐 Language"), callback_data=MenuCD(action=Menu.LANGUAGE))
    b.button(text=_("❓ Help"), callback_data=MenuCD(action=Menu.HELP))
    b.adjust(1, 2, 1, 2)
    return b.as_markup()


@remembered
def home_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("🏠 Menu"), callback_data=MenuCD(action=Menu.MAIN).pack())


@remembered
def back_to_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[home_button()]])


def pager(b: KeyboardBuilder, page: int, pages: int, make: object) -> None:
    """« page/pages » row, only when there is more than one page."""
    if pages <= 1:
        return
    row = []
    if page > 0:
        row.append(InlineKeyboardButton(text="«", callback_data=make(page - 1).pack()))  # type: ignore[operator]
    row.append(InlineKeyboardButton(text=f"{page + 1}/{pages}", callback_data=make(page).pack()))  # type: ignore[operator]
    if page + 1 < pages:
        row.append(InlineKeyboardButton(text="»", callback_data=make(page + 1).pack()))  # type: ignore[operator]
    b.row(*row)


@remembered
def platforms(entries: list[PlatformEntry]) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    for index, entry in enumerate(entries):
        b.button(
            text=texts.platform_label(entry),
            callback_data=CatalogCD(view=CatalogView.CATEGORIES, platform=index),
        )
    b.adjust(2)
    b.row(home_button())
    return b.as_markup()


@remembered
def categories(platform: int, entries: list[CategoryEntry], page: int) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    pages = max(1, -(-len(entries) // CATEGORIES_PER_PAGE))
    chunk = entries[page * CATEGORIES_PER_PAGE : (page + 1) * CATEGORIES_PER_PAGE]
    for entry in chunk:
        b.row(
            InlineKeyboardButton(
                text=texts.category_label(entry),
                callback_data=CatalogCD(
                    view=CatalogView.SERVICES, platform=platform, category=entry.key
                ).pack(),
            )
        )
    pager(
        b, page, pages, lambda p: CatalogCD(view=CatalogView.CATEGORIES, platform=platform, page=p)
    )
    b.row(
        InlineKeyboardButton(
            text=_("« Back"), callback_data=CatalogCD(view=CatalogView.PLATFORMS).pack()
        ),
        home_button(),
    )
    return b.as_markup()


@remembered
def services(platform: int, view: ServicePage) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    for card in view.cards:
        b.row(
            InlineKeyboardButton(
                text=texts.service_label(card, view.category.name),
                callback_data=ServiceCD(
                    action=ServiceAction.CARD, service_id=card.id, page=view.page
                ).pack(),
            )
        )
    pager(
        b,
        view.page,
        view.pages,
        lambda p: CatalogCD(
            view=CatalogView.SERVICES, platform=platform, category=view.category.key, page=p
        ),
    )
    b.row(
        InlineKeyboardButton(
            text=_("« Back"),
            callback_data=CatalogCD(view=CatalogView.CATEGORIES, platform=platform).pack(),
        ),
        home_button(),
    )
    return b.as_markup()


@remembered
def service_card(card: ServiceCard, back: CatalogCD | None) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.row(
        InlineKeyboardButton(
            text=_("🛒 Order"),
            callback_data=ServiceCD(action=ServiceAction.ORDER, service_id=card.id).pack(),
        )
    )
    row = []
    if back is not None:
        row.append(InlineKeyboardButton(text=_("« Back"), callback_data=back.pack()))
    row.append(home_button())
    b.row(*row)
    return b.as_markup()


@remembered
def search_results(view: SearchPage, key: str) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    for card in view.cards:
        b.row(
            InlineKeyboardButton(
                text=texts.service_label(card),
                callback_data=ServiceCD(action=ServiceAction.CARD, service_id=card.id).pack(),
            )
        )
    pager(b, view.page, view.pages, lambda p: SearchCD(key=key, page=p))
    b.row(home_button())
    return b.as_markup()


@remembered
def languages(current: str | None) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        mark = "✓ " if code == current else ""
        b.button(text=f"{mark}{name}", callback_data=LanguageCD(code=code))
    b.adjust(2)
    b.row(home_button())
    return b.as_markup()
