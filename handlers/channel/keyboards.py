"""Buttons of the join prompt."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.channel import ChannelMembership
from handlers.channel import texts
from handlers.channel.callbacks import ChannelCD
from handlers.common.keyboards import KeyboardBuilder
from handlers.storefront.callbacks import Menu, MenuCD


def join(membership: ChannelMembership) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=texts.button_open(membership.channel), url=membership.url)
    b.button(text=texts.button_check(), callback_data=ChannelCD())
    b.adjust(1)
    return b.as_markup()


def joined() -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=texts.button_menu(), callback_data=MenuCD(action=Menu.MAIN))
    return b.as_markup()
