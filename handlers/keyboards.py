"""Keyboards: pure functions of data (no I/O), labels through gettext."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import LANGUAGE_NAMES
from bot.provider.models import SUBSCRIPTION_DELAYS
from bot.shop.catalog import CategoryEntry, PlatformEntry, ServiceCard, ServicePage
from bot.shop.order_form import OPTIONAL_STEPS, Step
from bot.shop.orders.models import OrderPage
from bot.shop.tracking import OrderView
from handlers import texts
from handlers.callbacks import (
    CatalogCD,
    CatalogView,
    FlowAction,
    FlowCD,
    LanguageCD,
    Menu,
    MenuCD,
    OrderAction,
    OrderCD,
    OrdersCD,
    ServiceAction,
    ServiceCD,
)

CATEGORIES_PER_PAGE = 8


def main_menu() -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=_("🛒 New order"), callback_data=MenuCD(action=Menu.NEW_ORDER))
    b.button(text=_("📋 My orders"), callback_data=MenuCD(action=Menu.ORDERS))
    b.button(text=_("💰 Balance"), callback_data=MenuCD(action=Menu.BALANCE))
    b.button(text=_("➕ Top up"), callback_data=MenuCD(action=Menu.TOPUP))
    b.button(text=_("🌐 Language"), callback_data=MenuCD(action=Menu.LANGUAGE))
    b.button(text=_("❓ Help"), callback_data=MenuCD(action=Menu.HELP))
    b.adjust(1, 2, 1, 2)
    return b.as_markup()


def _home_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("🏠 Menu"), callback_data=MenuCD(action=Menu.MAIN).pack())


def balance_menu() -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=_("➕ Top up"), callback_data=MenuCD(action=Menu.TOPUP))
    b.row(_home_button())
    return b.as_markup()


def back_to_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_home_button()]])


def _pager(b: InlineKeyboardBuilder, page: int, pages: int, make: object) -> None:
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


def platforms(entries: list[PlatformEntry]) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for index, entry in enumerate(entries):
        b.button(
            text=texts.platform_label(entry),
            callback_data=CatalogCD(view=CatalogView.CATEGORIES, platform=index),
        )
    b.adjust(2)
    b.row(_home_button())
    return b.as_markup()


def categories(platform: int, entries: list[CategoryEntry], page: int) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    pages = max(1, -(-len(entries) // CATEGORIES_PER_PAGE))
    chunk = entries[page * CATEGORIES_PER_PAGE : (page + 1) * CATEGORIES_PER_PAGE]
    for entry in chunk:
        b.row(
            InlineKeyboardButton(
                text=texts.category_label(entry)[:60],
                callback_data=CatalogCD(
                    view=CatalogView.SERVICES, platform=platform, category=entry.key
                ).pack(),
            )
        )
    _pager(
        b, page, pages, lambda p: CatalogCD(view=CatalogView.CATEGORIES, platform=platform, page=p)
    )
    b.row(
        InlineKeyboardButton(
            text=_("« Back"), callback_data=CatalogCD(view=CatalogView.PLATFORMS).pack()
        ),
        _home_button(),
    )
    return b.as_markup()


def services(platform: int, view: ServicePage) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for card in view.cards:
        b.row(
            InlineKeyboardButton(
                text=texts.service_label(card),
                callback_data=ServiceCD(
                    action=ServiceAction.CARD, service_id=card.id, page=view.page
                ).pack(),
            )
        )
    _pager(
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
        _home_button(),
    )
    return b.as_markup()


def service_card(card: ServiceCard, back: CatalogCD | None) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.row(
        InlineKeyboardButton(
            text=_("🛒 Order"),
            callback_data=ServiceCD(action=ServiceAction.ORDER, service_id=card.id).pack(),
        )
    )
    row = []
    if back is not None:
        row.append(InlineKeyboardButton(text=_("« Back"), callback_data=back.pack()))
    row.append(_home_button())
    b.row(*row)
    return b.as_markup()


def search_results(cards: list[ServiceCard]) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for card in cards:
        b.row(
            InlineKeyboardButton(
                text=texts.service_label(card),
                callback_data=ServiceCD(action=ServiceAction.CARD, service_id=card.id).pack(),
            )
        )
    b.row(_home_button())
    return b.as_markup()


def step(current: Step) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    if current is Step.DELAY:
        for delay in SUBSCRIPTION_DELAYS:
            b.button(text=str(delay), callback_data=FlowCD(action=FlowAction.CHOOSE, value=delay))
        b.adjust(5)
    row = []
    if current in OPTIONAL_STEPS:
        row.append(
            InlineKeyboardButton(
                text=_("Skip »"), callback_data=FlowCD(action=FlowAction.SKIP).pack()
            )
        )
    row.append(
        InlineKeyboardButton(
            text=_("✖ Cancel"), callback_data=FlowCD(action=FlowAction.CANCEL).pack()
        )
    )
    b.row(*row)
    return b.as_markup()


def confirm() -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(text=_("✅ Confirm"), callback_data=FlowCD(action=FlowAction.CONFIRM))
    b.button(text=_("✖ Cancel"), callback_data=FlowCD(action=FlowAction.CANCEL))
    b.adjust(2)
    return b.as_markup()


def shortfall(missing_label: str) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(
        text=_("➕ Top up {amount}").format(amount=missing_label),
        callback_data=FlowCD(action=FlowAction.TOPUP),
    )
    b.button(text=_("✅ Confirm"), callback_data=FlowCD(action=FlowAction.CONFIRM))
    b.button(text=_("✖ Cancel"), callback_data=FlowCD(action=FlowAction.CANCEL))
    b.adjust(1, 2)
    return b.as_markup()


def order_done(order_id: int) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    b.button(
        text=_("📄 Order #{id}").format(id=order_id),
        callback_data=OrderCD(action=OrderAction.CARD, order_id=order_id),
    )
    b.button(text=_("🛒 New order"), callback_data=MenuCD(action=Menu.NEW_ORDER))
    b.row(_home_button())
    b.adjust(2)
    return b.as_markup()


def orders(page: OrderPage) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for order in page.orders:
        b.row(
            InlineKeyboardButton(
                text=texts.order_label(order),
                callback_data=OrderCD(
                    action=OrderAction.CARD, order_id=order.id, page=page.page
                ).pack(),
            )
        )
    pages = max(1, -(-page.total // page.per_page))
    _pager(b, page.page, pages, lambda p: OrdersCD(page=p))
    b.row(_home_button())
    return b.as_markup()


def order_card(view: OrderView, page: int) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    actions = [
        (view.can_refresh, _("🔄 Refresh"), OrderAction.REFRESH),
        (view.can_refill, _("♻️ Refill"), OrderAction.REFILL),
        (view.can_cancel, _("✖ Cancel order"), OrderAction.CANCEL),
    ]
    row = [
        InlineKeyboardButton(
            text=label,
            callback_data=OrderCD(action=action, order_id=view.order.id, page=page).pack(),
        )
        for allowed, label, action in actions
        if allowed
    ]
    if row:
        b.row(*row)
    b.row(
        InlineKeyboardButton(text=_("« My orders"), callback_data=OrdersCD(page=page).pack()),
        _home_button(),
    )
    return b.as_markup()


def languages(current: str | None) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for code, name in LANGUAGE_NAMES.items():
        mark = "✓ " if code == current else ""
        b.button(text=f"{mark}{name}", callback_data=LanguageCD(code=code))
    b.adjust(2)
    b.row(_home_button())
    return b.as_markup()
