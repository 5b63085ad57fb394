"""Backups of storefront services: other panels' services that take their orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from db.models import ServiceBackup, ServiceRow
from db.repositories.base import Repo


class BackupRepo(Repo):
    async def of(self, service_id: int) -> list[ServiceRow]:
        """The service's backups, in order."""
        stmt = (
            select(ServiceRow)
            .join(ServiceBackup, ServiceBackup.backup_service_id == ServiceRow.id)
            .where(ServiceBackup.service_id == service_id)
            .order_by(ServiceBackup.position, ServiceBackup.id)
        )
        return list(await self.session.scalars(stmt))

    async def backup_ids(self, service_ids: list[int]) -> dict[int, list[int]]:
        """service id -> its backups' ids, for the services given."""
        if not service_ids:
            return {}
        stmt = select(ServiceBackup.service_id, ServiceBackup.backup_service_id).where(
            ServiceBackup.service_id.in_(service_ids)
        )
        found: dict[int, list[int]] = {}
        for service_id, backup_id in await self.session.execute(stmt):
            found.setdefault(service_id, []).append(backup_id)
        return found

    async def reaches(self, start: int, target: int, *, limit: int = 1000) -> bool:
        """Whether `target` is `start` or one of its backups, theirs, and so on."""
        seen: set[int] = set()
        frontier = [start]
        while frontier and len(seen) < limit:
            if target in frontier:
                return True
            seen.update(frontier)
            following = await self.backup_ids(frontier)
            frontier = [b for ids in following.values() for b in ids if b not in seen]
        return False

    async def add(
        self, service_id: int, backup_service_id: int, *, actor_id: int | None, now: datetime
    ) -> int:
        """Append a backup; its position (1, 2, ...)."""
        last = await self.session.scalar(
            select(func.max(ServiceBackup.position)).where(ServiceBackup.service_id == service_id)
        )
        position = int(last or 0) + 1
        self.session.add(
            ServiceBackup(
                service_id=service_id,
                position=position,
                backup_service_id=backup_service_id,
                actor_id=actor_id,
                created_at=now,
            )
        )
        await self.session.flush()
        return position

    async def remove(self, service_id: int, backup_service_ids: list[int]) -> int:
        if not backup_service_ids:
            return 0
        result = await self.session.execute(
            delete(ServiceBackup).where(
                ServiceBackup.service_id == service_id,
                ServiceBackup.backup_service_id.in_(backup_service_ids),
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
