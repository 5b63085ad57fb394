"""The outbox sender against the Telegram emulator over HTTP, with Telegram's limits on.

Time is a FakeClock shared by the sender and the emulator's flood control: waiting moves
the clock, so the pace is exact and the tests do not sleep.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage, TelegramMethod
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.config import Config
from bot.deps import Deps
from bot.factory import create_deps
from bot.outbox.sender import OutboxSender
from bot.outbox.writer import Outbox, Priority
from bot.provider.client import ProviderClient
from bot.sandbox.telegram import LimitSettings, TelegramEmulator
from bot.sandbox.telegram.models import GroupChat, Persona, StoredFile
from bot.shop.enums import OutboxStatus
from db.models import OutboxMessage, User
from db.repositories import UserRepo

TOKEN = "123456:OUTBOX"
OPERATORS = -100500
FIRST_CHAT = 7000


@dataclass
class Call:
    at: float
    chat_id: int
    text: str
    outcome: str  # "ok", "429", "403", "error"
    retry_after: int | None = None


class RecordingAiohttpSession(AiohttpSession):
    """aiogram's real HTTP session, noting every sendMessage: when, to whom, what came back.

    `crash_after`: after that many successful sends, the next one is delivered by
    Telegram and then the process "dies" (CancelledError) before the bot hears back.
    """

    def __init__(self, clock: FakeClock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self.calls: list[Call] = []
        self.crash_after: int | None = None
        self.on_crash: Any = None
        self.on_sent: Any = None

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        if not isinstance(method, SendMessage):
            return await super().make_request(bot, method, timeout)
        at = self.clock.now().timestamp()
        try:
            result = await super().make_request(bot, method, timeout)
        except TelegramRetryAfter as exc:
            self.calls.append(Call(at, int(method.chat_id), method.text, "429", exc.retry_after))
            raise
        except Exception as exc:
            kind = "403" if "blocked" in str(exc) else "error"
            self.calls.append(Call(at, int(method.chat_id), method.text, kind))
            raise
        self.calls.append(Call(at, int(method.chat_id), method.text, "ok"))
        if self.on_sent is not None:
            self.on_sent()
        if self.crash_after is not None and self.ok_count() > self.crash_after:
            self.crash_after = None
            if self.on_crash is not None:
                self.on_crash()
            raise asyncio.CancelledError  # delivered, but the bot never learns it
        return result

    async def close(self) -> None:  # skip aiohttp's 250 ms TLS grace on close
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def ok_count(self) -> int:
        return sum(1 for c in self.calls if c.outcome == "ok")

    def delivered(self) -> Counter[str]:
        return Counter(c.text for c in self.calls if c.outcome == "ok")


@dataclass
class Rig:
    deps: Deps
    clock: FakeClock
    emulator: TelegramEmulator
    engine: AsyncEngine
    bots: list[Bot] = field(default_factory=list)
    sessions: list[RecordingAiohttpSession] = field(default_factory=list)

    def bot(self) -> tuple[Bot, RecordingAiohttpSession]:
        assert self.emulator.base_url is not None
        session = RecordingAiohttpSession(
            self.clock, api=TelegramAPIServer.from_base(self.emulator.base_url)
        )
        bot = Bot(TOKEN, session=session, default=DefaultBotProperties(parse_mode="HTML"))
        self.bots.append(bot)
        self.sessions.append(session)
        return bot, session

    def sender(self, bot: Bot, **kwargs: Any) -> OutboxSender:
        async def sleep(seconds: float) -> None:
            self.clock.advance(seconds)
            await asyncio.sleep(0)

        kwargs.setdefault("settle_before_sleep", True)
        return OutboxSender(self.deps, bot, sleep=sleep, **kwargs)

    async def customers(self, count: int) -> list[int]:
        """Telegram ids of `count` customers known to the emulator and the shop."""
        ids = [FIRST_CHAT + n for n in range(count)]
        async with self.deps.session_factory() as session, session.begin():
            users = UserRepo(session)
            for chat_id in ids:
                self.emulator.add_persona(Persona(chat_id, f"Customer {chat_id}"))
                await users.get_or_create(
                    chat_id,
                    username=None,
                    first_name=f"Customer {chat_id}",
                    language="en",
                    now=self.clock.now(),
                )
        return ids

    async def queue(
        self, messages: list[tuple[int, str]], priority: Priority = Priority.ORDER
    ) -> None:
        async with self.deps.session_factory() as session, session.begin():
            outbox = Outbox.from_session(session, self.deps)
            for chat_id, text in messages:
                await outbox.to_chat(chat_id, text, priority=priority, dedupe_key=text)

    async def rows(self) -> list[OutboxMessage]:
        async with self.deps.session_factory() as session, session.begin():
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def statuses(self) -> Counter[OutboxStatus]:
        return Counter(row.status for row in await self.rows())


@pytest.fixture
async def rig(engine: AsyncEngine) -> AsyncIterator[Rig]:
    clock = FakeClock()
    emulator = TelegramEmulator(token=TOKEN, limits=LimitSettings(), clock=clock, personas=[])
    emulator.add_group(GroupChat(OPERATORS, "Operators"))
    await emulator.start()
    provider = ProviderClient("http://127.0.0.1:9/api/v2", "unused")
    settings = Config(
        bot_token=TOKEN,
        operator_chat_id=OPERATORS,
        notify_rate_per_second=25,
        currency_rate=Decimal(1),
        _env_file=None,
    )  # type: ignore[call-arg]
    deps = create_deps(settings, engine=engine, provider=provider, clock=clock)
    rig = Rig(deps, clock, emulator, engine)
    try:
        yield rig
    finally:
        for bot in rig.bots:
            await bot.session.close()
        await provider.close()
        await emulator.stop()


def spread(chats: list[int], per_chat: int, tag: str = "n") -> list[tuple[int, str]]:
    """`per_chat` messages to every chat, interleaved, each text unique."""
    return [(chat, f"{tag} {chat}:{k}") for k in range(per_chat) for chat in chats]


def bucket_ok(times: list[float], rate: float, burst: int) -> bool:
    """Whether sends at `times` fit a token bucket of `burst` refilled at `rate`/s."""
    tokens, last = float(burst), None
    for t in sorted(times):
        if last is not None:
            tokens = min(burst, tokens + (t - last) * rate)
        last = t
        if tokens < 1 - 1e-4:  # times are epoch floats: ~1e-7 s apart at best
            return False
        tokens -= 1
    return True


async def test_200_notifications_none_lost_none_twice_within_limits(rig: Rig) -> None:
    chats = await rig.customers(40)
    messages = spread(chats, 5)
    await rig.queue(messages)
    bot, session = rig.bot()
    sender = rig.sender(bot)
    started = rig.clock.now()

    stats = await sender.drain()

    assert stats.sent == 200 and stats.dead == stats.retried == 0
    delivered = session.delivered()
    assert set(delivered) == {text for _, text in messages}
    assert max(delivered.values()) == 1
    assert rig.emulator.counters.too_many_requests == 0 == stats.rate_limited
    assert await rig.statuses() == Counter({OutboxStatus.SENT: 200})
    for chat in chats:  # as the emulator stored them, in order
        texts = [m.text for m in rig.emulator.bot_messages(chat)]
        assert texts == [text for c, text in messages if c == chat]
    # The pace: 25 a second overall, at most a burst of 3 then 1 a second per chat.
    elapsed = (rig.clock.now() - started).total_seconds()
    assert (200 - sender.burst) / 25 - 0.01 <= elapsed <= 200 / 25 + 1.5
    times = [c.at for c in session.calls]
    assert bucket_ok(times, 25, sender.burst)
    for chat in chats:
        assert bucket_ok([c.at for c in session.calls if c.chat_id == chat], 1.0, 3)
    sent_ids = {row.telegram_message_id for row in await rig.rows()}
    assert None not in sent_ids and len(sent_ids) >= 5  # Telegram's ids were recorded


async def test_429s_are_honoured_and_nothing_is_lost(rig: Rig) -> None:
    # Telegram stricter than the sender assumes: bursts of 1 per chat, 10 a second overall.
    rig.emulator.limits = LimitSettings(chat_burst=1, global_per_second=10, global_burst=10)
    chats = await rig.customers(20)
    messages = spread(chats, 10)
    await rig.queue(messages)
    bot, session = rig.bot()

    stats = await rig.sender(bot).drain()

    delivered = session.delivered()
    assert set(delivered) == {text for _, text in messages} and max(delivered.values()) == 1
    assert stats.sent == 200 and stats.dead == 0 and stats.retried == 0
    limited = [c for c in session.calls if c.outcome == "429"]
    assert limited and stats.rate_limited == len(limited)
    assert rig.emulator.counters.too_many_requests == len(limited)
    for hit in limited:  # after a 429 nothing is sent until retry_after has passed
        assert hit.retry_after is not None
        assert not [c for c in session.calls if hit.at < c.at < hit.at + hit.retry_after]
    assert await rig.statuses() == Counter({OutboxStatus.SENT: 200})


async def test_a_blocked_customer_is_marked_unreachable_and_skipped(rig: Rig) -> None:
    chats = await rig.customers(5)
    blocked = chats[0]
    rig.emulator.block(blocked)
    await rig.queue(spread(chats, 4))
    bot, session = rig.bot()
    sender = rig.sender(bot)

    stats = await sender.drain()

    assert stats.blocked == 1 and stats.skipped == 4 and stats.sent == 16 and stats.dead == 0
    # Only what was already on its way (a chat's burst) reached Telegram, all refused.
    tried = [c.outcome for c in session.calls if c.chat_id == blocked]
    assert 1 <= len(tried) <= 3 and set(tried) == {"403"}
    assert rig.emulator.bot_messages(blocked) == []
    async with rig.deps.session_factory() as s, s.begin():
        user = await s.scalar(select(User).where(User.telegram_id == blocked))
        assert user is not None and user.unreachable_since is not None
    statuses = Counter((row.chat_id == blocked, row.status) for row in await rig.rows())
    assert statuses == Counter({(True, OutboxStatus.SKIPPED): 4, (False, OutboxStatus.SENT): 16})

    # Later news for them is skipped without asking Telegram; others still get theirs.
    await rig.queue([(blocked, "later"), (chats[1], "later too")])
    stats = await sender.drain()
    assert stats.skipped == 4 + 1 and stats.sent == 16 + 1
    assert [c.outcome for c in session.calls if c.chat_id == blocked] == tried


async def test_order_updates_go_before_broadcasts(rig: Rig) -> None:
    chats = await rig.customers(60)
    await rig.queue(spread(chats, 1, "broadcast"), Priority.BROADCAST)
    updates = spread(chats[:5], 1, "order")
    await rig.queue(updates, Priority.ORDER)
    bot, session = rig.bot()
    await rig.sender(bot).drain()
    order = [c.text for c in session.calls if c.outcome == "ok"]
    assert len(order) == 65
    assert {text for _, text in updates} <= set(order[:5])


async def test_operator_alerts_keep_the_group_pace(rig: Rig) -> None:
    async with rig.deps.session_factory() as session, session.begin():
        outbox = Outbox.from_session(session, rig.deps)
        for n in range(12):
            await outbox.to_operators(f"alert {n}")
    bot, session = rig.bot()
    stats = await rig.sender(bot).drain()
    assert stats.sent == 12 and rig.emulator.counters.too_many_requests == 0
    assert [m.text for m in rig.emulator.bot_messages(OPERATORS)] == [
        f"alert {n}" for n in range(12)
    ]
    assert bucket_ok([c.at for c in session.calls], 20 / 60, 5)


async def test_failures_retry_with_backoff_then_become_dead_letters(rig: Rig) -> None:
    chats = await rig.customers(2)
    stranger = 999_999  # a chat Telegram does not know: 400 chat not found, every time
    await rig.queue([(chats[0], "fine"), (stranger, "lost cause"), (chats[1], "fine too")])
    bot, session = rig.bot()
    started = rig.clock.now()
    stats = await rig.sender(bot, max_attempts=4, backoff=5).drain()
    assert stats.sent == 2 and stats.retried == 3 and stats.dead == 1
    attempts = [c.at for c in session.calls if c.chat_id == stranger]
    gaps = [round(b - a) for a, b in itertools.pairwise(attempts)]
    assert gaps == [5, 10, 20]  # exponential backoff
    assert (rig.clock.now() - started).total_seconds() >= 35

    async with rig.deps.session_factory() as s, s.begin():
        outbox = Outbox.from_session(s, rig.deps)
        (dead,) = await outbox.dead_letters()
        assert dead.chat_id == stranger and dead.attempts == 4
        assert dead.last_error is not None and "chat not found" in dead.last_error
        assert (await outbox.counts())["dead"] == 1
        assert await outbox.requeue(dead.id)
        assert not await outbox.requeue(dead.id)
    assert (await rig.statuses())[OutboxStatus.PENDING] == 1


async def test_a_graceful_restart_mid_drain_loses_and_repeats_nothing(rig: Rig) -> None:
    chats = await rig.customers(40)
    messages = spread(chats, 5)
    await rig.queue(messages)
    bot_a, session_a = rig.bot()
    first = rig.sender(bot_a)

    def stop_after_80() -> None:
        if session_a.ok_count() >= 80:
            asyncio.get_running_loop().create_task(first.stop())

    session_a.on_sent = stop_after_80
    await first.drain()
    assert 80 <= first.stats.sent < 200
    statuses = await rig.statuses()
    assert statuses[OutboxStatus.SENDING] == 0  # in-flight sends finished and were marked
    assert statuses[OutboxStatus.SENT] == first.stats.sent

    bot_b, session_b = rig.bot()
    second = rig.sender(bot_b)
    await second.drain()
    delivered = session_a.delivered() + session_b.delivered()
    assert set(delivered) == {text for _, text in messages} and max(delivered.values()) == 1
    assert second.stats.recovered == 0
    assert await rig.statuses() == Counter({OutboxStatus.SENT: 200})


async def test_a_crash_mid_drain_loses_nothing_and_repeats_at_most_what_was_in_flight(
    rig: Rig,
) -> None:
    chats = await rig.customers(40)
    messages = spread(chats, 5)
    await rig.queue(messages)
    bot_a, session_a = rig.bot()
    first = rig.sender(bot_a)
    drain = asyncio.create_task(first.drain())
    snapshot: dict[str, Any] = {}

    def crash() -> None:
        # The process dies: the drain and every send in flight stop where they are.
        drain.cancel()
        for task in list(first._in_flight):
            task.cancel()

    session_a.crash_after = 60
    session_a.on_crash = crash
    with pytest.raises(asyncio.CancelledError):
        await drain
    await asyncio.gather(*list(first._in_flight), return_exceptions=True)
    rows = await rig.rows()
    snapshot["sent"] = {row.text for row in rows if row.status is OutboxStatus.SENT}
    snapshot["in_flight"] = {row.text for row in rows if row.status is OutboxStatus.SENDING}
    assert snapshot["in_flight"], "the crash left messages mid-send"
    assert len(snapshot["in_flight"]) <= first.batch

    bot_b, session_b = rig.bot()
    second = rig.sender(bot_b)
    await second.drain()

    assert second.stats.recovered == len(snapshot["in_flight"])
    assert await rig.statuses() == Counter({OutboxStatus.SENT: 200})
    delivered = session_a.delivered() + session_b.delivered()
    assert set(delivered) == {text for _, text in messages}  # nothing lost
    repeated = {text for text, n in delivered.items() if n > 1}
    assert repeated <= snapshot["in_flight"]  # only what was in flight may repeat
    assert len(repeated) <= first.concurrency
    assert not snapshot["sent"] & set(session_b.delivered())  # confirmed ones never again


async def test_run_sends_new_messages_until_stopped(rig: Rig) -> None:
    chats = await rig.customers(3)
    bot, session = rig.bot()
    sender = rig.sender(bot, idle=0.5)
    all_sent = asyncio.Event()
    session.on_sent = lambda: session.ok_count() >= 6 and all_sent.set()
    runner = asyncio.create_task(sender.run())
    await rig.queue(spread(chats, 2))
    await asyncio.wait_for(all_sent.wait(), 10)
    await sender.stop()
    await asyncio.wait_for(runner, 5)
    assert await rig.statuses() == Counter({OutboxStatus.SENT: 6})


async def test_a_photo_goes_with_its_caption(rig: Rig) -> None:
    (chat,) = await rig.customers(1)
    rig.emulator.add_file(StoredFile("PHOTO-1", "uniq-1", "photo", data=b"png", width=8, height=8))
    async with rig.deps.session_factory() as session, session.begin():
        outbox = Outbox.from_session(session, rig.deps)
        await outbox.to_chat(chat, "<b>Sale</b> today", photo="PHOTO-1")
        await outbox.to_chats([chat], "", photo="PHOTO-1")  # a photo without a caption
    bot, _ = rig.bot()
    stats = await rig.sender(bot).drain()
    assert stats.sent == 2
    first, second = rig.emulator.bot_messages(chat)
    assert first.photo is not None and first.caption == "Sale today"
    assert second.photo is not None and not second.caption
