"""Sending the outbox: `OutboxSender` claims due rows, sends them at the configured
pace with no transaction open, and marks each one's outcome (the package's docstring
tells the rules: pace, 429, 403, retries, the delivery guarantee)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup

from bot.clock import Clock
from bot.outbox.pacer import EPSILON, SendPace
from bot.outbox.pacing_session import already_paced
from db.repositories.outbox import Candidate, OutboxRepo
from db.uow import unit_of_work

if TYPE_CHECKING:
    from bot.deps import Deps
    from bot.jobs.locks import LeaderLock

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
ONE_SECOND = timedelta(seconds=1)


@dataclass
class SenderStats:
    sent: int = 0
    rate_limited: int = 0  # 429s received
    blocked: int = 0  # recipients found to have blocked the bot
    skipped: int = 0  # messages not sent: the recipient is unreachable
    retried: int = 0  # failures to be tried again
    dead: int = 0  # failures given up on
    deferred: int = 0  # messages put back to keep a chat's pace
    recovered: int = 0  # messages found `sending` after a stop and queued again
    errors: list[str] = field(default_factory=list)  # the last few failure texts

    def note(self, error: str) -> None:
        self.errors.append(error)
        del self.errors[:-20]


class OutboxSender:
    """Drains the outbox into Telegram at the configured pace.

    `run()` loops until `stop()` (the scheduler starts it); `drain()` sends everything
    queued and returns (tests, benchmarks, a one-off flush). Time comes from `clock` and
    waiting from `sleep`, so tests drive both. With `settle_before_sleep` the sender lets
    the sends in flight finish before it waits: under a fake clock, sends then take no
    time, as if Telegram answered instantly.

    `pace`: the process's budgets, shared with the replies of handlers (`deps.pace`, see
    bot/outbox/pacer.py); without it the sender keeps budgets of its own on `clock`
    (`rate`, `burst`, `chat_*`, `group_*` apply only then).
    """

    def __init__(
        self,
        deps: Deps,
        bot: Bot,
        *,
        lock: LeaderLock | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        rate: float | None = None,
        burst: int | None = None,
        chat_rate: float = 1.0,
        chat_burst: int = 3,
        group_rate: float = 20 / 60,
        group_burst: int = 3,
        concurrency: int = 8,
        horizon: float = 1.0,
        max_attempts: int = 5,
        backoff: float = 5.0,
        max_backoff: float = 900.0,
        lease: float = 60.0,
        idle: float = 1.0,
        settle_before_sleep: bool = False,
        pace: SendPace | None = None,
    ) -> None:
        self.deps = deps
        self.bot = bot
        self.lock = lock
        self.clock = clock or deps.clock
        self._sleep = sleep
        self._origin = self.clock.now()
        if pace is None:
            pace = SendPace(
                float(rate or deps.settings.notify_rate_per_second),
                burst=burst,
                chat_rate=chat_rate,
                chat_burst=chat_burst,
                group_rate=group_rate,
                group_burst=group_burst,
                clock=lambda: self._ts(self.clock.now()),
            )
        self.pace = pace
        self.rate = pace.rate
        self.burst = pace.burst
        self.concurrency = max(1, concurrency)
        self.horizon = horizon
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.lease = lease
        self.idle = idle
        self.settle_before_sleep = settle_before_sleep
        self.batch = max(1, min(100, math.ceil(self.rate * horizon)))
        self.stats = SenderStats()
        self._gate = asyncio.Semaphore(self.concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._stop_event: asyncio.Event | None = None
        self._leader = False
        self._blocked_now: set[int] = set()  # chats that answered 403 in this round

    # --- lifecycle --------------------------------------------------------------

    async def run(self) -> None:
        """Send while holding the lock, until `stop()`."""
        self._stopping = False
        self._stop_event = asyncio.Event()
        try:
            while not self._stopping:
                if self.lock is not None and not await self.lock.acquire():
                    if self._leader:
                        log.warning("outbox sender: lost the lock; another replica sends")
                    self._leader = False
                    await self._wait(max(self.idle, 5.0))
                    continue
                if not self._leader:
                    self._leader = True
                    await self.recover()
                try:
                    handled = await self.step()
                except Exception:
                    log.exception("outbox sender: a round failed")
                    handled = 0
                if not handled and not self._stopping:
                    await self._wait(self._idle_delay())
        finally:
            await self._settle()
            if self.lock is not None and self._leader:
                with contextlib.suppress(Exception):
                    await self.lock.release()
            self._leader = False

    async def stop(self) -> None:
        """Ask `run()`/`drain()` to end: sends in flight finish and are marked, claimed
        rows not yet sent go back to the queue."""
        self._stopping = True
        if self._stop_event is not None:
            self._stop_event.set()

    async def recover(self) -> int:
        """Queue again what a stopped sender left `sending` (call when taking over)."""
        now = self.clock.now()
        async with self.deps.session_factory() as session, session.begin():
            count = await OutboxRepo(session).release_claims(expired_before=None, now=now)
        if count:
            log.warning(
                "outbox: %d message(s) left mid-send by a stopped sender, queued again", count
            )
        self.stats.recovered += count
        return count

    async def drain(self, *, recover: bool = True, max_seconds: float | None = None) -> SenderStats:
        """Send everything queued (also what waits for its pace, a 429 pause or a retry),
        then return the stats. Assumes it is the only sender running."""
        self._stopping = False
        if recover:
            await self.recover()
        started = self.clock.now()
        while not self._stopping:
            if await self.step():
                continue
            async with unit_of_work(self.deps.session_factory, write=False) as session:
                repo = OutboxRepo(session)
                left = await repo.unfinished()
                next_due = await repo.next_due()
            if not left:
                break
            now_dt = self.clock.now()
            if max_seconds is not None and (now_dt - started) / ONE_SECOND >= max_seconds:
                break
            due_in = (next_due - now_dt) / ONE_SECOND if next_due else self.idle
            await self._pause(max(due_in, self._held_for(), 0.001))
        await self._settle()
        return self.stats

    def _ts(self, moment: datetime) -> float:
        """Seconds since this sender was made: small floats keep microseconds exact."""
        return (moment - self._origin) / ONE_SECOND

    def _moment(self, at: float, now: float, now_dt: datetime) -> datetime:
        """The database time of the pace's `at` (its `now` being `now_dt`)."""
        return now_dt + timedelta(seconds=max(0.0, at - now))

    def _held_for(self) -> float:
        """Seconds left of a 429's pause of everything (0: none)."""
        return max(0.0, self.pace.held_until - self.pace.now())

    def _idle_delay(self) -> float:
        return max(self.idle, self._held_for())

    async def _wait(self, seconds: float) -> None:
        """Sleep, cut short by stop()."""
        if self._stop_event is None:
            await self._pause(seconds)
            return
        sleeper = asyncio.ensure_future(self._pause(seconds))
        stopper = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, stopper):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _pause(self, seconds: float) -> None:
        if self.settle_before_sleep:
            await self._settle()
        await self._sleep(seconds)

    async def _settle(self) -> None:
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    # --- one round ------------------------------------------------------------------

    async def step(self) -> int:
        """Claim what may go within the horizon and send it; the number of messages sent
        or given up on (0: nothing to do right now)."""
        if self._held_for() > 0:
            return 0
        plan, skipped = await self._claim(self.clock.now())
        if not plan:
            return skipped
        await self._send(plan)
        return len(plan) + skipped

    async def _claim(self, now_dt: datetime) -> tuple[list[tuple[Candidate, float]], int]:
        pace = self.pace
        now = pace.now()
        pace.prune(now)
        async with self.deps.session_factory() as session, session.begin():
            repo = OutboxRepo(session)
            await repo.release_claims(expired_before=now_dt, now=now_dt)
            candidates = await repo.due(now=now_dt, limit=self.batch * 4)
            skip: list[int] = []
            defer: dict[float, list[int]] = {}
            plan: list[tuple[Candidate, float]] = []
            tentative: dict[int, float | None] = {}
            for candidate in candidates:
                if candidate.unreachable and candidate.chat_id > 0:
                    skip.append(candidate.id)
                    continue
                if len(plan) >= self.batch:
                    break
                chat = candidate.chat_id
                pacer = pace.pacer(chat)
                if chat not in tentative:
                    tentative[chat] = pacer.state(chat)
                tat = tentative[chat]
                at = now if tat is None else max(now, tat - pacer.tolerance)
                tentative[chat] = max(tat if tat is not None else at, at) + pacer.interval
                if at > now + self.horizon:
                    defer.setdefault(at, []).append(candidate.id)
                else:
                    plan.append((candidate, at))
            if skip:
                await repo.skip(skip, now=now_dt, reason="recipient unreachable")
            for at, ids in defer.items():
                await repo.defer(ids, until=self._moment(at, now, now_dt), now=now_dt)
            if plan:
                await repo.claim(
                    [c.id for c, _ in plan],
                    until=now_dt + timedelta(seconds=self.lease),
                    now=now_dt,
                )
        self.stats.skipped += len(skip)
        self.stats.deferred += sum(len(ids) for ids in defer.values())
        plan.sort(key=lambda item: (item[1], item[0].priority, item[0].id))
        return plan, len(skip)

    async def _send(self, plan: list[tuple[Candidate, float]]) -> None:
        self._blocked_now.clear()
        pace = self.pace
        for index, (candidate, planned) in enumerate(plan):
            chat = candidate.chat_id
            if chat in self._blocked_now:
                continue  # blocked a moment ago: its rows were skipped already
            # A free sender first, so the slot taken below is the moment of the request.
            await self._gate.acquire()
            while True:
                now = pace.now()
                if self._stopping or pace.held_until > now:
                    self._gate.release()
                    await self._put_back(
                        [c for c, _ in plan[index:]], max(pace.held_until, now), now
                    )
                    await self._settle()
                    return
                chat_at = pace.chat_earliest(chat, now)
                if pace.replying(chat):  # a reply waits for this chat's turn: it goes first
                    chat_at = max(chat_at, now) + pace.pacer(chat).interval
                if chat_at > max(planned, now) + EPSILON:
                    break  # a reply took this chat's turn: the row waits for the next one
                at = max(chat_at, pace.overall_earliest(now))
                if at <= now:
                    break
                # Up to the next microsecond: never a hair early for Telegram's buckets.
                await self._pause(math.ceil((at - now) / EPSILON) * EPSILON)
            if chat_at > max(planned, now) + EPSILON:
                self._gate.release()
                self.stats.deferred += 1
                await self._put_back([candidate], chat_at, now)
                continue
            # The send takes its slot itself, right before its request leaves (a slot taken
            # here could leave late, after the loop was busy, and bunch with later ones);
            # the next candidate waits until it has.
            taken = asyncio.Event()
            task = asyncio.create_task(self._send_one(candidate, taken))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
            await taken.wait()
        await self._settle()

    async def _take_slot(self, chat: int, taken: asyncio.Event) -> bool:
        """Wait (rarely: a reply came first) for the chat's and the overall slot and take
        it; False when the sender is stopping first."""
        pace = self.pace
        try:
            while True:
                if self._stopping:
                    return False
                now = pace.now()
                at = pace.earliest(chat, now)
                if pace.replying(chat):
                    at = max(at, now + pace.pacer(chat).interval)
                if at <= now:
                    break
                await self._sleep(math.ceil((at - now) / EPSILON) * EPSILON)
            pace.take(chat, now)
            pace.stats.outbox += 1
            return True
        finally:
            taken.set()

    async def _put_back(self, candidates: Sequence[Candidate], at: float, now: float) -> None:
        """Back to the queue, due at the pace's `at` (its `now` being this moment)."""
        if not candidates:
            return
        now_dt = self.clock.now()
        async with self.deps.session_factory() as session, session.begin():
            await OutboxRepo(session).release(
                [c.id for c in candidates], at=self._moment(at, now, now_dt), now=now_dt
            )

    async def _send_one(self, candidate: Candidate, taken: asyncio.Event) -> None:
        try:
            if not await self._take_slot(candidate.chat_id, taken):
                await self._put_back([candidate], self.pace.now(), self.pace.now())
                return
            try:
                markup = (
                    InlineKeyboardMarkup.model_validate(candidate.reply_markup)
                    if candidate.reply_markup
                    else None
                )
                if candidate.broadcast:
                    # Noted before Telegram hears of it: after a crash, a broadcast row not
                    # handed over yet is sent again, one handed over is not (at most once).
                    await self._write(lambda repo, now: repo.hand_over(candidate.id, now=now))
                with already_paced():  # its slot was taken in _send
                    if candidate.photo:
                        message = await self.bot.send_photo(
                            candidate.chat_id,
                            candidate.photo,
                            caption=candidate.text or None,
                            reply_markup=markup,
                        )
                    else:
                        message = await self.bot.send_message(
                            candidate.chat_id, candidate.text, reply_markup=markup
                        )
            except TelegramRetryAfter as exc:
                await self._rate_limited(candidate, exc.retry_after)
            except TelegramForbiddenError as exc:
                await self._forbidden(candidate, exc.message)
            except Exception as exc:  # network, 5xx, 400 ...: retried, then a dead letter
                await self._failed(candidate, f"{type(exc).__name__}: {exc}")
            else:
                await self._write(
                    lambda repo, now: repo.mark_sent(
                        candidate.id, message_id=message.message_id, now=now
                    )
                )
                self.stats.sent += 1
        except Exception:
            # The mark could not be written: the row stays `sending` and is queued again
            # when its lease runs out (the one case that may send a message twice).
            log.exception("outbox: message %s: could not record the outcome", candidate.id)
        finally:
            self._gate.release()

    async def _write(self, work: Callable[[OutboxRepo, datetime], Awaitable[Any]]) -> None:
        async with self.deps.session_factory() as session, session.begin():
            await work(OutboxRepo(session), self.clock.now())

    async def _rate_limited(self, candidate: Candidate, retry_after: int) -> None:
        self.stats.rate_limited += 1
        now = self.pace.now()
        until = self.pace.hold(candidate.chat_id, retry_after, now)
        log.info("outbox: 429 for chat %s, pausing %ss", candidate.chat_id, retry_after)
        at_dt = self._moment(until, now, self.clock.now())
        await self._write(lambda repo, at: repo.release([candidate.id], at=at_dt, now=at))

    async def _forbidden(self, candidate: Candidate, description: str) -> None:
        if candidate.chat_id > 0:
            # A private chat: the customer blocked the bot (or deleted the account).
            self._blocked_now.add(candidate.chat_id)

            async def unreachable(repo: OutboxRepo, now: datetime) -> None:
                if await repo.mark_chat_unreachable(candidate.chat_id, now=now):
                    self.stats.blocked += 1
                self.stats.skipped += await repo.skip_chat(
                    candidate.chat_id, now=now, reason=description[:200]
                )

            await self._write(unreachable)
            log.info("outbox: chat %s blocked the bot; its messages are skipped", candidate.chat_id)
            return
        # A group (the operators' chat) the bot was removed from: retrying will not help.
        await self._failed(candidate, description, final=True)

    async def _failed(self, candidate: Candidate, error: str, *, final: bool = False) -> None:
        attempts = candidate.attempts + 1
        self.stats.note(error)
        retry_at: datetime | None = None
        if not final and attempts < self.max_attempts:
            delay = min(self.backoff * 2 ** (attempts - 1), self.max_backoff)
            retry_at = self.clock.now() + timedelta(seconds=delay)
            self.stats.retried += 1
            log.info("outbox: message %s failed (%s), retry in %.0fs", candidate.id, error, delay)
        else:
            self.stats.dead += 1
            log.warning("outbox: message %s is a dead letter: %s", candidate.id, error)
        await self._write(
            lambda repo, now: repo.mark_failed(
                candidate.id, error=error, retry_at=retry_at, now=now
            )
        )


__all__ = ["OutboxSender", "SenderStats"]
