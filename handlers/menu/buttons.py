"""The persistent menu's buttons (a reply keyboard under the message field): their texts
in the customer's language, and which button a typed text is, in any shipped language
(a customer who switched languages may still have the old keyboard)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import Config


class MenuButton(StrEnum):
    NEW_ORDER = "new_order"
    ORDERS = "orders"
    BALANCE = "balance"
    REFERRAL = "referral"
    SUPPORT = "support"
    LANGUAGE = "language"


def label(button: MenuButton) -> str:
    labels = {
        MenuButton.NEW_ORDER: _("🛒 New order"),
        MenuButton.ORDERS: _("📋 My orders"),
        MenuButton.BALANCE: _("💰 Balance / Top up"),
        MenuButton.REFERRAL: _("👥 Referral"),
        MenuButton.SUPPORT: _("💬 Support"),
        MenuButton.LANGUAGE: _("🌐 Language"),
    }
    return labels[button]


def reply_menu(*, referrals: bool) -> ReplyKeyboardMarkup:
    """New order; My orders, Balance / Top up; Referral (when referrals are on), Support,
    Language."""
    last = [MenuButton.SUPPORT, MenuButton.LANGUAGE]
    if referrals:
        last.insert(0, MenuButton.REFERRAL)
    rows = [[MenuButton.NEW_ORDER], [MenuButton.ORDERS, MenuButton.BALANCE], last]
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=label(b)) for b in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )


def menu_markup(settings: Config) -> ReplyKeyboardMarkup:
    """The menu as this shop has it (Referral only when referrals are on)."""
    return reply_menu(referrals=settings.referral_percent > 0)


def pressed(text: str | None, i18n: I18n) -> MenuButton | None:
    """The menu button whose text this is, in any shipped language; None for other text."""
    if not text or len(text) > 64:
        return None
    said = text.strip()
    for code in sorted({*i18n.available_locales, "en"}):
        with i18n.use_locale(code):
            for button in MenuButton:
                if label(button) == said:
                    return button
    return None
