"""The command menus Telegram shows, per language (setMyCommands)."""

from __future__ import annotations

import logging
from collections.abc import Collection

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram.utils.i18n import gettext as _

from bot.i18n import Catalogues

log = logging.getLogger(__name__)


def customer_commands() -> list[BotCommand]:
    return [
        BotCommand(command="start", description=_("Main menu")),
        BotCommand(command="orders", description=_("My orders")),
        BotCommand(command="balance", description=_("Balance and history")),
        BotCommand(command="topup", description=_("Top up with Telegram Stars")),
        BotCommand(command="referral", description=_("Invite friends, earn rewards")),
        BotCommand(command="promo", description=_("Redeem a promo code")),
        BotCommand(command="language", description=_("Change language")),
        BotCommand(command="help", description=_("How it works")),
        BotCommand(command="support", description=_("Write to the shop")),
        BotCommand(command="paysupport", description=_("Help with a payment")),
        BotCommand(command="cancel", description=_("Leave the current step")),
    ]


def admin_commands() -> list[BotCommand]:
    """What an admin's menu adds to the customer's (names fixed by the runtime contract)."""
    return [
        BotCommand(command="admin", description=_("Admin commands and their syntax")),
        BotCommand(command="stats", description=_("[today|7d|30d|all] Shop figures")),
        BotCommand(command="user", description=_("<id|@name> A customer's profile")),
        BotCommand(command="credit", description=_("<id> <amount> [reason] Add to a balance")),
        BotCommand(command="debit", description=_("<id> <amount> [reason] Take from a balance")),
        BotCommand(command="ban", description=_("<id> Ban a customer")),
        BotCommand(command="unban", description=_("<id> Unban a customer")),
        BotCommand(
            command="markup",
            description=_("<percent> [category <name> | service <id>] Set a markup"),
        ),
        BotCommand(command="hide", description=_("<service id> Hide a service")),
        BotCommand(command="show", description=_("<service id> Show a hidden service")),
        BotCommand(command="sync", description=_("Load the panel's catalogue now")),
        BotCommand(command="provider", description=_("Panel balance and polling")),
        BotCommand(command="panels", description=_("Every panel: balance, polling, pause")),
        BotCommand(command="panel", description=_("<name> off|on Stop or resume one panel")),
        BotCommand(
            command="backup",
            description=_("<service id> [<panel>:<id> | off <panel>] A service's backups"),
        ),
        BotCommand(
            command="platform",
            description=_("list | rename <from> <to> | reset <name> The catalogue's platforms"),
        ),
        BotCommand(command="order", description=_("<id> Everything about an order")),
        BotCommand(command="refund", description=_("<id> Refund what is left of an order")),
        BotCommand(command="starsrefund", description=_("<charge id> Return a top-up's Stars")),
        BotCommand(command="tickets", description=_("[open|mine|all] Support tickets")),
        BotCommand(command="broadcast", description=_("Message every customer")),
        BotCommand(command="maintenance", description=_("on|off Close or open the shop")),
        BotCommand(
            command="export", description=_("orders|ledger|customers [from] [to] A CSV file")
        ),
    ]


async def register_commands(bot: Bot, i18n: Catalogues, admin_ids: Collection[int] = ()) -> None:
    """One menu per shipped language, plus the default language for everyone else; each
    admin (ADMIN_IDS) gets the admin commands too, in a scope of their own chat, so
    nobody else sees them."""
    scope = BotCommandScopeAllPrivateChats()
    codes = sorted({*i18n.available_locales, "en"})
    with i18n.context():
        for code in codes:
            with i18n.use_locale(code):
                await bot.set_my_commands(customer_commands(), scope=scope, language_code=code)
        with i18n.use_locale(i18n.default_locale):
            await bot.set_my_commands(customer_commands(), scope=scope)
        for admin_id in sorted(admin_ids):
            own = BotCommandScopeChat(chat_id=admin_id)
            try:
                for code in codes:
                    with i18n.use_locale(code):
                        menu = customer_commands() + admin_commands()
                        await bot.set_my_commands(menu, scope=own, language_code=code)
                with i18n.use_locale(i18n.default_locale):
                    await bot.set_my_commands(customer_commands() + admin_commands(), scope=own)
            except TelegramAPIError as exc:
                # Typically "chat not found": the admin has not started the bot yet.
                log.warning("admin commands not set for %s: %s", admin_id, exc)
