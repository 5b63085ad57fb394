"""The wallet's buttons: balance, top-up presets, after a payment, sharing the referral link."""

from __future__ import annotations

from urllib.parse import quote

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.shop.payments.values import TopUpMenu
from handlers.common.keyboards import KeyboardBuilder
from handlers.storefront.callbacks import (
    Menu,
    MenuCD,
)
from handlers.storefront.keyboards import home_button
from handlers.wallet import texts
from handlers.wallet.callbacks import TopUpAction, TopUpCD


def balance_menu() -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=_("➕ Top up"), callback_data=MenuCD(action=Menu.TOPUP))
    b.row(home_button())
    return b.as_markup()


def topup_menu(menu: TopUpMenu) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    for preset in menu.presets:
        b.button(
            text=texts.preset_label(preset, menu.currency),
            callback_data=TopUpCD(action=TopUpAction.STARS, stars=preset.stars),
        )
    b.adjust(2)
    b.row(
        InlineKeyboardButton(
            text=texts.custom_label(),
            callback_data=TopUpCD(action=TopUpAction.CUSTOM).pack(),
        )
    )
    b.row(home_button())
    return b.as_markup()


def custom_amount() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("« Back"), callback_data=TopUpCD(action=TopUpAction.BACK).pack()
                )
            ]
        ]
    )


def after_payment() -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=_("🛒 New order"), callback_data=MenuCD(action=Menu.NEW_ORDER))
    b.button(text=_("💰 Balance"), callback_data=MenuCD(action=Menu.BALANCE))
    b.adjust(2)
    return b.as_markup()


def referral(link: str) -> InlineKeyboardMarkup:
    share = f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(texts.share_text())}"
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=texts.share_label(), url=share)],
            [home_button()],
        ]
    )
