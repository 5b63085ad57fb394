"""The outbox's writing side on SQLite and PostgreSQL: a message is a row of the caller's
transaction, queued once per event, and readable by admins."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.config import Config
from bot.outbox.writer import Outbox, Priority
from bot.shop.enums import OutboxStatus
from db.models import OutboxMessage

Factory = async_sessionmaker[AsyncSession]


def settings(**values: Any) -> Config:
    return Config(_env_file=None, currency_rate=Decimal(1), **values)  # type: ignore[call-arg]


async def rows(factory: Factory) -> list[OutboxMessage]:
    async with factory() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_a_message_is_a_pending_row_of_the_callers_transaction(
    session_factory: Factory, clock: FakeClock
) -> None:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Open", callback_data="o:1")]]
    )
    async with session_factory() as session, session.begin():
        outbox = Outbox(session, clock, settings())
        await outbox.to_chat(1001, "<b>Done</b>", reply_markup=markup, dedupe_key="k1")
        await outbox.to_chat(1002, "Later", priority=Priority.BROADCAST)
    first, second = await rows(session_factory)
    assert (first.chat_id, first.text, first.status) == (1001, "<b>Done</b>", OutboxStatus.PENDING)
    assert first.priority == Priority.ORDER and second.priority == Priority.BROADCAST
    assert first.reply_markup == {"inline_keyboard": [[{"text": "Open", "callback_data": "o:1"}]]}
    assert first.next_attempt_at == clock.now() and first.attempts == 0
    assert first.dedupe_key == "k1" and second.dedupe_key is None


async def test_a_rolled_back_change_takes_its_message_with_it(
    session_factory: Factory, clock: FakeClock
) -> None:
    with pytest.raises(RuntimeError):
        async with session_factory() as session, session.begin():
            await Outbox(session, clock, settings()).to_chat(1001, "refunded")
            raise RuntimeError("the change failed")
    assert await rows(session_factory) == []


async def test_the_same_event_is_queued_once(session_factory: Factory, clock: FakeClock) -> None:
    for _ in range(3):
        async with session_factory() as session, session.begin():
            await Outbox(session, clock, settings()).to_chat(
                1001, "Order #5 completed", dedupe_key="order:5:state:completed"
            )
    assert len(await rows(session_factory)) == 1


async def test_concurrent_writers_of_one_event_queue_it_once(
    session_factory: Factory, clock: FakeClock
) -> None:
    async def write() -> None:
        async with session_factory() as session, session.begin():
            outbox = Outbox(session, clock, settings())
            await outbox.to_chat(1001, "once", dedupe_key="order:9:state:canceled")
            await asyncio.sleep(0.01)

    await asyncio.gather(*(write() for _ in range(5)))
    assert len(await rows(session_factory)) == 1


async def test_operator_alerts_need_an_operator_chat(
    session_factory: Factory, clock: FakeClock
) -> None:
    async with session_factory() as session, session.begin():
        await Outbox(session, clock, settings()).to_operators("panel down")
        await Outbox(session, clock, settings(operator_chat_id=-100123)).to_operators(
            "panel down", dedupe_key="panel:down:1"
        )
    (alert,) = await rows(session_factory)
    assert alert.chat_id == -100123 and alert.priority == Priority.ALERT


async def test_a_broadcast_chunk_is_one_statement(
    session_factory: Factory, clock: FakeClock
) -> None:
    async with session_factory() as session, session.begin():
        queued = await Outbox(session, clock, settings()).to_chats(
            [2001, (2002, None), 2003], "News"
        )
    assert queued == 3
    found = await rows(session_factory)
    assert [r.chat_id for r in found] == [2001, 2002, 2003]
    assert {r.priority for r in found} == {Priority.BROADCAST}


async def test_refuses_empty_messages(session_factory: Factory, clock: FakeClock) -> None:
    async with session_factory() as session, session.begin():
        outbox = Outbox(session, clock, settings())
        with pytest.raises(ValueError):
            await outbox.to_chat(1001, "  ")
        with pytest.raises(ValueError):
            await outbox.to_chat(0, "hi")


async def test_admins_see_counts_and_dead_letters_and_can_requeue(
    session_factory: Factory, clock: FakeClock
) -> None:
    async with session_factory() as session, session.begin():
        outbox = Outbox(session, clock, settings())
        for n in range(3):
            await outbox.to_chat(1001, f"m{n}")
    async with session_factory() as session, session.begin():
        last = await session.scalar(select(func.max(OutboxMessage.id)))
        row = await session.get(OutboxMessage, last)
        assert row is not None
        row.status, row.attempts, row.last_error = OutboxStatus.DEAD, 5, "Bad Request: nope"
    async with session_factory() as session, session.begin():
        outbox = Outbox(session, clock, settings())
        counts = await outbox.counts()
        assert counts == {"pending": 2, "sending": 0, "sent": 0, "skipped": 0, "dead": 1}
        (dead,) = await outbox.dead_letters()
        assert (dead.text, dead.attempts, dead.last_error) == ("m2", 5, "Bad Request: nope")
        clock.advance(60)
        assert await outbox.requeue(dead.id)
        again = await outbox.get(dead.id)
        assert again is not None and again.status is OutboxStatus.PENDING
        assert again.attempts == 0
        assert not await outbox.requeue(dead.id)  # not a dead letter any more
