"""The persistent menu's buttons (a reply keyboard under the message field): their texts
in the customer's language, and which button a typed text is, in any shipped language
(a customer who switched languages may still have the old keyboard)."""

from __future__ import annotations

import functools
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
    rows = ((MenuButton.NEW_ORDER,), (MenuButton.ORDERS, MenuButton.BALANCE), tuple(last))
    return _markup(tuple(tuple(label(b) for b in row) for row in rows))


@functools.lru_cache(maxsize=64)
def _markup(rows: tuple[tuple[str, ...], ...]) -> ReplyKeyboardMarkup:
    # Built once per language: it goes under many replies, and building the model
    # (validation of every button) cost more than the rest of such a reply. Never
    # changed after: aiogram only reads it to send it.
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=text) for text in row] for row in rows],
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
    return _labels(i18n).get(text.strip())


@functools.lru_cache(maxsize=8)
def _labels(i18n: I18n) -> dict[str, MenuButton]:
    """Every button's text in every shipped language (looked up on each typed text)."""
    found: dict[str, MenuButton] = {}
    for code in sorted({*i18n.available_locales, "en"}, reverse=True):  # English wins
        with i18n.use_locale(code):
            for button in MenuButton:
                found[label(button)] = button
    return found
