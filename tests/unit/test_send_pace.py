"""SendPace on a fake clock: the overall rate over any one-second window, replies before
the outbox, 429 holds; and which Bot API calls PacedSends makes wait."""

from __future__ import annotations

import asyncio
import itertools

from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetChatMember,
    SendMessage,
    SendPhoto,
)

from bot.config import Config
from bot.factory import create_bot
from bot.outbox.pacer import SendPace
from bot.outbox.pacing_session import PACED_METHODS, PacedSends, chat_of
from bot.sandbox.recording import RecordingSession


class Time:
    """A fake monotonic clock; `sleep` moves it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def pace(rate: float = 25, **kwargs: object) -> tuple[SendPace, Time]:
    time = Time()
    return SendPace(rate, clock=time, sleep=time.sleep, **kwargs), time  # type: ignore[arg-type]


def peak(times: list[float], window: float = 1.0) -> int:
    """The most of `times` in any half-open window [t, t + window)."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, t in enumerate(ordered):
        while ordered[first] <= t - window:
            first += 1
        best = max(best, last - first + 1)
    return best


async def test_replies_alone_never_exceed_the_rate_in_any_second() -> None:
    paced, time = pace(25)
    sent: list[float] = []
    for n in range(200):  # 200 customers answered at once, one message each
        await paced.reply_turn(1000 + n)
        sent.append(time.now)
    assert peak(sent) <= 25
    assert sent[-1] - sent[0] >= (200 - 25) / 25  # no faster than 25 a second on average


async def test_the_outbox_and_replies_together_keep_the_rate() -> None:
    paced, time = pace(25)
    sent: list[float] = []

    async def outbox() -> None:
        for n in range(150):
            chat = 5000 + n
            while (at := paced.earliest(chat, time.now)) > time.now:
                await time.sleep(at - time.now)
            paced.take(chat, time.now)
            sent.append(time.now)

    async def replies() -> None:
        for n in range(100):
            await paced.reply_turn(9000 + n % 7)
            sent.append(time.now)

    await asyncio.gather(outbox(), replies())
    assert len(sent) == 250
    assert peak(sent) <= 25


async def test_a_waiting_reply_takes_the_next_slot_before_the_outbox() -> None:
    paced, time = pace(25, burst=1)
    for n in range(10):  # the outbox keeps the overall budget busy
        paced.take(5000 + n, time.now)
        time.now += paced.overall.interval
    started = time.now
    reply = asyncio.create_task(paced.reply_turn(1001))
    await asyncio.sleep(0)  # the reply books its slot
    # The outbox, asking now, gets the slot after the reply's.
    assert paced.earliest(6000, time.now) >= started + paced.overall.interval
    waited = await reply
    assert waited <= paced.overall.interval + 1e-6
    assert paced.stats.replies == 1


async def test_a_chats_replies_keep_their_pace_and_order() -> None:
    paced, time = pace(25, chat_rate=1.0, chat_burst=3)
    sent: list[float] = []
    for _ in range(6):
        await paced.reply_turn(1001)
        sent.append(time.now)
    assert sent[:3] == [100.0] * 3  # a chat's burst
    assert [round(b - a, 6) for a, b in itertools.pairwise(sent[2:])] == [1.0] * 3


async def test_a_429_holds_the_chat_and_everything() -> None:
    paced, time = pace(25)
    until = paced.hold(1001, 3)
    assert until == time.now + 3
    assert paced.earliest(2002, time.now) == until  # another chat waits too
    waited = await paced.reply_turn(2002)
    assert waited == 3.0
    assert paced.stats.holds == 1


async def test_groups_have_their_own_pace() -> None:
    paced, _ = pace(25, group_rate=20 / 60, group_burst=3)
    assert paced.pacer(-100500) is paced.groups
    assert paced.pacer("@channel") is paced.groups
    assert paced.pacer(1001) is paced.chats


def test_what_is_paced_and_to_which_chat() -> None:
    paced_kinds = set(PACED_METHODS)
    assert {SendMessage, SendPhoto, EditMessageText, EditMessageReplyMarkup} <= paced_kinds
    # answerCallbackQuery is not a message; deleting or asking about members sends nothing.
    assert not {AnswerCallbackQuery, DeleteMessage, GetChatMember} & paced_kinds
    assert chat_of(SendMessage(chat_id=1001, text="x")) == 1001
    assert chat_of(SendMessage(chat_id="-100500", text="x")) == -100500
    assert chat_of(SendMessage(chat_id="@shop", text="x")) == "@shop"
    assert chat_of(SendMessage(chat_id="１２", text="x")) == "１２"  # not ASCII digits
    assert chat_of(EditMessageText(inline_message_id="abc", text="x")) is None


async def test_the_bot_session_paces_messages_but_not_callback_answers() -> None:
    paced, time = pace(1, chat_burst=1)  # one message a second overall
    session = RecordingSession()
    bot = create_bot(
        Config(bot_token="42:PACE", _env_file=None),  # type: ignore[call-arg]
        session=session,
        pace=paced,
    )
    assert any(isinstance(m, PacedSends) for m in bot.session.middleware)
    sent = await bot.send_message(1001, "one")
    await bot.send_message(1002, "two")
    assert round(time.now, 2) == 101.01  # the second message waited for the overall slot
    for n in range(5):
        await bot.answer_callback_query(str(n))
    await bot.delete_message(1001, sent.message_id)
    assert round(time.now, 2) == 101.01  # neither waits
    await bot.edit_message_text("one, edited", chat_id=1001, message_id=sent.message_id)
    assert round(time.now, 2) == 102.02  # an edit waits like a message
