"""Broadcasts: one outbox row per reachable customer, behind order notifications.

A broadcast is recorded as a settings row (`broadcast:<id>`: who, where to report, how
many per language) claimed before anything is queued, so confirming it twice queues it
once; each outbox row carries `bc:<id>:<language>:<user id>` as its dedupe key, which is
also how its progress is counted, in all and per language (sent, skipped because the
customer blocked the bot, dead letters).

Its `Audience` says which text each language gets: one text for all, a text per language
(a language without one gets the fallback language's), or one language only. A
customer's language is the shipped language their Telegram language picks (`pick`,
bot/i18n.py), so everyone falls in exactly one group.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.outbox.writer import Outbox, Priority
from bot.shop.enums import OutboxStatus
from bot.shop.errors import NotFound
from db.repositories.admin import AdminRepo
from db.repositories.audience import AudienceRepo
from db.repositories.audit import AuditRepo
from db.repositories.settings import SettingsRepo
from db.repositories.users import UserRepo
from db.uow import reads, writes

RECORD_PREFIX = "broadcast:"
CHUNK = 500


Pick = Callable[[str | None], str]  # a customer's stored language -> a shipped one


def dedupe_prefix(broadcast_id: str, language: str | None = None) -> str:
    return f"bc:{broadcast_id}:" + (f"{language}:" if language else "")


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


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    id: str
    actor_id: int
    chat_id: int  # where the report goes
    total: int
    created_at: datetime
    reported: bool
    totals: Mapping[str, int] = field(default_factory=dict)  # recipients per language

    def dump(self) -> str:
        return json.dumps(
            {
                "actor_id": self.actor_id,
                "chat_id": self.chat_id,
                "total": self.total,
                "created_at": self.created_at.isoformat(),
                "reported": self.reported,
                "totals": dict(self.totals),
            }
        )

    @classmethod
    def load(cls, broadcast_id: str, value: str) -> BroadcastRecord:
        data = json.loads(value)
        return cls(
            id=broadcast_id,
            actor_id=int(data["actor_id"]),
            chat_id=int(data["chat_id"]),
            total=int(data["total"]),
            created_at=datetime.fromisoformat(data["created_at"]),
            reported=bool(data.get("reported")),
            totals={str(k): int(v) for k, v in (data.get("totals") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class BroadcastProgress:
    id: str
    total: int
    sent: int
    blocked: int  # the customer blocked the bot (skipped)
    failed: int  # dead letters
    pending: int
    language: str | None = None  # the figures of one language's recipients
    languages: tuple[BroadcastProgress, ...] = ()  # per language, when there are several

    @property
    def done(self) -> bool:
        return self.pending == 0


@dataclass(frozen=True, slots=True)
class BroadcastStart:
    record: BroadcastRecord
    created: bool  # False: it was confirmed before; nothing new was queued


class BroadcastService:
    def __init__(self, session: AsyncSession, clock: Clock, outbox: Outbox) -> None:
        self.session = session
        self.clock = clock
        self.outbox = outbox
        self.users = UserRepo(session)
        self.repo = AdminRepo(session)
        self.settings = SettingsRepo(session)
        self.audit = AuditRepo(session)
        self.audience = AudienceRepo(session)

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
    ) -> BroadcastStart:
        """Queue the broadcast for every reachable customer its audience includes, once
        per `broadcast_id`."""
        key = RECORD_PREFIX + broadcast_id
        now = self.clock.now()
        async with self.session.begin_nested():
            record = BroadcastRecord(broadcast_id, actor_id, chat_id, 0, now, reported=False)
            if not await self.repo.claim_setting(key, record.dump(), now=now):
                return BroadcastStart(await self.record(broadcast_id), created=False)
            totals: dict[str, int] = {}
            after = 0
            while batch := await self.audience.page(after_id=after, limit=CHUNK):
                for user_id, telegram_id, stored in batch:
                    language = pick(stored)
                    content = audience.content_for(language)
                    if content is None:
                        continue
                    extra: dict[str, Any] = {"photo": content.photo} if content.photo else {}
                    await self.outbox.to_chat(
                        telegram_id,
                        content.text,
                        priority=Priority.BROADCAST,
                        dedupe_key=f"{dedupe_prefix(broadcast_id, language)}{user_id}",
                        user_id=user_id,
                        **extra,
                    )
                    totals[language] = totals.get(language, 0) + 1
                after = batch[-1][0]
            total = sum(totals.values())
            record = BroadcastRecord(
                broadcast_id, actor_id, chat_id, total, now, reported=False, totals=totals
            )
            await self.settings.set(key, record.dump(), now=now)
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
        return BroadcastStart(record, created=True)

    @reads
    async def record(self, broadcast_id: str) -> BroadcastRecord:
        value = await self.settings.get(RECORD_PREFIX + broadcast_id)
        if value is None:
            raise NotFound("broadcast", broadcast_id)
        return BroadcastRecord.load(broadcast_id, value)

    @reads
    async def progress(self, broadcast_id: str) -> BroadcastProgress:
        return await self._progress(await self.record(broadcast_id))

    async def _progress(self, record: BroadcastRecord) -> BroadcastProgress:
        overall = await self._counted(record.id, None, record.total)
        if len(record.totals) < 2:
            return overall
        languages = tuple(
            [
                await self._counted(record.id, language, total)
                for language, total in sorted(record.totals.items())
            ]
        )
        return BroadcastProgress(
            id=overall.id,
            total=overall.total,
            sent=overall.sent,
            blocked=overall.blocked,
            failed=overall.failed,
            pending=overall.pending,
            languages=languages,
        )

    async def _counted(
        self, broadcast_id: str, language: str | None, total: int
    ) -> BroadcastProgress:
        counts = await self.repo.outbox_counts(dedupe_prefix(broadcast_id, language))
        sent = counts.get(OutboxStatus.SENT, 0)
        blocked = counts.get(OutboxStatus.SKIPPED, 0)
        failed = counts.get(OutboxStatus.DEAD, 0)
        return BroadcastProgress(
            id=broadcast_id,
            total=total,
            sent=sent,
            blocked=blocked,
            failed=failed,
            pending=max(0, total - sent - blocked - failed),
            language=language,
        )

    @reads
    async def finished(self) -> list[tuple[BroadcastRecord, BroadcastProgress]]:
        """Broadcasts delivered (or given up on) to the last recipient and not reported
        yet; each is marked reported, so the caller reports it in this transaction."""
        done = []
        for key, value in (await self.repo.settings_with_prefix(RECORD_PREFIX)).items():
            record = BroadcastRecord.load(key.removeprefix(RECORD_PREFIX), value)
            if record.reported:
                continue
            progress = await self._progress(record)
            if not progress.done:
                continue
            reported = BroadcastRecord(
                record.id,
                record.actor_id,
                record.chat_id,
                record.total,
                record.created_at,
                reported=True,
                totals=record.totals,
            )
            await self.settings.set(key, reported.dump(), now=self.clock.now())
            done.append((reported, progress))
        return done


__all__ = [
    "Audience",
    "BroadcastContent",
    "BroadcastProgress",
    "BroadcastRecord",
    "BroadcastService",
    "BroadcastStart",
]
