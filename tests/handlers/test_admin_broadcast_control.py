"""A broadcast at scale through the real dispatcher and the real outbox sender: fed into
the outbox a window at a time, Pause / Resume / Cancel on its progress message, the
progress message edited in place (throttled), a restart in the middle (a send Telegram
took but nobody marked, a feeding batch that died), order notifications first, and
buttons pressed by the wrong person or with tampered data."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.factory import create_deps
from bot.jobs.broadcasts import (
    edit_progress_messages,
    feed_broadcasts,
    report_finished_broadcasts,
)
from bot.outbox.sender import OutboxSender
from bot.outbox.writer import Outbox, Priority
from bot.sandbox.recording import Sent
from bot.shop.admin_broadcast import PROGRESS_EVERY, Audience, BroadcastContent, window
from bot.shop.enums import BroadcastState, OutboxStatus
from bot.texts.broadcasts import broadcast_status, eta
from db.models import Broadcast, OutboxMessage
from db.repositories.broadcasts import BroadcastRepo
from db.repositories.outbox import OutboxRepo
from handlers.admin.broadcast_progress import editor
from tests.handlers.arrange import ADMIN, customer
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("admin")

FIRST = 40_000
MANY = 330  # more than one window: the rest is fed while it goes out
BODY = "Spring sale"


async def _customers(app: ShopApp, how_many: int = MANY) -> None:
    async with app.shop() as shop:
        for telegram_id in range(FIRST, FIRST + how_many):
            await shop.users.enter(
                telegram_id, username=None, first_name=f"C{telegram_id}", language="en"
            )


def _sender(app: ShopApp, deps: Any = None) -> OutboxSender:
    async def sleep(seconds: float) -> None:
        app.clock.advance(seconds)

    return OutboxSender(deps or app.deps, app.bot, sleep=sleep, settle_before_sleep=True)


async def _start(app: ShopApp, admin: Customer) -> str:
    """/broadcast BODY, confirmed; returns the broadcast's id."""
    await admin.send("/broadcast")
    await admin.send(BODY)
    question, data = admin.find_button("Send to")
    await admin.press(data, question)
    async with app.deps.session_factory() as session, session.begin():
        return str((await session.scalars(select(Broadcast.id))).one())


def _panel(admin: Customer) -> Sent:
    """The progress message (the confirm question, edited in place)."""
    [sent] = [m for m in admin.messages() if "Queued for" in " ".join([*m.history, m.text])]
    return sent


def _received(app: ShopApp) -> Counter[int]:
    """Broadcast messages per chat (the admin's preview left out)."""
    got = Counter(int(m.chat_id) for m in app.session.methods(SendMessage) if m.text == BODY)
    got[ADMIN] -= 1
    return +got


async def _state(app: ShopApp, broadcast_id: str) -> BroadcastState:
    async with app.deps.session_factory() as session, session.begin():
        row = await BroadcastRepo(session).get(broadcast_id)
        assert row is not None
        return row.state


async def _send_all(app: ShopApp, deps: Any = None) -> None:
    """Feed and send until nothing is left (as the job and the sender would)."""
    sender = _sender(app, deps)
    for _ in range(20):
        await feed_broadcasts(deps or app.deps)
        await sender.drain(recover=False)
        await report_finished_broadcasts(deps or app.deps)
        async with app.deps.session_factory() as session, session.begin():
            if not await OutboxRepo(session).unfinished() and not await BroadcastRepo(
                session
            ).in_states([BroadcastState.SENDING]):
                break


async def test_fed_a_window_at_a_time_then_everyone_once(app: ShopApp, admin: Customer) -> None:
    await _customers(app)
    broadcast_id = await _start(app, admin)
    limit = window(app.deps.settings.notify_rate_per_second)
    async with app.deps.session_factory() as session, session.begin():
        assert await BroadcastRepo(session).unfinished(broadcast_id) == limit
    assert await feed_broadcasts(app.deps) == 0  # the window is full: nothing more yet
    await _send_all(app)
    received = _received(app)
    assert set(received) == {*range(FIRST, FIRST + MANY), ADMIN}
    assert set(received.values()) == {1}
    assert await _state(app, broadcast_id) == BroadcastState.DONE
    await _sender(app).drain()
    assert f"Broadcast done: {MANY + 1} sent, 0 blocked the bot, 0 failed" in admin.last_text


async def test_pause_stops_sending_and_resume_carries_on(app: ShopApp, admin: Customer) -> None:
    await _customers(app)
    broadcast_id = await _start(app, admin)
    sender = _sender(app)
    await sender.step()
    before = sum(_received(app).values())
    assert before > 0

    await admin.click("Pause")
    assert await _state(app, broadcast_id) == BroadcastState.PAUSED
    assert "Broadcast paused" in _panel(admin).text
    assert "Resume" in " ".join(t for t, _ in admin.buttons(_panel(admin)))
    await feed_broadcasts(app.deps)
    await sender.drain(recover=False, max_seconds=60)
    assert sum(_received(app).values()) == before  # nothing went out while paused

    pause = BroadcastAction_data(admin, "pa", broadcast_id)
    await admin.press(pause)  # an old Pause button: nothing changes, a clear answer
    assert admin.alerts()[-1] == "This broadcast is paused already. Nothing changed."
    assert await _state(app, broadcast_id) == BroadcastState.PAUSED

    await admin.click("Resume")
    assert admin.alerts()[-1] == "Resumed."
    await _send_all(app)
    received = _received(app)
    assert set(received) == {*range(FIRST, FIRST + MANY), ADMIN}
    assert set(received.values()) == {1}


async def test_cancel_drops_the_rest_and_the_report_counts_it(
    app: ShopApp, admin: Customer
) -> None:
    await _customers(app)
    broadcast_id = await _start(app, admin)
    await _sender(app).step()
    sent = sum(_received(app).values())
    await admin.click("Cancel broadcast")
    not_sent = MANY + 1 - sent
    assert admin.alerts()[-1] == f"Broadcast cancelled: {not_sent} messages not sent."
    assert await _state(app, broadcast_id) == BroadcastState.CANCELLED
    assert admin.buttons(_panel(admin)) == []  # over: no more buttons
    async with app.deps.session_factory() as session, session.begin():
        assert await BroadcastRepo(session).unfinished(broadcast_id) == 0

    await _send_all(app)
    assert sum(_received(app).values()) == sent  # nothing more went out
    await _sender(app).drain()
    assert (
        f"Broadcast cancelled: {sent} sent, 0 blocked the bot, 0 failed; {not_sent} not sent "
        f"(of {MANY + 1})." in admin.last_text
    )
    await admin.press(BroadcastAction_data(admin, "re", broadcast_id))
    assert admin.alerts()[-1] == "This broadcast was cancelled already. Nothing changed."


def BroadcastAction_data(admin: Customer, action: str, broadcast_id: str) -> str:
    return f"ab:{action}:{broadcast_id}"


async def test_the_progress_message_is_edited_not_resent_and_throttled(
    app: ShopApp, admin: Customer
) -> None:
    await _customers(app)
    broadcast_id = await _start(app, admin)
    progress = _panel(admin)
    messages_before = len(admin.messages())
    edit = editor(app.bot, app.deps)
    assert await edit_progress_messages(app.deps, edit) == 0  # just shown: not yet
    await _sender(app).step()
    app.clock.advance(PROGRESS_EVERY.total_seconds())
    assert await edit_progress_messages(app.deps, edit) == 1
    sent = sum(_received(app).values())
    assert f"Broadcast: {sent} sent, 0 blocked the bot, 0 failed, {MANY + 1 - sent} waiting" in (
        progress.text
    )
    assert "to go at 25 messages a second" in progress.text
    assert await edit_progress_messages(app.deps, edit) == 0  # throttled
    app.clock.advance(PROGRESS_EVERY.total_seconds() - 1)
    assert await edit_progress_messages(app.deps, edit) == 0
    app.clock.advance(1)
    assert await edit_progress_messages(app.deps, edit) == 1
    edits = [
        m
        for m in app.session.methods(EditMessageText)
        if int(m.chat_id or 0) == ADMIN and m.message_id == progress.message_id
    ]
    assert len(edits) >= 2
    # Sends to the admin's chat: only the broadcast itself, no new progress messages.
    assert len(admin.messages()) == messages_before + (1 if _received(app)[ADMIN] else 0)
    assert broadcast_id in progress.reply_markup.inline_keyboard[0][0].callback_data  # type: ignore[union-attr]


async def test_a_restart_in_the_middle_loses_nothing_and_sends_nothing_twice(
    app: ShopApp, admin: Customer, monkeypatch: pytest.MonkeyPatch, engine: AsyncEngine
) -> None:
    await _customers(app)
    broadcast_id = await _start(app, admin)
    await _sender(app).step()

    # The process dies twice: once after Telegram took a message and before it was marked
    # sent, once in the middle of a feeding batch.
    real_mark = OutboxRepo.mark_sent
    marks = 0

    async def dies_on_the_third(self: OutboxRepo, row_id: int, **kwargs: Any) -> bool:
        nonlocal marks
        marks += 1
        if marks == 3:
            raise ConnectionError("the process died here")
        return await real_mark(self, row_id, **kwargs)

    monkeypatch.setattr(OutboxRepo, "mark_sent", dies_on_the_third)
    await _sender(app).step()
    monkeypatch.setattr(OutboxRepo, "mark_sent", real_mark)
    async with app.deps.session_factory() as session, session.begin():
        left_sending = await session.scalar(
            select(OutboxMessage.chat_id).where(OutboxMessage.status == OutboxStatus.SENDING)
        )
    assert left_sending is not None and _received(app)[left_sending] == 1

    real_move = BroadcastRepo.move

    async def dies(self: BroadcastRepo, *args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("the process died here")

    monkeypatch.setattr(BroadcastRepo, "move", dies)
    async with app.deps.session_factory() as session, session.begin():
        queued = await BroadcastRepo(session).unfinished(broadcast_id)
    await _sender(app).drain(recover=False, max_seconds=5)
    with pytest.raises(ConnectionError):
        await feed_broadcasts(app.deps)
    monkeypatch.setattr(BroadcastRepo, "move", real_move)
    async with app.deps.session_factory() as session, session.begin():
        assert await BroadcastRepo(session).unfinished(broadcast_id) < queued  # rolled back

    # Started again: new deps on the same database, a new sender that recovers first.
    deps = create_deps(app.deps.settings, engine=engine, clock=app.clock)
    try:
        await _sender(app, deps).recover()
        await _send_all(app, deps)
    finally:
        await deps.close()
    received = _received(app)
    assert set(received) == {*range(FIRST, FIRST + MANY), ADMIN}  # nothing lost
    assert set(received.values()) == {1}  # nothing twice
    async with app.deps.session_factory() as session, session.begin():
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.chat_id == left_sending)
        )
        assert row is not None and row.status == OutboxStatus.DEAD  # at most once
        assert "not sent again" in (row.last_error or "")


async def test_order_notifications_go_before_broadcast_rows(app: ShopApp, admin: Customer) -> None:
    await _customers(app)
    await _start(app, admin)
    async with app.deps.session_factory() as session, session.begin():
        await Outbox(session, app.clock, app.deps.settings).to_chat(
            FIRST + MANY - 1, "Your order is completed", priority=Priority.ORDER
        )
    app.session.calls.clear()
    await _sender(app).step()
    texts = [m.text for m in app.session.methods(SendMessage)]
    assert texts[0] == "Your order is completed"
    assert texts[1:] and set(texts[1:]) == {BODY}


async def test_buttons_refuse_customers_and_tampered_data(app: ShopApp, admin: Customer) -> None:
    await _customers(app, 5)
    broadcast_id = await _start(app, admin)
    alice = await customer(app, 1001)
    await alice.send("/start")
    for action in ("pa", "st", "re", "p"):
        await alice.press(f"ab:{action}:{broadcast_id}")
        assert alice.alerts()[-1].startswith("This button is out of date")
    assert await _state(app, broadcast_id) == BroadcastState.SENDING

    for data in (
        "ab:pa:0123456789ab",  # no such broadcast
        f"ab:pa:{broadcast_id}'",  # not an id
        f"ab:zz:{broadcast_id}",  # no such action
        "ab:st:" + "f" * 40,
    ):
        await admin.press(data)
        assert admin.alerts()[-1].startswith("This button is out of date"), data
    assert await _state(app, broadcast_id) == BroadcastState.SENDING
    async with app.deps.session_factory() as session, session.begin():
        assert await BroadcastRepo(session).unfinished(broadcast_id) == 6


async def test_stale_pause_after_done(app: ShopApp, admin: Customer) -> None:
    await _customers(app, 3)
    broadcast_id = await _start(app, admin)
    await _send_all(app)
    assert await _state(app, broadcast_id) == BroadcastState.DONE
    await admin.press(f"ab:pa:{broadcast_id}")
    assert admin.alerts()[-1] == "This broadcast is over already. Nothing changed."
    app.clock.advance(timedelta(minutes=1).total_seconds())
    assert await _state(app, broadcast_id) == BroadcastState.DONE


async def test_progress_and_cancel_per_language(app: ShopApp, admin: Customer) -> None:
    async with app.shop() as shop:
        for n in range(12):
            await shop.users.enter(
                FIRST + n, username=None, first_name="C", language="ru" if n % 3 else "en"
            )
    audience = Audience(
        contents={"en": BroadcastContent("Sale"), "ru": BroadcastContent("Распродажа")},
        fallback="en",
        per_language=True,
    )
    pick = app.deps.i18n.pick
    async with app.shop() as shop:
        await shop.broadcasts.start(ADMIN, ADMIN, "00000000000a", audience, pick)
        before = await shop.broadcasts.progress("00000000000a", pick)
    assert [(p.language, p.total, p.pending) for p in before.languages] == [
        ("en", 5, 5),  # 4 customers and the admin
        ("ru", 8, 8),
    ]
    assert before.eta_seconds == 1  # 13 at 25 a second
    with app.deps.i18n.context(), app.deps.i18n.use_locale("ru"):
        text = broadcast_status(before, 25)
    assert "Рассылка: отправлено 0" in text and "⏱ Осталось меньше минуты" in text

    async with app.shop() as shop:
        change = await shop.broadcasts.cancel("00000000000a", ADMIN, pick)
        after = await shop.broadcasts.progress("00000000000a", pick)
    assert change.changed and after.state == BroadcastState.CANCELLED
    assert (after.sent, after.pending, after.not_sent) == (0, 0, 13)
    assert [(p.language, p.not_sent) for p in after.languages] == [("en", 5), ("ru", 8)]
    await _sender(app).drain()
    assert not [m for m in app.session.methods(SendMessage) if m.text in ("Sale", "Распродажа")]
    with app.deps.i18n.context(), app.deps.i18n.use_locale("en"):
        text = broadcast_status(after, 25)
    assert text.startswith("⏹ Broadcast cancelled: 0 sent, 0 blocked the bot, 0 failed; 13 not")
    assert "• English:" in text and "• Русский:" in text and "⏱" not in text


async def test_time_left_reads_in_hours_and_minutes(app: ShopApp) -> None:
    with app.deps.i18n.context(), app.deps.i18n.use_locale("en"):
        assert eta(59) == "under a minute"
        assert eta(61) == "≈ 2 min"
        assert eta(4000) == "≈ 1 h 7 min"  # 100,000 at 25 a second: 4,000 s
    with app.deps.i18n.context(), app.deps.i18n.use_locale("ru"):
        assert eta(4000) == "≈ 1 ч 7 мин"
