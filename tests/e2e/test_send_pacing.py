"""One pacer for everything the bot sends: replies (through the Bot session's PacedSends)
and the outbox sender share the overall, per-chat and per-group budgets of one SendPace.

Against the Telegram emulator over HTTP with Telegram's limits on; time is a FakeClock
shared by the pace, the sender and the emulator's flood control (waiting moves it).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.config import Config
from bot.deps import Deps
from bot.factory import create_bot, create_deps
from bot.outbox.pacer import SendPace
from bot.outbox.pacing_session import PACED_METHODS, chat_of
from bot.outbox.sender import OutboxSender
from bot.outbox.writer import Outbox, Priority
from bot.provider.client import ProviderClient
from bot.sandbox.telegram import LimitSettings, TelegramEmulator
from bot.sandbox.telegram.models import Persona
from db.repositories import UserRepo

TOKEN = "123456:PACING"
RATE = 25


@dataclass
class Call:
    at: float  # the pace's time when the request left
    chat: Any
    method: str
    text: str
    outcome: str = "ok"  # "ok", "429", "error"
    retry_after: int | None = None
    answered: float | None = None  # the pace's time when Telegram's answer came back


class NotingSession(AiohttpSession):
    """aiogram's HTTP session, noting every message-type call when it leaves."""

    def __init__(self, pace: SendPace, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pace = pace
        self.calls: list[Call] = []
        self.progress = asyncio.Event()  # set on every message Telegram took

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        if not isinstance(method, PACED_METHODS):
            return await super().make_request(bot, method, timeout)
        call = Call(
            self.pace.now(), chat_of(method), method.__api_method__, getattr(method, "text", "")
        )
        self.calls.append(call)
        try:
            result = await super().make_request(bot, method, timeout)
        except TelegramRetryAfter as exc:
            call.outcome, call.retry_after = "429", exc.retry_after
            call.answered = self.pace.now()
            raise
        except Exception:
            call.outcome = "error"
            raise
        self.progress.set()
        return result

    async def close(self) -> None:  # skip aiohttp's 250 ms TLS grace on close
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def wait_ok(self, prefix: str, count: int) -> None:
        while len(self.ok(prefix)) < count:
            self.progress.clear()
            await self.progress.wait()

    def ok(self, prefix: str = "") -> list[Call]:
        return [c for c in self.calls if c.outcome == "ok" and c.text.startswith(prefix)]


async def fake_sleep(clock: FakeClock, seconds: float) -> None:
    """Waiting moves the clock. A send whose slot was just taken first goes out (a task
    started a moment ago), as it would before any real time passed."""
    for _ in range(10):  # every task that is ready runs up to its next real wait
        await asyncio.sleep(0)
    clock.advance(seconds)
    await asyncio.sleep(0)


@dataclass
class Rig:
    deps: Deps
    clock: FakeClock
    emulator: TelegramEmulator
    pace: SendPace
    bot: Bot
    session: NotingSession
    chats: list[int] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        await fake_sleep(self.clock, seconds)

    def sender(self, **kwargs: Any) -> OutboxSender:
        kwargs.setdefault("settle_before_sleep", True)
        return OutboxSender(self.deps, self.bot, sleep=self.sleep, pace=self.pace, **kwargs)

    async def customers(self, count: int, first: int = 7000) -> list[int]:
        ids = [first + n for n in range(count)]
        async with self.deps.session_factory() as session, session.begin():
            users = UserRepo(session)
            for chat_id in ids:
                self.emulator.add_persona(Persona(chat_id, f"Customer {chat_id}"))
                await users.get_or_create(
                    chat_id,
                    username=None,
                    first_name="Customer",
                    language="en",
                    now=self.clock.now(),
                )
        return ids

    async def queue(self, messages: list[tuple[int, str]], priority: Priority) -> None:
        async with self.deps.session_factory() as session, session.begin():
            outbox = Outbox.from_session(session, self.deps)
            for chat_id, text in messages:
                await outbox.to_chat(chat_id, text, priority=priority, dedupe_key=text)


@pytest.fixture
async def rig(engine: AsyncEngine) -> AsyncIterator[Rig]:
    clock = FakeClock()
    origin = clock.now()
    emulator = TelegramEmulator(token=TOKEN, limits=LimitSettings(), clock=clock, personas=[])
    await emulator.start()
    assert emulator.base_url is not None
    provider = ProviderClient("http://127.0.0.1:9/api/v2", "unused")
    settings = Config(
        bot_token=TOKEN,
        notify_rate_per_second=RATE,
        currency_rate=Decimal(1),
        _env_file=None,
    )  # type: ignore[call-arg]
    deps = create_deps(settings, engine=engine, provider=provider, clock=clock)

    async def sleep(seconds: float) -> None:
        await fake_sleep(clock, seconds)

    pace = SendPace(RATE, clock=lambda: (clock.now() - origin).total_seconds(), sleep=sleep)
    session = NotingSession(pace, api=TelegramAPIServer.from_base(emulator.base_url))
    bot = create_bot(settings, session=session, pace=pace)  # the application's middlewares
    rig = Rig(deps, clock, emulator, pace, bot, session)
    try:
        yield rig
    finally:
        await bot.session.close()
        await provider.close()
        await deps.close()
        await emulator.stop()


def peak(times: list[float], window: float = 1.0) -> int:
    """The most of `times` in any half-open window [t, t + window)."""
    ordered = sorted(times)
    best, first = 0, 0
    for last, t in enumerate(ordered):
        while ordered[first] <= t - window:
            first += 1
        best = max(best, last - first + 1)
    return best


def bucket_ok(times: list[float], rate: float, burst: int) -> bool:
    """Whether sends at `times` fit a token bucket of `burst` refilled at `rate`/s."""
    tokens, last = float(burst), None
    for t in sorted(times):
        if last is not None:
            tokens = min(burst, tokens + (t - last) * rate)
        last = t
        if tokens < 1 - 1e-4:
            return False
        tokens -= 1
    return True


async def browse(rig: Rig, chats: list[int], rounds: int) -> None:
    """Customers answered as handlers answer them: a message, then edits of it."""
    for r in range(rounds):
        for chat in chats:
            sent = await rig.bot.send_message(chat, f"reply {chat}:{r}")
            await rig.bot.edit_message_text(
                f"reply {chat}:{r} (edited)", chat_id=chat, message_id=sent.message_id
            )


async def test_replies_and_the_outbox_together_keep_the_rate_without_a_429(rig: Rig) -> None:
    chats = await rig.customers(30)
    notifications = [(chat, f"order {chat}:{k}") for k in range(5) for chat in chats]
    await rig.queue(notifications, Priority.ORDER)
    sender = rig.sender()

    await asyncio.gather(sender.drain(), browse(rig, chats[:10], 6))

    assert rig.emulator.counters.too_many_requests == 0 == sender.stats.rate_limited
    assert sender.stats.sent == 150
    delivered = Counter(c.text for c in rig.session.ok("order"))
    assert set(delivered) == {text for _, text in notifications} and max(delivered.values()) == 1
    assert len(rig.session.ok("reply")) == 10 * 6 * 2  # every message and every edit
    times = [c.at for c in rig.session.calls]
    assert len(times) == 150 + 120
    assert peak(times) <= RATE  # replies, edits and the outbox together
    for chat in chats:  # and each chat's replies, edits and notifications together
        assert bucket_ok([c.at for c in rig.session.calls if c.chat == chat], 1.0, 3)


async def test_a_reply_does_not_wait_behind_a_long_broadcast(rig: Rig) -> None:
    chats = await rig.customers(300)
    await rig.queue([(chat, f"news for {chat}") for chat in chats], Priority.BROADCAST)
    customer = (await rig.customers(1, first=9000))[0]
    sender = rig.sender()
    drain = asyncio.create_task(sender.drain())
    await rig.session.wait_ok("news", 50)  # the broadcast is well under way

    asked = rig.pace.now()
    sent_before = len(rig.session.calls)
    await rig.bot.send_message(customer, "reply to a tap")
    waited = rig.pace.now() - asked
    overtaken = [c for c in rig.session.calls[sent_before:] if c.text.startswith("news")]

    await drain
    # 250 broadcast messages were still queued (10 s at 25 a second): the reply went
    # after at most the one or two already on their way, within a few slots.
    assert len(overtaken) <= 2
    # At most the outbox's small burst and the one-second window ahead of it.
    assert waited <= (rig.pace.burst + 2) / RATE
    assert rig.pace.stats.replies == 1
    assert sender.stats.sent == 300 and rig.emulator.counters.too_many_requests == 0
    assert peak([c.at for c in rig.session.calls]) <= RATE


async def test_order_notifications_go_before_broadcasts_while_customers_browse(
    rig: Rig,
) -> None:
    chats = await rig.customers(60)
    await rig.queue([(chat, f"news for {chat}") for chat in chats], Priority.BROADCAST)
    updates = [(chat, f"order {chat}") for chat in chats[:8]]
    await rig.queue(updates, Priority.ORDER)
    sender = rig.sender()

    await asyncio.gather(sender.drain(), browse(rig, chats[50:55], 2))

    outbox = [c.text for c in rig.session.ok() if not c.text.startswith("reply")]
    assert len(outbox) == 68
    assert set(outbox[:8]) == {text for _, text in updates}
    assert rig.emulator.counters.too_many_requests == 0


async def test_a_429_on_a_reply_holds_the_outbox_too(rig: Rig) -> None:
    # Telegram stricter than the pace assumes in one chat: its second message is a 429.
    rig.emulator.limits = LimitSettings(chat_burst=1)
    chats = await rig.customers(40)
    await rig.queue([(chat, f"news for {chat}") for chat in chats], Priority.BROADCAST)
    sender = rig.sender()
    drain = asyncio.create_task(sender.drain())
    await rig.session.wait_ok("news", 10)

    customer = (await rig.customers(1, first=9000))[0]  # gets no broadcast: only replies
    await rig.bot.send_message(customer, "reply one")
    # 429 (the pace allows this chat a burst of 3); RetryAfterMiddleware waits retry_after
    # and sends it again, in its turn.
    await rig.bot.send_message(customer, "reply two")
    await drain

    limited = [c for c in rig.session.calls if c.outcome == "429"]
    assert limited and rig.pace.stats.holds >= 1
    # Once a reply's 429 is back, nothing (the outbox included) leaves before retry_after;
    # a send already on its way while the 429 was in flight could not have known.
    for hit in limited:
        assert hit.retry_after is not None and hit.answered is not None
        start, end = hit.answered, hit.answered + hit.retry_after
        assert not [c for c in rig.session.calls if start < c.at < end]
    assert [c.outcome for c in rig.session.calls if c.text == "reply two"] == ["429", "ok"]
    delivered = Counter(c.text for c in rig.session.ok("news"))
    assert len(delivered) == 40 and max(delivered.values()) == 1
