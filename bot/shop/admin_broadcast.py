"""Broadcasts: one outbox row per reachable customer, behind order notifications.

A broadcast is recorded as a settings row (`broadcast:<id>`: who, where to report, how
many) claimed before anything is queued, so confirming it twice queues it once; each
outbox row carries `bc:<id>:<user id>` as its dedupe key, which is also how its progress
is counted (sent, skipped because the customer blocked the bot, dead letters).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.outbox.writer import Outbox, Priority
from bot.shop.enums import OutboxStatus
from bot.shop.errors import NotFound
from db.repositories.admin import AdminRepo
from db.repositories.audit import AuditRepo
from db.repositories.settings import SettingsRepo
from db.repositories.users import UserRepo
from db.uow import reads, writes

RECORD_PREFIX = "broadcast:"
CHUNK = 500


def dedupe_prefix(broadcast_id: str) -> str:
    return f"bc:{broadcast_id}:"


@dataclass(frozen=True, slots=True)
class BroadcastContent:
    text: str  # HTML: the message, or the photo's caption
    photo: str | None = None  # a Telegram file id


@dataclass(frozen=True, slots=True)
class BroadcastRecord:
    id: str
    actor_id: int
    chat_id: int  # where the report goes
    total: int
    created_at: datetime
    reported: bool

    def dump(self) -> str:
        return json.dumps(
            {
                "actor_id": self.actor_id,
                "chat_id": self.chat_id,
                "total": self.total,
                "created_at": self.created_at.isoformat(),
                "reported": self.reported,
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
        )


@dataclass(frozen=True, slots=True)
class BroadcastProgress:
    id: str
    total: int
    sent: int
    blocked: int  # the customer blocked the bot (skipped)
    failed: int  # dead letters
    pending: int

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

    @reads
    async def recipients(self) -> int:
        """Customers a broadcast reaches: not banned, not known to have blocked the bot."""
        return await self.users.count_reachable()

    @writes
    async def start(
        self, actor_id: int, chat_id: int, broadcast_id: str, content: BroadcastContent
    ) -> BroadcastStart:
        """Queue the broadcast for every reachable customer, once per `broadcast_id`."""
        key = RECORD_PREFIX + broadcast_id
        now = self.clock.now()
        async with self.session.begin_nested():
            record = BroadcastRecord(broadcast_id, actor_id, chat_id, 0, now, reported=False)
            if not await self.repo.claim_setting(key, record.dump(), now=now):
                return BroadcastStart(await self.record(broadcast_id), created=False)
            extra: dict[str, Any] = {"photo": content.photo} if content.photo else {}
            total = 0
            after = 0
            prefix = dedupe_prefix(broadcast_id)
            while batch := await self.users.reachable(after_id=after, limit=CHUNK):
                for user_id, telegram_id in batch:
                    await self.outbox.to_chat(
                        telegram_id,
                        content.text,
                        priority=Priority.BROADCAST,
                        dedupe_key=f"{prefix}{user_id}",
                        user_id=user_id,
                        **extra,
                    )
                total += len(batch)
                after = batch[-1][0]
            record = BroadcastRecord(broadcast_id, actor_id, chat_id, total, now, reported=False)
            await self.settings.set(key, record.dump(), now=now)
            await self.audit.record(
                actor_id,
                "broadcast",
                now=now,
                target_type="broadcast",
                target_id=broadcast_id,
                details={
                    "recipients": total,
                    "photo": content.photo is not None,
                    "text": content.text[:500],
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
        counts = await self.repo.outbox_counts(dedupe_prefix(record.id))
        sent = counts.get(OutboxStatus.SENT, 0)
        blocked = counts.get(OutboxStatus.SKIPPED, 0)
        failed = counts.get(OutboxStatus.DEAD, 0)
        return BroadcastProgress(
            id=record.id,
            total=record.total,
            sent=sent,
            blocked=blocked,
            failed=failed,
            pending=max(0, record.total - sent - blocked - failed),
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
            )
            await self.settings.set(key, reported.dump(), now=self.clock.now())
            done.append((reported, progress))
        return done


__all__ = [
    "BroadcastContent",
    "BroadcastProgress",
    "BroadcastRecord",
    "BroadcastService",
    "BroadcastStart",
]
