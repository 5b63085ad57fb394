"""Errors in one place: domain errors become a localized reply; anything else is logged
with the update id and answered with a short apology."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Dispatcher, Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update

from bot.deps import Deps
from bot.jobs.error_alerts import report_unexpected
from bot.middlewares.answers import callback_answered
from bot.shop.errors import ShopError
from handlers.common import error_texts, texts

log = logging.getLogger(__name__)


def create_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_shop_error, ExceptionTypeFilter(ShopError))
    router.errors.register(on_unexpected)
    return router


def _locale(deps: Deps, data: dict[str, Any], update: Update) -> str:
    user = data.get("user")
    tg_user = data.get("event_from_user")
    return deps.i18n.pick(getattr(user, "language", None), getattr(tg_user, "language_code", None))


async def _reply(update: Update, text: str) -> None:
    """A toast for a button press not answered yet; a message in the chat otherwise (a
    second answer to one callback query would be refused, and the customer would see
    nothing)."""
    query = update.callback_query
    if query is not None:
        if not callback_answered(query.id):
            await query.answer(text[:200], show_alert=True)
            return
        message = query.message
        if message is not None and message.chat.type == "private" and query.bot is not None:
            await query.bot.send_message(message.chat.id, text)
    elif update.message is not None and update.message.chat.type == "private":
        await update.message.answer(text)


async def on_shop_error(event: ErrorEvent, deps: Deps, **data: Any) -> None:
    error = event.exception
    assert isinstance(error, ShopError)
    with deps.i18n.context(), deps.i18n.use_locale(_locale(deps, data, event.update)):
        await _reply(event.update, error_texts.customer_error(error, deps.settings.shop_currency))


async def on_unexpected(event: ErrorEvent, deps: Deps, dispatcher: Dispatcher, **data: Any) -> None:
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    async with deps.session_factory() as session:
        await report_unexpected(event, deps, dispatcher, session)
    with deps.i18n.context(), deps.i18n.use_locale(_locale(deps, data, event.update)):
        try:
            await _reply(event.update, texts.apology())
        except Exception:  # the apology itself must not raise out of the error handler
            log.exception("could not send the apology for update %s", event.update.update_id)
