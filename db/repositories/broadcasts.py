"""Broadcasts: their rows, feeding their recipients into the outbox a batch at a time, and
counting how far they got (through `outbox.broadcast_id`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update

from bot.shop.enums import BroadcastState, OutboxStatus
from db.models import Broadcast, OutboxMessage, User, table_of
from db.repositories.base import Repo

_outbox = table_of(OutboxMessage)
_REACHABLE = (User.banned.is_(False), User.unreachable_since.is_(None))
_UNFINISHED = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)


class BroadcastRepo(Repo):
    async def create(self, **values: Any) -> bool:
        """Insert the broadcast unless its id exists; False when it did (a second Confirm)."""
        stmt = (
            self.insert_stmt(Broadcast)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Broadcast.id])
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, broadcast_id: str) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id, populate_existing=True)

    async def lock(self, broadcast_id: str) -> Broadcast | None:
        """The row, locked against a concurrent feed or state change on PostgreSQL (SQLite
        has one writer anyway)."""
        stmt = select(Broadcast).where(Broadcast.id == broadcast_id).with_for_update()
        return (
            await self.session.execute(stmt.execution_options(populate_existing=True))
        ).scalar_one_or_none()

    async def in_states(self, states: Sequence[BroadcastState]) -> list[Broadcast]:
        stmt = select(Broadcast).where(Broadcast.state.in_(list(states))).order_by(Broadcast.id)
        return list(await self.session.scalars(stmt.execution_options(populate_existing=True)))

    async def unreported(self) -> list[Broadcast]:
        """Finished (done or cancelled) and not reported yet."""
        stmt = (
            select(Broadcast)
            .where(
                Broadcast.state.in_([BroadcastState.DONE, BroadcastState.CANCELLED]),
                Broadcast.reported.is_(False),
            )
            .order_by(Broadcast.id)
        )
        return list(await self.session.scalars(stmt.execution_options(populate_existing=True)))

    async def move(
        self,
        broadcast_id: str,
        from_states: Sequence[BroadcastState],
        *,
        now: datetime,
        **values: Any,
    ) -> bool:
        """One conditional UPDATE: the broadcast changes only from one of `from_states`
        (a stale or repeated button changes nothing)."""
        result = await self.session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.state.in_(list(from_states)))
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim_progress_edit(
        self, broadcast_id: str, *, now: datetime, before: datetime
    ) -> bool:
        """The progress message may be edited now (its last edit was before `before`): one
        replica, one edit per interval."""
        result = await self.session.execute(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast_id,
                Broadcast.progress_message_id.is_not(None),
                (Broadcast.progress_at.is_(None)) | (Broadcast.progress_at <= before),
            )
            .values(progress_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # --- feeding ----------------------------------------------------------------------

    async def max_user_id(self) -> int:
        return int(await self.session.scalar(select(func.max(User.id))) or 0)

    async def next_recipients(
        self, *, after_id: int, up_to_id: int, limit: int
    ) -> list[tuple[int, int, str | None]]:
        """(id, telegram id, language) of reachable customers (not banned, not known to
        have blocked the bot) with ids in (after_id, up_to_id], by id. Someone banned or
        found blocked before their turn drops out of the broadcast (and of its figures)."""
        stmt = (
            select(User.id, User.telegram_id, User.language)
            .where(User.id > after_id, User.id <= up_to_id, *_REACHABLE)
            .order_by(User.id)
            .limit(limit)
        )
        return [(row[0], row[1], row[2]) for row in await self.session.execute(stmt)]

    async def languages_to_feed(self, *, after_id: int, up_to_id: int) -> dict[str | None, int]:
        """Customers still to be queued, by stored language (the same rule as above)."""
        stmt = (
            select(User.language, func.count())
            .where(User.id > after_id, User.id <= up_to_id, *_REACHABLE)
            .group_by(User.language)
        )
        return {language: int(n) for language, n in await self.session.execute(stmt)}

    async def enqueue(self, rows: Sequence[dict[str, Any]]) -> None:
        """Many outbox rows in one executemany (one cached statement, not a VALUES list
        compiled afresh each batch); a row whose dedupe key exists is left out (queued
        before a restart)."""
        if rows:
            stmt = self.insert_stmt(OutboxMessage).on_conflict_do_nothing(
                index_elements=[OutboxMessage.dedupe_key]
            )
            await self.session.execute(stmt, list(rows))

    # --- counting ---------------------------------------------------------------------

    async def counts(self, broadcast_id: str) -> dict[OutboxStatus, int]:
        """Its outbox rows by status (the index on (broadcast_id, status) covers it)."""
        stmt = (
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .group_by(OutboxMessage.status)
        )
        return {status: int(n) for status, n in await self.session.execute(stmt)}

    async def counts_with_prefix(self, broadcast_id: str, prefix: str) -> dict[OutboxStatus, int]:
        """Its rows whose dedupe key starts with `prefix` (one language's), by status. The
        prefix ends with ':'; the range up to ';' (the next character) uses the key's index."""
        stmt = (
            select(OutboxMessage.status, func.count())
            .where(
                OutboxMessage.broadcast_id == broadcast_id,
                and_(
                    OutboxMessage.dedupe_key >= prefix,
                    OutboxMessage.dedupe_key < prefix[:-1] + ";",
                ),
            )
            .group_by(OutboxMessage.status)
        )
        return {status: int(n) for status, n in await self.session.execute(stmt)}

    async def unfinished(self, broadcast_id: str) -> int:
        """Its rows still queued or being sent."""
        stmt = (
            select(func.count())
            .select_from(_outbox)
            .where(_outbox.c.broadcast_id == broadcast_id, _outbox.c.status.in_(_UNFINISHED))
        )
        return int(await self.session.scalar(stmt) or 0)

    async def drop_pending(self, broadcast_id: str) -> int:
        """Its rows not yet claimed are removed (a cancel): never sent, never counted."""
        result = await self.session.execute(
            delete(_outbox).where(
                _outbox.c.broadcast_id == broadcast_id,
                _outbox.c.status == OutboxStatus.PENDING.value,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = ["BroadcastRepo"]
