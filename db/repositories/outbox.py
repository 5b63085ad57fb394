"""The notification outbox: messages queued in a transaction, sent later by the sender.

A row moves pending -> sending (claimed, with a lease) -> sent | pending again (retry,
429, lease ran out) | skipped (recipient blocked the bot) | dead (gave up).

A broadcast's rows (`broadcast_id` set) differ twice: while their broadcast is paused
they are not due, and they are sent at most once. The sender notes `handed_at` just
before a broadcast row goes to Telegram; one left `sending` by a sender that died is
queued again if it was never handed over, and given up (dead, "interrupted") if it was:
Telegram may have taken it. An order's news goes at least once instead (sent again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update

from bot.shop.enums import BroadcastState, OutboxStatus
from db.models import Broadcast, OutboxMessage, User, table_of
from db.repositories.base import Repo
from db.repositories.rowsets import (
    BIGINT,
    INT,
    JSON_VALUE,
    TEXT,
    constant_params,
    insert_from_rowset,
    per_dialect,
    rowset_param,
)

_outbox = table_of(OutboxMessage)
INTERRUPTED = "interrupted mid-send: it may have been delivered, so it is not sent again"


def _not_paused() -> ColumnElement[bool]:
    """Not a row of a paused broadcast (a handful of broadcasts: the subquery is tiny)."""
    paused = select(Broadcast.id).where(Broadcast.state == BroadcastState.PAUSED)
    return or_(OutboxMessage.broadcast_id.is_(None), OutboxMessage.broadcast_id.not_in(paused))


# What add_many_once takes per message (the rest is the same for all of them).
_KEYED_COLUMNS = (
    ("chat_id", BIGINT),
    ("user_id", BIGINT),
    ("priority", INT),
    ("text", TEXT),
    ("reply_markup", JSON_VALUE),
    ("dedupe_key", TEXT),
)


@per_dialect
def _keyed_insert(dialect: str) -> Any:
    """add_many_once's INSERT from a rowset; a key queued before is skipped."""
    return (
        insert_from_rowset(
            dialect,
            _outbox,
            _KEYED_COLUMNS,
            ("photo", "status", "attempts", "next_attempt_at", "created_at", "updated_at"),
            "rows",
        )
        .on_conflict_do_nothing(index_elements=[_outbox.c.dedupe_key])
        .returning(_outbox.c.id)
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A due pending row, with what the sender needs to decide about it."""

    id: int
    chat_id: int
    priority: int
    text: str
    reply_markup: dict[str, Any] | None
    attempts: int
    unreachable: bool  # the chat is a customer who blocked the bot
    photo: str | None = None  # a Telegram file id: sent as a photo, `text` its caption
    broadcast: bool = False  # a broadcast's row: at most once (see the module's docstring)


class OutboxRepo(Repo):
    async def add(self, **values: Any) -> bool:
        """Queue one message; False when its dedupe_key was queued before (nothing added)."""
        stmt = self.insert_stmt(OutboxMessage).values(**values)
        if values.get("dedupe_key") is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Queue many messages in one statement (a broadcast); rows without dedupe keys."""
        if rows:
            await self.session.execute(_outbox.insert(), list(rows))

    async def add_many_once(self, rows: Sequence[dict[str, Any]], *, now: datetime) -> int:
        """Queue many pending messages, each with its dedupe_key, in one statement; a key
        queued before (or twice in `rows`) is skipped. Each row: chat_id, user_id,
        priority, text, reply_markup (a dict or None), dedupe_key. Returns how many
        were added."""
        if not rows:
            return 0
        unique: dict[str, dict[str, Any]] = {}
        for row in rows:
            key = row.get("dedupe_key")
            if not key:
                raise ValueError("every message needs a dedupe_key here")
            unique.setdefault(key, {name: row.get(name) for name, _ in _KEYED_COLUMNS})
        result = await self.session.execute(
            _keyed_insert(self.dialect),
            {
                "rows": rowset_param(list(unique.values())),
                **constant_params(
                    photo=None,
                    status=OutboxStatus.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                ),
            },
        )
        return len(result.all())

    async def due(self, *, now: datetime, limit: int) -> list[Candidate]:
        """Pending rows whose time has come, most urgent first, then oldest first.

        On PostgreSQL the rows are locked (SKIP LOCKED), so a second sender, should one
        ever run, takes other rows instead of waiting.
        """
        stmt = (
            select(
                OutboxMessage.id,
                OutboxMessage.chat_id,
                OutboxMessage.priority,
                OutboxMessage.text,
                OutboxMessage.reply_markup,
                OutboxMessage.attempts,
                OutboxMessage.photo,
                OutboxMessage.broadcast_id,
                User.unreachable_since,
            )
            .outerjoin(User, User.telegram_id == OutboxMessage.chat_id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                _not_paused(),
            )
            .order_by(OutboxMessage.priority, OutboxMessage.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=OutboxMessage)
        rows = await self.session.execute(stmt)
        return [
            Candidate(
                id=row.id,
                chat_id=row.chat_id,
                priority=row.priority,
                text=row.text,
                reply_markup=row.reply_markup,
                attempts=row.attempts,
                photo=row.photo,
                unreachable=row.unreachable_since is not None,
                broadcast=row.broadcast_id is not None,
            )
            for row in rows
        ]

    async def claim(self, ids: Iterable[int], *, until: datetime, now: datetime) -> None:
        await self._move(
            ids,
            OutboxStatus.PENDING,
            status=OutboxStatus.SENDING,
            claimed_until=until,
            handed_at=None,
            updated_at=now,
        )

    async def hand_over(self, row_id: int, *, now: datetime) -> None:
        """The claimed row is about to be sent (a broadcast's: see release_claims)."""
        await self._move([row_id], OutboxStatus.SENDING, handed_at=now, updated_at=now)

    async def defer(self, ids: Iterable[int], *, until: datetime, now: datetime) -> None:
        """Not yet (the chat's pace): pending again from `until`, no attempt counted."""
        await self._move(
            ids, None, status=OutboxStatus.PENDING, next_attempt_at=until, updated_at=now
        )

    async def skip(self, ids: Iterable[int], *, now: datetime, reason: str) -> None:
        await self._move(ids, None, status=OutboxStatus.SKIPPED, last_error=reason, updated_at=now)

    async def release(self, ids: Iterable[int], *, at: datetime, now: datetime) -> None:
        """Claimed but not sent (stopping, a 429 pause): pending again from `at`."""
        await self._move(
            ids,
            OutboxStatus.SENDING,
            status=OutboxStatus.PENDING,
            next_attempt_at=at,
            claimed_until=None,
            updated_at=now,
        )

    async def _move(
        self, ids: Iterable[int], from_status: OutboxStatus | None, **values: Any
    ) -> None:
        id_list = list(ids)
        if not id_list:
            return
        stmt = update(_outbox).where(_outbox.c.id.in_(id_list))
        if from_status is not None:
            stmt = stmt.where(_outbox.c.status == from_status.value)
        values = {k: (v.value if isinstance(v, OutboxStatus) else v) for k, v in values.items()}
        await self.session.execute(stmt.values(**values))

    async def mark_sent(self, row_id: int, *, message_id: int | None, now: datetime) -> bool:
        result = await self.session.execute(
            update(_outbox)
            .where(_outbox.c.id == row_id, _outbox.c.status != OutboxStatus.SENT.value)
            .values(
                status=OutboxStatus.SENT.value,
                telegram_message_id=message_id,
                sent_at=now,
                updated_at=now,
                claimed_until=None,
                last_error=None,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_failed(
        self, row_id: int, *, error: str, retry_at: datetime | None, now: datetime
    ) -> None:
        """One more failed attempt: pending again at `retry_at`, or dead when None."""
        values: dict[str, Any] = {
            "attempts": _outbox.c.attempts + 1,
            "last_error": error[:1000],
            "claimed_until": None,
            "updated_at": now,
        }
        if retry_at is None:
            values["status"] = OutboxStatus.DEAD.value
        else:
            values["status"] = OutboxStatus.PENDING.value
            values["next_attempt_at"] = retry_at
        await self.session.execute(
            update(_outbox)
            .where(_outbox.c.id == row_id, _outbox.c.status == OutboxStatus.SENDING.value)
            .values(**values)
        )

    async def skip_chat(self, chat_id: int, *, now: datetime, reason: str) -> int:
        """Every queued message to the chat is skipped (its customer blocked the bot)."""
        result = await self.session.execute(
            update(_outbox)
            .where(
                _outbox.c.chat_id == chat_id,
                _outbox.c.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENDING.value]),
            )
            .values(
                status=OutboxStatus.SKIPPED.value,
                last_error=reason,
                claimed_until=None,
                updated_at=now,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def mark_chat_unreachable(self, chat_id: int, *, now: datetime) -> bool:
        """The customer of this private chat blocked the bot: unreachable from `now`
        (cleared by the user middleware when they write again)."""
        result = await self.session.execute(
            update(User)
            .where(User.telegram_id == chat_id, User.unreachable_since.is_(None))
            .values(unreachable_since=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_claims(self, *, expired_before: datetime | None, now: datetime) -> int:
        """Rows left `sending` by a sender that stopped mid-send: pending again.

        With `expired_before`, only those whose lease ran out by then; None: all of them
        (a new sender holding the lock knows no other is sending). A broadcast's rows that
        were handed over to Telegram are given up instead (at most once, see the module's
        docstring). Returns how many rows were released or given up.
        """
        stmt = update(_outbox).where(_outbox.c.status == OutboxStatus.SENDING.value)
        if expired_before is not None:
            stmt = stmt.where(_outbox.c.claimed_until < expired_before)
        interrupted = await self.session.execute(
            stmt.where(
                _outbox.c.broadcast_id.is_not(None), _outbox.c.handed_at.is_not(None)
            ).values(
                status=OutboxStatus.DEAD.value,
                claimed_until=None,
                last_error=INTERRUPTED,
                updated_at=now,
            )
        )
        result = await self.session.execute(
            stmt.values(
                status=OutboxStatus.PENDING.value,
                claimed_until=None,
                next_attempt_at=now,
                updated_at=now,
            )
        )
        return int(result.rowcount or 0) + int(interrupted.rowcount or 0)  # type: ignore[attr-defined]

    async def next_due(self) -> datetime | None:
        """When the earliest pending row becomes due (None: nothing pending)."""
        return await self.session.scalar(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == OutboxStatus.PENDING, _not_paused()
            )
        )

    async def unfinished(self) -> int:
        """Rows still to send (pending or being sent), leaving out a paused broadcast's."""
        stmt = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]),
                _not_paused(),
            )
        )
        return await self.session.scalar(stmt) or 0

    # --- for admins -----------------------------------------------------------

    async def counts(self) -> dict[OutboxStatus, int]:
        stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        found = {status: int(n) for status, n in await self.session.execute(stmt)}
        return {status: found.get(status, 0) for status in OutboxStatus}

    async def dead(self, *, limit: int = 20, offset: int = 0) -> list[OutboxMessage]:
        """Dead letters, newest first."""
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.DEAD)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(await self.session.scalars(stmt))

    async def requeue(self, row_id: int, *, now: datetime) -> bool:
        """A dead letter goes out again (attempts start over)."""
        result = await self.session.execute(
            update(_outbox)
            .where(_outbox.c.id == row_id, _outbox.c.status == OutboxStatus.DEAD.value)
            .values(
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                updated_at=now,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_held(
        self, chat_id: int, *, priority: int, since: datetime, now: datetime
    ) -> int:
        """Messages of at most `priority` skipped for this chat since `since` (its customer
        had blocked the bot) are queued again: the customer is back."""
        result = await self.session.execute(
            update(_outbox)
            .where(
                _outbox.c.chat_id == chat_id,
                _outbox.c.status == OutboxStatus.SKIPPED.value,
                _outbox.c.priority <= priority,
                _outbox.c.created_at >= since,
            )
            .values(
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                last_error=None,
                updated_at=now,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def get(self, row_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, row_id, populate_existing=True)
