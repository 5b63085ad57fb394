"""Writing to the outbox: `Outbox` queues a message in the caller's transaction, and
lists or requeues dead letters for admins (the package's docstring tells the whole way
of a message)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.shop.enums import OutboxStatus
from db.models import OutboxMessage
from db.repositories.outbox import OutboxRepo
from db.uow import reads, writes

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)


class Priority(IntEnum):
    """Lower goes first: order updates, then operator alerts, then broadcasts."""

    ORDER = 0
    ALERT = 1
    BROADCAST = 2


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One queued message, for admins (dead letters) and tests."""

    id: int
    chat_id: int
    user_id: int | None
    priority: Priority
    text: str
    photo: str | None
    status: OutboxStatus
    attempts: int
    last_error: str | None
    dedupe_key: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, row: OutboxMessage) -> OutboxItem:
        return cls(
            id=row.id,
            chat_id=row.chat_id,
            user_id=row.user_id,
            priority=Priority(row.priority),
            text=row.text,
            photo=row.photo,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            dedupe_key=row.dedupe_key,
            created_at=row.created_at,
            updated_at=row.updated_at,
            sent_at=row.sent_at,
        )


@dataclass(frozen=True, slots=True)
class KeyedMessage:
    """One message of an event that must be queued once (`Outbox.to_chats_once`)."""

    chat_id: int
    text: str
    dedupe_key: str
    user_id: int | None = None
    reply_markup: dict[str, Any] | None = None
    priority: Priority = Priority.ORDER


def _markup(reply_markup: Any) -> dict[str, Any] | None:
    if reply_markup is None:
        return None
    if hasattr(reply_markup, "model_dump"):
        dumped: dict[str, Any] = reply_markup.model_dump(mode="json", exclude_none=True)
        return dumped
    if isinstance(reply_markup, dict):
        return reply_markup
    raise TypeError(f"reply_markup: a dict or an aiogram markup, not {type(reply_markup)}")


class Outbox:
    """Queue messages in the caller's transaction (the caller commits, never this)."""

    def __init__(self, session: AsyncSession, clock: Clock, settings: Config) -> None:
        self.session = session
        self.clock = clock
        self.settings = settings
        self.repo = OutboxRepo(session)

    @classmethod
    def from_session(cls, session: AsyncSession, deps: Deps) -> Outbox:
        return cls(session, deps.clock, deps.settings)

    @writes
    async def to_chat(
        self,
        chat_id: int,
        text: str,
        *,
        priority: Priority = Priority.ORDER,
        reply_markup: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
        user_id: int | None = None,
        photo: str | None = None,
    ) -> None:
        """Queue `text` (rendered HTML, in the recipient's language) for `chat_id`.

        With `dedupe_key` ("order:17:state:completed") the same event is queued once,
        however often this is called. `user_id` is the shop's id of a customer recipient.
        With `photo` (a Telegram file id) it goes as a photo, `text` its caption (which may
        be empty).
        """
        if not chat_id:
            raise ValueError("chat_id is required")
        if not photo and (not text or not text.strip()):
            raise ValueError("an empty message")
        now = self.clock.now()
        await self.repo.add(
            chat_id=chat_id,
            user_id=user_id,
            priority=int(priority),
            text=text or "",
            photo=photo or None,
            reply_markup=_markup(reply_markup),
            dedupe_key=dedupe_key[:128] if dedupe_key else None,
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )

    @writes
    async def to_operators(self, text: str, *, dedupe_key: str | None = None) -> None:
        """Queue an alert for OPERATOR_CHAT_ID; nothing happens when it is not set."""
        chat_id = self.settings.operator_chat_id
        if chat_id is None:
            log.info("operator alert (no OPERATOR_CHAT_ID): %s", text)
            return
        await self.to_chat(chat_id, text, priority=Priority.ALERT, dedupe_key=dedupe_key)

    @writes
    async def to_chats(
        self,
        recipients: Iterable[int | tuple[int, int | None]],
        text: str,
        *,
        priority: Priority = Priority.BROADCAST,
        reply_markup: dict[str, Any] | None = None,
        photo: str | None = None,
    ) -> int:
        """Queue the same text (or photo and caption) for many chats in one statement (a
        broadcast chunk). `recipients`: chat ids, or (chat id, user id) pairs. Returns how
        many were queued."""
        if not photo and (not text or not text.strip()):
            raise ValueError("an empty message")
        now = self.clock.now()
        markup = _markup(reply_markup)
        rows = []
        for recipient in recipients:
            chat_id, user_id = recipient if isinstance(recipient, tuple) else (recipient, None)
            rows.append(
                {
                    "chat_id": chat_id,
                    "user_id": user_id,
                    "priority": int(priority),
                    "text": text or "",
                    "photo": photo or None,
                    "reply_markup": markup,
                    "dedupe_key": None,
                    "status": OutboxStatus.PENDING.value,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        await self.repo.add_many(rows)
        return len(rows)

    @writes
    async def to_chats_once(self, messages: Iterable[KeyedMessage]) -> int:
        """Queue many messages, each once by its dedupe key, in one statement (the status
        poller's notices of a chunk). Returns how many were new."""
        now = self.clock.now()
        rows = []
        for message in messages:
            if not message.chat_id:
                raise ValueError("chat_id is required")
            if not message.text or not message.text.strip():
                raise ValueError("an empty message")
            rows.append(
                {
                    "chat_id": message.chat_id,
                    "user_id": message.user_id,
                    "priority": int(message.priority),
                    "text": message.text,
                    "reply_markup": _markup(message.reply_markup),
                    "dedupe_key": message.dedupe_key[:128],
                }
            )
        return await self.repo.add_many_once(rows, now=now)

    # --- for admins -----------------------------------------------------------

    @reads
    async def counts(self) -> dict[str, int]:
        """Messages by status: pending, sending, sent, skipped, dead."""
        return {status.value: n for status, n in (await self.repo.counts()).items()}

    @reads
    async def dead_letters(self, *, limit: int = 20, offset: int = 0) -> list[OutboxItem]:
        return [OutboxItem.of(row) for row in await self.repo.dead(limit=limit, offset=offset)]

    @writes
    async def requeue(self, item_id: int) -> bool:
        """Send a dead letter again; False when there is no such dead letter."""
        return await self.repo.requeue(item_id, now=self.clock.now())

    @reads
    async def get(self, item_id: int) -> OutboxItem | None:
        row = await self.repo.get(item_id)
        return OutboxItem.of(row) if row is not None else None


__all__ = ["KeyedMessage", "Outbox", "OutboxItem", "Priority"]
