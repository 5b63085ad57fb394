"""Sync filters run in the event loop, and a press is tried only on the routers whose
button handlers can take it (handlers/common/routing.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.sandbox.recording import RecordingSession
from handlers import create_routers
from handlers.common.routing import (
    CallbackPrefixes,
    callback_prefixes,
    inline_filters,
    narrow_callbacks,
)


class Apple(CallbackData, prefix="ap"):
    n: int


class Pear(CallbackData, prefix="pe"):
    n: int


def _press(data: str) -> Update:
    user = User(id=7, is_bot=False, first_name="A")
    message = Message(
        message_id=1, date=datetime.now(UTC), chat=Chat(id=7, type="private"), text="x"
    )
    query = CallbackQuery(id="q", from_user=user, chat_instance="c", data=data, message=message)
    return Update(update_id=1, callback_query=query)


async def test_a_press_skips_routers_that_cannot_take_it() -> None:
    tried: list[str] = []
    apples, pears = Router(name="apples"), Router(name="pears")

    async def apple(query: CallbackQuery, callback_data: Apple) -> str:
        return f"apple {callback_data.n}"

    async def pear(query: CallbackQuery, callback_data: Pear) -> str:
        return f"pear {callback_data.n}"

    def spy(name: str) -> object:
        def check(query: CallbackQuery) -> bool:
            tried.append(name)
            return True

        return check

    apples.callback_query.register(apple, spy("apples"), Apple.filter())
    pears.callback_query.register(pear, spy("pears"), Pear.filter())
    dp = Dispatcher()
    dp.include_routers(narrow_callbacks(apples), narrow_callbacks(pears))
    bot = Bot("42:TEST", session=RecordingSession())

    assert await dp.feed_update(bot, _press("pe:3")) == "pear 3"
    assert tried == ["pears"]  # the apples' handler was never tried
    tried.clear()
    assert await dp.feed_update(bot, _press("ap:2")) == "apple 2"
    assert tried == ["apples"]


def test_a_router_taking_any_press_is_left_open() -> None:
    router, inner = Router(), Router()
    router.callback_query.register(lambda q: None, Apple.filter())
    inner.callback_query.register(lambda q: None)  # any press at all
    router.include_router(inner)
    assert callback_prefixes(router) is None
    narrow_callbacks(router)
    assert router.callback_query._handler.filters in (None, [])


def test_the_bot_s_routers_are_narrowed_but_the_fallback() -> None:
    narrowed = {
        router.name: any(
            isinstance(f.callback, CallbackPrefixes)
            for f in router.callback_query._handler.filters or ()
        )
        for router in create_routers()
    }
    assert narrowed.pop("fallback") is False
    assert all(narrowed.values()), narrowed


async def test_sync_filters_run_in_the_event_loop_thread() -> None:
    seen: list[int] = []
    router = Router()

    def check(message: Message) -> bool:
        seen.append(threading.get_ident())
        return message.text == "hi"

    async def hello(message: Message) -> str:
        return "hello"

    router.message.register(hello, check, F.text)
    dp = Dispatcher()
    dp.include_router(inline_filters(router))
    message = Message(
        message_id=1, date=datetime.now(UTC), chat=Chat(id=7, type="private"), text="hi"
    )
    bot = Bot("42:TEST", session=RecordingSession())
    assert await dp.feed_update(bot, Update(update_id=1, message=message)) == "hello"
    assert seen == [threading.get_ident()]  # not a worker thread's


def test_every_filter_of_the_bot_is_awaited_in_the_loop() -> None:
    def sync_filters(router: Router) -> list[str]:
        found = [
            f"{router.name}: {each.callback}"
            for observer in router.observers.values()
            for handler in [observer._handler, *observer.handlers]
            for each in handler.filters or ()
            if not each.awaitable
        ]
        for sub in router.sub_routers:
            found += sync_filters(sub)
        return found

    assert [f for router in create_routers() for f in sync_filters(router)] == []
