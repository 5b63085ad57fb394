"""The audit log of admin actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.models import AuditEntry
from db.repositories.base import Repo


class AuditRepo(Repo):
    async def record(
        self,
        actor_id: int,
        action: str,
        *,
        now: datetime,
        target_type: str | None = None,
        target_id: str | int | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            details=details or {},
            created_at=now,
        )
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def page(
        self, *, limit: int = 20, offset: int = 0, actor_id: int | None = None
    ) -> list[AuditEntry]:
        """Newest first."""
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
        if actor_id is not None:
            stmt = stmt.where(AuditEntry.actor_id == actor_id)
        return list(await self.session.scalars(stmt))
