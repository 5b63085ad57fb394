"""/broadcast through the real dispatcher and the real outbox sender: 300 customers, some
banned, some who blocked the bot before or during the broadcast, some whose messages fail."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Message, MessageEntity, PhotoSize, Update
from sqlalchemy import select, update

from bot.jobs.broadcasts import feed_broadcasts, report_finished_broadcasts
from bot.outbox.sender import OutboxSender
from bot.outbox.writer import Priority
from bot.shop.admin_broadcast import window
from db.models import OutboxMessage, User
from tests.handlers.arrange import ADMIN, audit, customer
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("admin")

FIRST = 20_000
BANNED = range(FIRST, FIRST + 5)
GONE = range(FIRST + 5, FIRST + 10)  # blocked the bot earlier: known unreachable
BLOCKING = range(FIRST + 10, FIRST + 30)  # block it now: Telegram answers 403
FAILING = range(FIRST + 30, FIRST + 33)  # every attempt fails (a 400)


async def _customers(app: ShopApp, how_many: int) -> None:
    async with app.shop() as shop:
        for telegram_id in range(FIRST, FIRST + how_many):
            await shop.users.enter(
                telegram_id, username=None, first_name=f"C{telegram_id}", language="en"
            )
    async with app.deps.session_factory() as session, session.begin():
        await session.execute(
            update(User).where(User.telegram_id.in_(list(BANNED))).values(banned=True)
        )
        await session.execute(
            update(User)
            .where(User.telegram_id.in_(list(GONE)))
            .values(unreachable_since=app.clock.now())
        )


def _telegram_faults(app: ShopApp) -> None:
    """Blocked chats answer 403, failing ones 400; everything else goes through."""
    record = app.session.make_request

    async def make_request(bot: Bot, method: TelegramMethod[Any], timeout: int | None = None):  # type: ignore[no-untyped-def]
        if isinstance(method, SendMessage):
            chat = int(method.chat_id)
            if chat in BLOCKING:
                app.session.calls.append(method)
                raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
            if chat in FAILING:
                app.session.calls.append(method)
                raise TelegramBadRequest(method, "Bad Request: chat not found")
        return await record(bot, method, timeout)

    app.session.make_request = make_request  # type: ignore[method-assign]


def _sender(app: ShopApp) -> OutboxSender:
    async def sleep(seconds: float) -> None:
        app.clock.advance(seconds)

    return OutboxSender(
        app.deps, app.bot, sleep=sleep, settle_before_sleep=True, max_attempts=2, backoff=1.0
    )


async def _send_formatted(app: ShopApp, who: Customer, text: str, bold: str) -> None:
    offset = text.index(bold)
    message = Message(
        message_id=next(app._message_ids),
        date=datetime.now(UTC),
        chat=who.chat,
        from_user=who.user,
        text=text,
        entities=[MessageEntity(type="bold", offset=offset, length=len(bold))],
    )
    await app.feed(Update(update_id=app.next_update_id(), message=message))


async def _reachable(app: ShopApp) -> int:
    async with app.shop() as shop:
        return await shop.broadcasts.recipients()


async def test_broadcast_to_300_customers_some_blocked(app: ShopApp, admin: Customer) -> None:
    await _customers(app, 300)
    _telegram_faults(app)
    expected = await _reachable(app)
    assert expected == 300 - len(BANNED) - len(GONE) + 1  # the admin is a customer too

    await admin.send("/broadcast")
    assert "Send the message to broadcast" in admin.last_text
    await _send_formatted(app, admin, "Big sale <today> only!", "sale")
    body = "Big <b>sale</b> &lt;today&gt; only!"
    assert admin.messages()[-2].text == body  # the preview, as customers will see it
    assert f"Send it to {expected} customers?" in admin.last_text
    await admin.send("hello?")
    assert "Tap Send or Cancel under the preview" in admin.last_text
    confirm = admin.find_button("Send to")
    await admin.press(confirm[1], confirm[0])
    status, _ = admin.find_button("Progress")  # the question, edited in place
    assert f"Queued for {expected} customers" in status.text
    await admin.press(confirm[1], confirm[0])  # Confirm again: nothing more is queued
    async with app.deps.session_factory() as session, session.begin():
        rows = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("bc:"))
            )
        )
    # The first window is queued at Confirm, the rest by the broadcasts job.
    assert len(rows) == min(expected, window(app.deps.settings.notify_rate_per_second))
    assert {row.priority for row in rows} == {Priority.BROADCAST}
    assert {row.text for row in rows} == {body}
    assert not {row.chat_id for row in rows} & {*BANNED, *GONE}
    [entry] = [row for row in await audit(app) if row.action == "broadcast"]
    assert entry.actor_id == ADMIN and entry.details["recipients"] == expected

    await admin.click("Progress")
    assert f"Broadcast: 0 sent, 0 blocked the bot, 0 failed, {expected} waiting" in status.text

    sender = _sender(app)
    stats = await sender.drain()
    while await feed_broadcasts(app.deps):
        stats = await sender.drain()
    assert stats.blocked == len(BLOCKING) and stats.dead == len(FAILING)
    sent = Counter(int(m.chat_id) for m in app.session.methods(SendMessage) if m.text == body)
    delivered = expected - len(BLOCKING) - len(FAILING)
    reached = set(range(FIRST, FIRST + 300)) - {*BANNED, *GONE, *FAILING}
    assert all(sent[chat] == 1 for chat in reached)
    assert all(sent[chat] == 2 for chat in FAILING)  # tried, retried, given up
    assert sent[ADMIN] == 2  # the preview and the broadcast
    assert not any(sent[chat] for chat in (*BANNED, *GONE))

    assert await report_finished_broadcasts(app.deps) == 1
    assert await report_finished_broadcasts(app.deps) == 0  # reported once
    await _sender(app).drain()
    report = (
        f"Broadcast done: {delivered} sent, {len(BLOCKING)} blocked the bot, "
        f"{len(FAILING)} failed (of {expected})."
    )
    assert report in admin.last_text

    # Those who blocked the bot are known now: the next broadcast leaves them out.
    async with app.deps.session_factory() as session, session.begin():
        gone = await session.scalars(
            select(User.telegram_id).where(User.unreachable_since.is_not(None))
        )
        assert set(gone) == {*GONE, *BLOCKING}
    await admin.send("/broadcast")
    await admin.send("Second one")
    assert f"Send it to {expected - len(BLOCKING)} customers?" in admin.last_text


async def test_broadcast_cancel_and_photo(app: ShopApp, admin: Customer) -> None:
    await _customers(app, 12)
    await admin.send("/broadcast")
    await admin.send("/cancel")
    assert admin.last_text == "Cancelled; nothing was sent." or "Cancelled" in admin.last_text
    await admin.send("/broadcast")
    photo = Message(
        message_id=next(app._message_ids),
        date=datetime.now(UTC),
        chat=admin.chat,
        from_user=admin.user,
        photo=[PhotoSize(file_id="AgAD", file_unique_id="u1", width=90, height=90)],
        caption="Look",
    )
    await app.feed(Update(update_id=app.next_update_id(), message=photo))
    assert "Send it to" in admin.last_text
    await admin.click("Cancel")
    assert "Broadcast cancelled; nothing was sent." in admin.last_text
    async with app.deps.session_factory() as session, session.begin():
        assert not list(await session.scalars(select(OutboxMessage)))
    assert [row.action for row in await audit(app)] == []


async def test_customers_cannot_broadcast(app: ShopApp, admin: Customer) -> None:
    await _customers(app, 3)
    alice = await customer(app, 1001)
    await alice.send("/broadcast")
    await alice.send("Everybody, buy!")
    await alice.press("ab:y:0123456789ab")
    assert alice.alerts()[-1].startswith("This button is out of date")
    async with app.deps.session_factory() as session, session.begin():
        assert not list(await session.scalars(select(OutboxMessage)))
