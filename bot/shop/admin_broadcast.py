"""Broadcasts: a `broadcasts` row, fed into the outbox a batch at a time, behind order
notifications, with Pause / Resume / Cancel.

Confirm records the broadcast (once per id: a second Confirm queues nothing) with the
customers it is for: ids up to the highest one at that moment. Its rows are then fed into
the outbox by `feed` in batches, each batch in its own short transaction that also moves
the broadcast's cursor, and only while fewer than `window` of its rows wait there: memory,
the transaction and the outbox's pending rows stay small however many customers there are,
and a restart carries on from the cursor (a row's dedupe key `bc:<id>:<language>:<user id>`
would refuse a second one anyway).

Paused: its queued rows are not claimed by the sender (db/repositories/outbox.py) and
nothing more is fed; Resume carries on. Cancel drops the rows not claimed yet, feeds no
more, and the report says how many were never sent (rows being sent at that moment still
go: they were handed to Telegram already, or are about to be).

Its `Audience` says which text each language gets: one text for all, a text per language
(a language without one gets the fallback language's), or one language only. A
customer's language is the shipped language their Telegram language picks (`pick`,
bot/i18n.py), so everyone falls in exactly one group.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.outbox.writer import Outbox, Priority
from bot.shop.enums import BroadcastState, OutboxStatus
from bot.shop.errors import NotFound
from db.models import Broadcast
from db.repositories.audience import AudienceRepo
from db.repositories.audit import AuditRepo
from db.repositories.broadcasts import BroadcastRepo
from db.repositories.users import UserRepo
from db.uow import reads, writes

FEED_BATCH = 250  # rows per feeding transaction at most: a few ms of the SQLite writer
MIN_WINDOW = 100
WINDOW_SECONDS = 10  # keep about this many seconds of sending queued (at the configured rate)
PROGRESS_EVERY = timedelta(seconds=5)  # the progress message is edited at most this often

Pick = Callable[[str | None], str]  # a customer's stored language -> a shipped one

ACTIVE = (BroadcastState.SENDING, BroadcastState.PAUSED)


def dedupe_prefix(broadcast_id: str, language: str | None = None) -> str:
    return f"bc:{broadcast_id}:" + (f"{language}:" if language else "")


def window(rate: float) -> int:
    """How many rows of one broadcast may wait in the outbox at a time."""
    return max(MIN_WINDOW, math.ceil(rate * WINDOW_SECONDS))


@dataclass(frozen=True, slots=True)
class BroadcastContent:
    text: str  # HTML: the message, or the photo's caption
    photo: str | None = None  # a Telegram file id


@dataclass(frozen=True, slots=True)
class Audience:
    """Which text each language gets: its own from `contents`, else the `fallback`
    language's; with `only`, that language alone gets its text and nobody else anything."""

    contents: Mapping[str, BroadcastContent]
    fallback: str
    only: str | None = None
    per_language: bool = False  # the admin wrote (or skipped) a text for each language

    def content_for(self, language: str) -> BroadcastContent | None:
        if self.only is not None:
            return self.contents.get(self.only) if language == self.only else None
        return self.contents.get(language) or self.contents.get(self.fallback)

    def falls_back(self, language: str) -> bool:
        """The language gets the fallback's text, having none of its own."""
        return self.only is None and language not in self.contents

    def dump(self) -> dict[str, Any]:
        return {
            "contents": {k: {"text": c.text, "photo": c.photo} for k, c in self.contents.items()},
            "fallback": self.fallback,
            "only": self.only,
            "per_language": self.per_language,
        }

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> Audience:
        return cls(
            contents={
                str(k): BroadcastContent(text=str(v.get("text") or ""), photo=v.get("photo"))
                for k, v in (data.get("contents") or {}).items()
            },
            fallback=str(data.get("fallback") or ""),
            only=data.get("only"),
            per_language=bool(data.get("per_language")),
        )


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    id: str
    actor_id: int
    chat_id: int  # where the report goes
    state: BroadcastState
    created_at: datetime
    totals: Mapping[str, int] = field(default_factory=dict)  # recipients per language at start
    progress_message_id: int | None = None

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @classmethod
    def of(cls, row: Broadcast) -> BroadcastRecord:
        return cls(
            id=row.id,
            actor_id=row.actor_id,
            chat_id=row.chat_id,
            state=row.state,
            created_at=row.created_at,
            totals={str(k): int(v) for k, v in (row.totals or {}).items()},
            progress_message_id=row.progress_message_id,
        )


@dataclass(frozen=True, slots=True)
class BroadcastProgress:
    id: str
    total: int
    sent: int
    blocked: int  # the customer blocked the bot (skipped)
    failed: int  # dead letters (also: interrupted mid-send by a crash, not sent again)
    pending: int  # queued, being sent, or not queued yet
    language: str | None = None  # the figures of one language's recipients
    languages: tuple[BroadcastProgress, ...] = ()  # per language, when there are several
    state: BroadcastState = BroadcastState.SENDING
    not_sent: int = 0  # cancelled: never sent
    eta_seconds: int | None = None  # sending: what is left at the configured rate

    @property
    def done(self) -> bool:
        return self.pending == 0 or self.state in (BroadcastState.DONE, BroadcastState.CANCELLED)


@dataclass(frozen=True, slots=True)
class BroadcastStart:
    record: BroadcastRecord
    created: bool  # False: it was confirmed before; nothing new was queued


@dataclass(frozen=True, slots=True)
class BroadcastChange:
    """The outcome of Pause / Resume / Cancel."""

    changed: bool  # False: the broadcast was not in a state this applies to
    record: BroadcastRecord


@dataclass(frozen=True, slots=True)
class ProgressEdit:
    """A progress message to edit now (the figures read in the same transaction)."""

    record: BroadcastRecord
    progress: BroadcastProgress
    language: str | None = None  # the admin's stored language


class BroadcastService:
    def __init__(self, session: AsyncSession, clock: Clock, outbox: Outbox) -> None:
        self.session = session
        self.clock = clock
        self.outbox = outbox
        self.users = UserRepo(session)
        self.audit = AuditRepo(session)
        self.audience = AudienceRepo(session)
        self.repo = BroadcastRepo(session)

    @property
    def rate(self) -> float:
        return float(self.outbox.settings.notify_rate_per_second)

    @reads
    async def recipients(self) -> int:
        """Customers a broadcast reaches: not banned, not known to have blocked the bot."""
        return await self.users.count_reachable()

    @reads
    async def recipients_by_language(self, pick: Pick) -> dict[str, int]:
        """Reachable customers per shipped language."""
        counts: dict[str, int] = {}
        for language, n in (await self.audience.languages()).items():
            picked = pick(language)
            counts[picked] = counts.get(picked, 0) + n
        return counts

    @writes
    async def start(
        self,
        actor_id: int,
        chat_id: int,
        broadcast_id: str,
        audience: Audience,
        pick: Pick,
        *,
        progress_message_id: int | None = None,
    ) -> BroadcastStart:
        """Record the broadcast, once per `broadcast_id`, for the customers there are now,
        and queue its first batch (the feeding job queues the rest)."""
        now = self.clock.now()
        by_language = await self.recipients_by_language(pick)
        totals = {
            language: n
            for language, n in sorted(by_language.items())
            if audience.content_for(language) is not None and n
        }
        created = await self.repo.create(
            id=broadcast_id,
            actor_id=actor_id,
            chat_id=chat_id,
            state=BroadcastState.SENDING,
            audience=audience.dump(),
            cursor=0,
            last_user_id=await self.repo.max_user_id(),
            totals=totals,
            progress_message_id=progress_message_id,
            progress_at=now,
            created_at=now,
            updated_at=now,
            reported=False,
        )
        if not created:
            return BroadcastStart(await self.record(broadcast_id), created=False)
        total = sum(totals.values())
        await self.audit.record(
            actor_id,
            "broadcast",
            now=now,
            target_type="broadcast",
            target_id=broadcast_id,
            details={
                "recipients": total,
                "by_language": totals,
                "only": audience.only,
                "photo": any(c.photo is not None for c in audience.contents.values()),
                "text": {k: c.text[:500] for k, c in audience.contents.items()},
            },
        )
        await self._feed(broadcast_id, pick, window(self.rate))
        return BroadcastStart(await self.record(broadcast_id), created=True)

    @reads
    async def record(self, broadcast_id: str) -> BroadcastRecord:
        row = await self.repo.get(broadcast_id)
        if row is None:
            raise NotFound("broadcast", broadcast_id)
        return BroadcastRecord.of(row)

    # --- feeding ----------------------------------------------------------------------

    @reads
    async def feeding(self) -> list[str]:
        """Broadcasts being sent that have customers left to queue."""
        rows = await self.repo.in_states([BroadcastState.SENDING])
        return [row.id for row in rows if row.cursor < row.last_user_id]

    @writes
    async def feed(self, broadcast_id: str, pick: Pick, limit: int | None = None) -> int:
        """Queue the broadcast's next batch when fewer than `limit` (default: the window)
        of its rows wait in the outbox; one short transaction. Returns how many customers
        the cursor passed (0: nothing to do now)."""
        return await self._feed(broadcast_id, pick, window(self.rate) if limit is None else limit)

    async def _feed(self, broadcast_id: str, pick: Pick, limit: int) -> int:
        row = await self.repo.lock(broadcast_id)
        if row is None or row.state != BroadcastState.SENDING or row.cursor >= row.last_user_id:
            return 0
        room = min(FEED_BATCH, limit - await self.repo.unfinished(broadcast_id))
        if room <= 0:
            return 0
        audience = Audience.load(row.audience)
        now = self.clock.now()
        batch = await self.repo.next_recipients(
            after_id=row.cursor, up_to_id=row.last_user_id, limit=room
        )
        rows: list[dict[str, Any]] = []
        for user_id, telegram_id, stored in batch:
            language = pick(stored)
            content = audience.content_for(language)
            if content is None:
                continue
            rows.append(
                {
                    "chat_id": telegram_id,
                    "user_id": user_id,
                    "priority": int(Priority.BROADCAST),
                    "text": content.text,
                    "photo": content.photo,
                    "reply_markup": None,
                    "dedupe_key": f"{dedupe_prefix(broadcast_id, language)}{user_id}",
                    "broadcast_id": broadcast_id,
                    "status": OutboxStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        await self.repo.enqueue(rows)
        # A short batch means the range is used up: the cursor goes to its end.
        cursor = batch[-1][0] if len(batch) == room else row.last_user_id
        await self.repo.move(broadcast_id, [BroadcastState.SENDING], now=now, cursor=cursor)
        return len(batch) or 1

    # --- Pause / Resume / Cancel ------------------------------------------------------

    @writes
    async def pause(self, broadcast_id: str, actor_id: int) -> BroadcastChange:
        return await self._change(
            broadcast_id, actor_id, "broadcast_pause", [BroadcastState.SENDING],
            state=BroadcastState.PAUSED,
        )  # fmt: skip

    @writes
    async def resume(self, broadcast_id: str, actor_id: int) -> BroadcastChange:
        return await self._change(
            broadcast_id, actor_id, "broadcast_resume", [BroadcastState.PAUSED],
            state=BroadcastState.SENDING,
        )  # fmt: skip

    @writes
    async def cancel(self, broadcast_id: str, actor_id: int, pick: Pick) -> BroadcastChange:
        """Stop it: rows not claimed yet are dropped and nothing more is queued; what was
        never sent is kept per language for the report."""
        row = await self.repo.lock(broadcast_id)
        if row is None:
            raise NotFound("broadcast", broadcast_id)
        if row.state not in ACTIVE:
            return BroadcastChange(False, BroadcastRecord.of(row))
        audience = Audience.load(row.audience)
        not_sent = await self._to_feed(row, audience, pick)
        for language in row.totals or {}:
            counts = await self.repo.counts_with_prefix(
                broadcast_id, dedupe_prefix(broadcast_id, language)
            )
            not_sent[language] = not_sent.get(language, 0) + counts.get(OutboxStatus.PENDING, 0)
        await self.repo.drop_pending(broadcast_id)
        return await self._change(
            broadcast_id, actor_id, "broadcast_cancel", ACTIVE,
            state=BroadcastState.CANCELLED, finished_at=self.clock.now(),
            not_sent={k: v for k, v in not_sent.items() if v},
        )  # fmt: skip

    async def _change(
        self,
        broadcast_id: str,
        actor_id: int,
        action: str,
        from_states: tuple[BroadcastState, ...] | list[BroadcastState],
        **values: Any,
    ) -> BroadcastChange:
        now = self.clock.now()
        changed = await self.repo.move(broadcast_id, from_states, now=now, **values)
        if changed:
            await self.audit.record(
                actor_id, action, now=now, target_type="broadcast", target_id=broadcast_id
            )
        return BroadcastChange(changed, await self.record(broadcast_id))

    # --- progress ---------------------------------------------------------------------

    @reads
    async def progress(self, broadcast_id: str, pick: Pick) -> BroadcastProgress:
        row = await self.repo.get(broadcast_id)
        if row is None:
            raise NotFound("broadcast", broadcast_id)
        return await self._progress(row, pick)

    async def _to_feed(self, row: Broadcast, audience: Audience, pick: Pick) -> dict[str, int]:
        """Customers not queued yet, per shipped language (only those the audience gets)."""
        if row.state not in ACTIVE or row.cursor >= row.last_user_id:
            return {}
        counts: dict[str, int] = {}
        found = await self.repo.languages_to_feed(after_id=row.cursor, up_to_id=row.last_user_id)
        for stored, n in found.items():
            language = pick(stored)
            if audience.content_for(language) is not None:
                counts[language] = counts.get(language, 0) + n
        return counts

    async def _progress(self, row: Broadcast, pick: Pick) -> BroadcastProgress:
        audience = Audience.load(row.audience)
        to_feed = await self._to_feed(row, audience, pick)
        not_sent = {str(k): int(v) for k, v in (row.not_sent or {}).items()}
        languages = sorted(set(row.totals or {}) | set(to_feed) | set(not_sent))
        overall = self._figures(
            row, None, await self.repo.counts(row.id), sum(to_feed.values()), not_sent
        )
        if len(languages) < 2:
            return overall
        parts = tuple(
            [
                self._figures(
                    row,
                    language,
                    await self.repo.counts_with_prefix(row.id, dedupe_prefix(row.id, language)),
                    to_feed.get(language, 0),
                    not_sent,
                )
                for language in languages
            ]
        )
        return BroadcastProgress(
            id=overall.id,
            total=overall.total,
            sent=overall.sent,
            blocked=overall.blocked,
            failed=overall.failed,
            pending=overall.pending,
            languages=parts,
            state=overall.state,
            not_sent=overall.not_sent,
            eta_seconds=overall.eta_seconds,
        )

    def _figures(
        self,
        row: Broadcast,
        language: str | None,
        counts: Mapping[OutboxStatus, int],
        to_feed: int,
        not_sent: Mapping[str, int],
    ) -> BroadcastProgress:
        sent = counts.get(OutboxStatus.SENT, 0)
        blocked = counts.get(OutboxStatus.SKIPPED, 0)
        failed = counts.get(OutboxStatus.DEAD, 0)
        queued = counts.get(OutboxStatus.PENDING, 0) + counts.get(OutboxStatus.SENDING, 0)
        pending = queued + to_feed
        dropped = sum(not_sent.values()) if language is None else not_sent.get(language, 0)
        eta = (
            math.ceil(pending / self.rate)
            if row.state == BroadcastState.SENDING and pending
            else None
        )
        return BroadcastProgress(
            id=row.id,
            total=sent + blocked + failed + pending + dropped,
            sent=sent,
            blocked=blocked,
            failed=failed,
            pending=pending,
            language=language,
            state=row.state,
            not_sent=dropped,
            eta_seconds=eta,
        )

    @writes
    async def claim_progress_edits(self) -> list[str]:
        """Running broadcasts whose progress message was last edited PROGRESS_EVERY ago or
        more, each claimed for an edit now (one replica, one edit an interval); the figures
        are read afterwards (`progress_edit`), outside the write."""
        now = self.clock.now()
        claimed = []
        for row in await self.repo.in_states(list(ACTIVE)):
            if row.progress_message_id is None:
                continue
            if await self.repo.claim_progress_edit(row.id, now=now, before=now - PROGRESS_EVERY):
                claimed.append(row.id)
        return claimed

    @reads
    async def progress_edit(self, broadcast_id: str, pick: Pick) -> ProgressEdit:
        row = await self.repo.get(broadcast_id)
        if row is None:
            raise NotFound("broadcast", broadcast_id)
        return await self._edit(row, pick)

    @writes
    async def finish(self, pick: Pick) -> list[ProgressEdit]:
        """Broadcasts tried to their last recipient become done; done and cancelled ones
        with nothing left in flight are marked reported and returned, so the caller queues
        the report in this transaction (and edits the progress message a last time)."""
        now = self.clock.now()
        for row in await self.repo.in_states([BroadcastState.SENDING]):
            if row.cursor >= row.last_user_id and not await self.repo.unfinished(row.id):
                await self.repo.move(
                    row.id, [BroadcastState.SENDING], now=now,
                    state=BroadcastState.DONE, finished_at=now,
                )  # fmt: skip
        reported = []
        for row in await self.repo.unreported():
            if await self.repo.unfinished(row.id):
                continue  # cancelled with rows still being sent: report when they are out
            await self.repo.move(row.id, [row.state], now=now, reported=True, progress_at=now)
            reported.append(await self._edit(row, pick))
        return reported

    async def _edit(self, row: Broadcast, pick: Pick) -> ProgressEdit:
        admin = await self.users.by_telegram_id(row.actor_id)
        return ProgressEdit(
            BroadcastRecord.of(row),
            await self._progress(row, pick),
            language=admin.language if admin is not None else None,
        )


__all__ = [
    "Audience",
    "BroadcastChange",
    "BroadcastContent",
    "BroadcastProgress",
    "BroadcastRecord",
    "BroadcastService",
    "BroadcastStart",
    "ProgressEdit",
]
