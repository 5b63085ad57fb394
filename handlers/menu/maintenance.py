"""What stays open while the shop is closed for maintenance: reading one's orders and
balance, help and support (support tickets: /support, its buttons and the operators'
replies, but not the message typed in the ticket flow, which waits like other text;
commands, the persistent menu's buttons, the order cards and
the buttons under notices). New orders and top-ups wait; order notices go out as usual
(the outbox does not pass through here)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import Update

from bot.deps import Deps
from bot.notice_buttons import NoticeAction, NoticeCD
from bot.support_buttons import OperatorCD, TicketCD
from handlers.menu.buttons import MenuButton, pressed
from handlers.orders.callbacks import OrderCD, OrdersCD
from handlers.storefront.callbacks import Menu, MenuCD

OPEN_COMMANDS = frozenset({"orders", "balance", "help", "support", "cancel"})
OPEN_BUTTONS = frozenset({MenuButton.ORDERS, MenuButton.BALANCE, MenuButton.SUPPORT})
OPEN_MENU = frozenset({Menu.MAIN, Menu.ORDERS, Menu.BALANCE, Menu.HELP})
OPEN_NOTICE = frozenset({NoticeAction.CARD, NoticeAction.REFILL, NoticeAction.MENU})


def _unpack(kind: type[CallbackData], data: str) -> CallbackData | None:
    try:
        return kind.unpack(data)
    except (TypeError, ValueError):
        return None


def open_in_maintenance(update: Update, deps: Deps) -> bool:
    message = update.message
    operators = deps.settings.operator_chat_id
    if message is not None and operators is not None and message.chat.id == operators:
        return True  # operators answer support tickets whatever the shop's state
    if message is not None and message.text:
        text = message.text
        if text.startswith("/"):
            command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if text[1:] else ""
            return command in OPEN_COMMANDS
        return pressed(text, deps.i18n) in OPEN_BUTTONS
    query = update.callback_query
    if query is not None and query.data:
        data = query.data
        if _unpack(OrdersCD, data) is not None or _unpack(OrderCD, data) is not None:
            return True
        if _unpack(TicketCD, data) is not None or _unpack(OperatorCD, data) is not None:
            return True  # support tickets stay open
        menu = _unpack(MenuCD, data)
        if isinstance(menu, MenuCD):
            return menu.action in OPEN_MENU
        notice = _unpack(NoticeCD, data)
        if isinstance(notice, NoticeCD):
            return notice.action in OPEN_NOTICE
    return False
