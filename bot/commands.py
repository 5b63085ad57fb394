"""The command menus Telegram shows, per language (setMyCommands)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats
from aiogram.utils.i18n import gettext as _

from bot.i18n import Catalogues


def customer_commands() -> list[BotCommand]:
    return [
        BotCommand(command="start", description=_("Main menu")),
        BotCommand(command="orders", description=_("My orders")),
        BotCommand(command="balance", description=_("Balance and history")),
        BotCommand(command="language", description=_("Change language")),
        BotCommand(command="help", description=_("How it works")),
        BotCommand(command="cancel", description=_("Leave the current step")),
    ]


async def register_commands(bot: Bot, i18n: Catalogues) -> None:
    """One menu per shipped language, plus the default language for everyone else."""
    scope = BotCommandScopeAllPrivateChats()
    with i18n.context():
        for code in sorted({*i18n.available_locales, "en"}):
            with i18n.use_locale(code):
                await bot.set_my_commands(customer_commands(), scope=scope, language_code=code)
        with i18n.use_locale(i18n.default_locale):
            await bot.set_my_commands(customer_commands(), scope=scope)
