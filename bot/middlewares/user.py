"""Who is writing: the customer record, the language, and the gate (ban, maintenance)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, PreCheckoutQuery, TelegramObject, Update, User
from aiogram.utils.i18n import gettext as _

from bot.deps import Deps
from bot.shop.services import Shop


def money_arrived(update: Update) -> bool:
    """Telegram has already moved the Stars: such an update is never refused or dropped."""
    message = update.message
    return message is not None and (
        message.successful_payment is not None or message.refunded_payment is not None
    )


def _start_param(update: Update) -> str | None:
    message = update.message
    if message and message.text and message.text.startswith("/start "):
        return message.text.split(maxsplit=1)[1].strip()
    return None


OpenCheck = Callable[[Update, Deps], bool]


class UserMiddleware(BaseMiddleware):
    def __init__(self, deps: Deps, open_in_maintenance: OpenCheck | None = None) -> None:
        """`open_in_maintenance`: which updates still pass while the shop is closed (reading
        one's orders and balance); by default none."""
        self.deps = deps
        self.open_in_maintenance = open_in_maintenance or (lambda update, deps: False)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        tg_user: User | None = data.get("event_from_user")
        i18n = self.deps.i18n
        if tg_user is None or tg_user.is_bot or not isinstance(event, Update):
            with i18n.context(), i18n.use_locale(i18n.default_locale):
                return await handler(event, data)
        shop: Shop = data["shop"]
        arrival = await shop.users.arrive(
            tg_user.id,
            username=tg_user.username,
            first_name=tg_user.first_name,
            language=i18n.pick(tg_user.language_code),
            start_param=_start_param(event),
        )
        user = arrival.user
        is_admin = tg_user.id in self.deps.settings.admin_ids
        data["user"] = user
        data["is_admin"] = is_admin
        with i18n.context(), i18n.use_locale(i18n.pick(user.language)):
            if not is_admin and not money_arrived(event):
                if user.banned:
                    return await _refuse(event, _("Sorry, your access to this shop is closed."))
                if arrival.maintenance and not self.open_in_maintenance(event, self.deps):
                    return await _refuse(
                        event,
                        _(
                            "The shop is closed for maintenance for a little while: new "
                            "orders and top-ups wait until we are back. Your orders "
                            "(/orders) and balance (/balance) stay open."
                        ),
                    )
            return await handler(event, data)


async def _refuse(update: Update, text: str) -> None:
    """One polite answer, through whatever the customer touched; nothing else happens."""
    if update.callback_query is not None:
        query: CallbackQuery = update.callback_query
        await query.answer(text, show_alert=True)
    elif update.pre_checkout_query is not None:
        checkout: PreCheckoutQuery = update.pre_checkout_query
        await checkout.answer(ok=False, error_message=text)
    elif update.message is not None:
        message: Message = update.message
        if message.chat.type == "private":
            await message.answer(text)
