"""The channel gate: an update middleware (after the user's, so the customer, their
language and `is_admin` are known) that holds back storefront updates of customers who
have not joined REQUIRED_CHANNEL, answering with the join prompt instead.

Never held back: admins; payments (Stars that arrived, pre-checkout queries); anything
outside a private chat; a customer in the middle of a flow (an order form already
started goes through to its end); /orders, /balance, /help, /cancel, /language,
/support, /paysupport, the persistent menu's My orders, Balance, Support and Language, and
the buttons of the order list, an order's card and those under receipts and notices
(orders in flight, except "Order again"); the support tickets' buttons; "Check again"
itself. Notifications are sent
by jobs, not updates, so they never meet it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import TelegramObject, Update

from bot.channel import ChannelMembership
from bot.deps import Deps
from bot.middlewares.user import money_arrived
from bot.notice_buttons import NoticeAction, NoticeCD
from bot.support_buttons import TicketCD
from handlers.channel import keyboards as kb
from handlers.channel import texts
from handlers.channel.callbacks import ChannelCD
from handlers.menu.buttons import MenuButton, pressed
from handlers.orders.callbacks import OrderCD, OrdersCD
from handlers.storefront.callbacks import Menu, MenuCD
from handlers.support.states import SupportFlow

OPEN_COMMANDS = frozenset(
    {"orders", "balance", "help", "cancel", "language", "support", "paysupport"}
)
OPEN_BUTTONS = frozenset(
    {MenuButton.ORDERS, MenuButton.BALANCE, MenuButton.SUPPORT, MenuButton.LANGUAGE}
)
OPEN_NOTICE = frozenset({NoticeAction.CARD, NoticeAction.REFILL, NoticeAction.MENU})
OPEN_PREFIXES = frozenset(
    {ChannelCD.__prefix__, OrdersCD.__prefix__, OrderCD.__prefix__, TicketCD.__prefix__}
)
OPEN_MENU = frozenset({Menu.ORDERS, Menu.BALANCE, Menu.HELP, Menu.LANGUAGE})


def _command(text: str | None) -> str | None:
    if not text or not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""


def _open_button(data: str | None) -> bool:
    if not data:
        return False
    if data.split(ChannelCD.__separator__, 1)[0] in OPEN_PREFIXES:
        return True
    with contextlib.suppress(Exception):  # any other button: not a menu one
        return MenuCD.unpack(data).action in OPEN_MENU
    with contextlib.suppress(Exception):  # nor a notice's
        return NoticeCD.unpack(data).action in OPEN_NOTICE
    return False


def gated(update: Update, data: dict[str, Any]) -> bool:
    """Whether the update waits for the customer to join the channel."""
    if data.get("is_admin") or money_arrived(update):
        return False
    state = data.get("raw_state")
    if state is not None:
        if not str(state).startswith(f"{SupportFlow.__full_group_name__}:"):
            return False  # an order form (or another flow) already begun goes on
        # Writing to support goes on too; only the menu's other buttons wait (and the
        # buttons below, as outside any flow).
        message = update.message
        deps_: Deps | None = data.get("deps")
        if message is not None:
            if deps_ is None:
                return False
            button = pressed(message.text, deps_.i18n)
            return button is not None and button not in OPEN_BUTTONS
    if update.message is not None:
        message = update.message
        if message.chat.type != "private" or _command(message.text) in OPEN_COMMANDS:
            return False
        deps: Deps | None = data.get("deps")
        return deps is None or pressed(message.text, deps.i18n) not in OPEN_BUTTONS
    if update.callback_query is not None:
        query = update.callback_query
        private = query.message is None or query.message.chat.type == "private"
        return private and not _open_button(query.data)
    return False


class ChannelGate(BaseMiddleware):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._membership: ChannelMembership | None = None

    def membership(self) -> ChannelMembership | None:
        """The checker of the channel set now (tests and a restart may change it)."""
        channel = self.deps.settings.required_channel
        if channel is None:
            return None
        if self._membership is None or self._membership.channel != channel:
            self._membership = ChannelMembership(channel, self.deps.clock)
        return self._membership

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        membership = self.membership()
        if membership is None or not isinstance(event, Update):
            return await handler(event, data)
        data["channel"] = membership
        tg_user = data.get("event_from_user")
        bot: Bot | None = data.get("bot")
        if tg_user is None or bot is None or not gated(event, data):
            return await handler(event, data)
        if await membership.is_member(bot, tg_user.id):
            return await handler(event, data)
        text, markup = texts.join_prompt(membership.channel), kb.join(membership)
        if event.callback_query is not None:
            await event.callback_query.answer()
            await bot.send_message(tg_user.id, text, reply_markup=markup)
        elif event.message is not None:
            await event.message.answer(text, reply_markup=markup)
        return None
