"""What the admin routers share: the admin gate, command arguments, domain errors as
admin replies, and messages to customers and operators through the outbox.

Admin handlers do not catch domain errors: `AdminRefusals` (on the admin router, so on
every admin area under it) turns a `ShopError` into the admin's words and a `Usage` into
the command's usage line. The use case raised before changing anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, F, Router
from aiogram.filters import CommandObject, Filter
from aiogram.types import CallbackQuery, Message, TelegramObject

from bot.deps import Deps
from bot.middlewares.answers import callback_answered
from bot.numbers import parse_whole
from bot.outbox.writer import Outbox, Priority
from bot.shop.errors import ShopError
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import texts
from handlers.common.show import show


class IsAdmin(Filter):
    """Passes only for ADMIN_IDS (the user middleware puts `is_admin` into the data).

    Used as a router-level filter: for anyone else an admin command or button does not
    exist, and the update falls through to the customer routers like any unknown input.
    """

    async def __call__(self, event: TelegramObject, is_admin: bool = False) -> bool:
        if isinstance(event, Message) and event.chat.type != "private":
            return False  # admin output (customers' data) never goes to a group
        return is_admin


NOT_COMMAND = ~F.text.startswith("/")


class Usage(Exception):
    """A command given arguments it cannot use: the answer is its usage line."""

    def __init__(self, command: str, prefix: str | None = None) -> None:
        super().__init__(command)
        self.command = command
        self.prefix = prefix  # a line saying what was wrong, before the usage


class AdminRefusals(BaseMiddleware):
    """Domain errors and bad arguments of admin handlers, answered in the admin's words."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except Usage as usage:
            if isinstance(event, Message):
                line = texts.usage(usage.command)
                await event.answer(line if usage.prefix is None else f"{usage.prefix}\n{line}")
                return None
            raise
        except ShopError as error:
            if isinstance(event, Message | CallbackQuery):
                await refuse(event, error, data["deps"])
                return None
            raise


def admin_router(name: str) -> Router:
    """A router of one admin area: its messages and buttons pass the admin gate only."""
    router = Router(name=name)
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    return router


def refusing_router(name: str) -> Router:
    """The admin router that holds the areas: its refusals apply to all of them."""
    router = admin_router(name)
    router.message.middleware(AdminRefusals())
    router.callback_query.middleware(AdminRefusals())
    return router


def command_args(command: CommandObject) -> list[str]:
    return (command.args or "").split()


def int_arg(command: CommandObject) -> int | None:
    """The one argument as a positive id ("17" or "#17"), else None."""
    words = command_args(command)
    if len(words) != 1:
        return None
    return parse_whole(words[0].removeprefix("#"), low=1)


def id_arg(command: CommandObject, name: str) -> int:
    """The one argument as a positive id, or `Usage` of the command `name`."""
    found = int_arg(command)
    if found is None:
        raise Usage(name)
    return found


def no_args(command: CommandObject, name: str) -> None:
    """A command that takes no arguments: anything after it is `Usage`."""
    if command.args:
        raise Usage(name)


async def refuse(event: Message | CallbackQuery, error: ShopError, deps: Deps) -> None:
    """The admin's words for a domain error; the service changed nothing."""
    text = texts.error(error, deps.settings.shop_currency)
    if isinstance(event, CallbackQuery):
        if not callback_answered(event.id):
            await event.answer(text[:200], show_alert=True)
        elif event.message is not None and event.bot is not None:
            await event.bot.send_message(event.message.chat.id, text)
    else:
        await event.answer(text)


async def reply(event: Message | CallbackQuery, text: str, markup: Any = None) -> None:
    """A new message for a command, the same message edited for a button."""
    await show(event, text, markup)
    if isinstance(event, CallbackQuery):
        await event.answer()


def outbox(shop: Shop) -> Outbox:
    return Outbox(shop.session, shop.deps.clock, shop.deps.settings)


async def notify_customer(
    shop: Shop,
    customer: UserDTO,
    render: Callable[[], str],
    *,
    dedupe_key: str,
) -> None:
    """A notice to the customer, in their language, queued in this transaction."""
    i18n = shop.deps.i18n
    with i18n.use_locale(i18n.pick(customer.language)):
        text = render()
    await outbox(shop).to_chat(
        customer.telegram_id,
        text,
        priority=Priority.ORDER,
        dedupe_key=dedupe_key,
        user_id=customer.id,
    )


async def alert_operators(shop: Shop, render: Callable[[], str], *, dedupe_key: str) -> None:
    """One alert to the operators' chat, in the shop's default language."""
    i18n = shop.deps.i18n
    with i18n.use_locale(i18n.default_locale):
        text = render()
    await outbox(shop).to_operators(text, dedupe_key=dedupe_key)
