"""Texts of the persistent menu and the answers to greetings and unknown
commands."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.texts.format import fmt


def menu_set() -> str:
    return _(
        "⌨️ The menu is now under the message field: its buttons work at any moment, "
        "also in the middle of an order."
    )


def greeting(name: str) -> str:
    return fmt(
        _(
            "👋 Hello, {name}! Choose what you need below, or type what you are looking for "
            "(for example <i>followers</i>). /help shows everything you can do here."
        ),
        name=name,
    )


def unknown_command() -> str:
    return _("We do not know that command. Here is the menu; /help lists the commands we have.")


def not_understood() -> str:
    return _(
        "We can only read text here. Type what you are looking for (for example "
        "<i>followers</i>), or choose from the menu. /help shows everything you can do."
    )
