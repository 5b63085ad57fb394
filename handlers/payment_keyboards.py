"""Keyboards of top-ups and referrals: pure functions of data, labels through gettext."""

from __future__ import annotations

from urllib.parse import quote

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.shop.payments.values import TopUpMenu
from handlers import payment_texts as ptexts
from handlers.callbacks import Menu, MenuCD, TopUpAction, TopUpCD


def _home() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("🏠 Menu"), callback_data=MenuCD(action=Menu.MAIN).pack())


def topup_menu(menu: TopUpMenu) -> InlineKeyboardMarkup:
    b = InlineKeyboardBuilder()
    for preset in menu.presets:
        b.button(
            text=ptexts.preset_label(preset, menu.currency),
            callback_data=TopUpCD(action=TopUpAction.STARS, stars=preset.stars),
        )
    b.adjust(2)
    b.row(
        InlineKeyboardButton(
            text=ptexts.custom_label(),
            callback_data=TopUpCD(action=TopUpAction.CUSTOM).pack(),
        )
    )
    b.row(_home())
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
    b = InlineKeyboardBuilder()
    b.button(text=_("🛒 New order"), callback_data=MenuCD(action=Menu.NEW_ORDER))
    b.button(text=_("💰 Balance"), callback_data=MenuCD(action=Menu.BALANCE))
    b.adjust(2)
    return b.as_markup()


def referral(link: str) -> InlineKeyboardMarkup:
    share = f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(ptexts.share_text())}"
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=ptexts.share_label(), url=share)], [_home()]]
    )
