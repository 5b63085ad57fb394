"""The catalogue snapshot: the providers' services as last synced, plus the admin's flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update

from db.models import ServiceRow, table_of
from db.repositories.base import Repo
from db.repositories.rowsets import (
    BIGINT,
    BOOL,
    INT,
    TEXT,
    Columns,
    constant_params,
    insert_from_rowset,
    rowset,
    rowset_param,
)

_services = table_of(ServiceRow)
# What a sync writes of each service the panel lists (the admin's columns stay).
SYNCED: Columns = (
    ("type", TEXT),
    ("name", TEXT),
    ("category", TEXT),
    ("platform", TEXT),
    ("rate", BIGINT),
    ("min", BIGINT),
    ("max", BIGINT),
    ("refill", BOOL),
    ("cancel", BOOL),
    ("dripfeed", BOOL),
    ("description", TEXT),
    ("average_minutes", INT),
)
SYNCED_NAMES = tuple(name for name, _ in SYNCED)


class CatalogRepo(Repo):
    async def get(self, service_id: int) -> ServiceRow | None:
        return await self.session.get(ServiceRow, service_id)

    async def by_provider_service_id(
        self, provider_id: int, provider_service_id: str
    ) -> ServiceRow | None:
        stmt = select(ServiceRow).where(
            ServiceRow.provider_id == provider_id,
            ServiceRow.provider_service_id == provider_service_id,
        )
        return await self.session.scalar(stmt)

    async def upsert(
        self,
        provider_id: int,
        provider_service_id: str,
        *,
        type: str,
        name: str,
        category: str,
        rate: int,
        min: int,
        max: int,
        refill: bool,
        cancel: bool,
        dripfeed: bool,
        description: str,
        platform: str | None,
        average_minutes: int | None = None,
        now: datetime,
    ) -> int:
        """Insert or refresh one service from a sync; its id.

        The admin's `hidden` and `price_override` survive; a service listed again is no
        longer removed.
        """
        synced = {
            "type": type,
            "name": name,
            "category": category,
            "platform": platform,
            "rate": rate,
            "min": min,
            "max": max,
            "refill": refill,
            "cancel": cancel,
            "dripfeed": dripfeed,
            "description": description,
            "average_minutes": average_minutes,
            "last_seen_at": now,
            "removed_at": None,
        }
        stmt = (
            self.insert_stmt(ServiceRow)
            .values(
                provider_id=provider_id,
                provider_service_id=provider_service_id,
                hidden=False,
                first_seen_at=now,
                **synced,
            )
            .on_conflict_do_update(
                index_elements=[ServiceRow.provider_id, ServiceRow.provider_service_id],
                set_=synced,
            )
            .returning(ServiceRow.id)
        )
        return (await self.session.execute(stmt)).scalar_one()

    async def sync_snapshot(self, provider_id: int) -> list[Row[Any]]:
        """The panel's services as last synced: id, provider_service_id, removed_at and
        the SYNCED columns, by name (a sync compares them; whole rows are not needed)."""
        stmt = select(
            _services.c.id,
            _services.c.provider_service_id,
            _services.c.removed_at,
            *(_services.c[name] for name in SYNCED_NAMES),
        ).where(_services.c.provider_id == provider_id)
        return list(await self.session.execute(stmt))

    async def insert_synced(
        self, provider_id: int, rows: Sequence[Mapping[str, Any]], *, now: datetime
    ) -> None:
        """Services new to the shop, in one statement: each row has provider_service_id
        and the SYNCED columns. One listed meanwhile (a sync racing another) is refreshed
        as `upsert` does."""
        if not rows:
            return
        stmt = insert_from_rowset(
            self.dialect,
            _services,
            (("provider_service_id", TEXT), *SYNCED),
            ("provider_id", "hidden", "first_seen_at", "last_seen_at", "removed_at"),
            "rows",
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[_services.c.provider_id, _services.c.provider_service_id],
            set_={
                **{name: stmt.excluded[name] for name in SYNCED_NAMES},
                "last_seen_at": now,
                "removed_at": None,
            },
        )
        constants = constant_params(
            provider_id=provider_id,
            hidden=False,
            first_seen_at=now,
            last_seen_at=now,
            removed_at=None,
        )
        await self.session.execute(stmt, {"rows": rowset_param(rows), **constants})

    async def update_synced(self, rows: Sequence[Mapping[str, Any]], *, now: datetime) -> None:
        """Services the panel lists with something changed (or listed again), in one
        statement: each row has `id` and the SYNCED columns."""
        if not rows:
            return
        given = rowset(
            self.dialect, "v", (("v_id", BIGINT), *((f"v_{n}", t) for n, t in SYNCED)), "rows"
        )
        stmt = (
            update(_services)
            .where(_services.c.id == given.c.v_id)
            .values(
                **{name: given.c[f"v_{name}"] for name in SYNCED_NAMES},
                last_seen_at=now,
                removed_at=None,
            )
        )
        data = [{f"v_{k}": v for k, v in row.items()} for row in rows]
        await self.session.execute(stmt, {"rows": rowset_param(data)})

    async def mark_seen(self, ids: Sequence[int], *, now: datetime) -> None:
        """Services listed again unchanged: only when they were last seen moves."""
        if not ids:
            return
        given = rowset(self.dialect, "v", (("v_id", BIGINT),), "rows")
        stmt = update(_services).where(_services.c.id == given.c.v_id).values(last_seen_at=now)
        await self.session.execute(stmt, {"rows": rowset_param([{"v_id": i} for i in ids])})

    async def mark_removed(self, provider_id: int, *, seen_before: datetime, now: datetime) -> int:
        """Flag the services a sync started at `seen_before` did not list; how many."""
        stmt = (
            update(ServiceRow)
            .where(
                ServiceRow.provider_id == provider_id,
                ServiceRow.last_seen_at < seen_before,
                ServiceRow.removed_at.is_(None),
            )
            .values(removed_at=now)
        )
        result = await self.session.execute(stmt)
        return int(result.rowcount)  # type: ignore[attr-defined]

    def _visible(self, include_hidden: bool) -> list[object]:
        criteria: list[object] = [ServiceRow.removed_at.is_(None)]
        if not include_hidden:
            criteria.append(ServiceRow.hidden.is_(False))
        return criteria

    async def categories(
        self, *, platform: str | None = None, include_hidden: bool = False
    ) -> list[str]:
        stmt = (
            select(ServiceRow.category)
            .where(*self._visible(include_hidden))  # type: ignore[arg-type]
            .group_by(ServiceRow.category)
            .order_by(ServiceRow.category)
        )
        if platform is not None:
            stmt = stmt.where(ServiceRow.platform == platform)
        return list(await self.session.scalars(stmt))

    async def in_category(self, category: str, *, include_hidden: bool = False) -> list[ServiceRow]:
        stmt = (
            select(ServiceRow)
            .where(ServiceRow.category == category, *self._visible(include_hidden))  # type: ignore[arg-type]
            .order_by(ServiceRow.rate, ServiceRow.id)
        )
        return list(await self.session.scalars(stmt))

    async def set_hidden(self, service_id: int, hidden: bool) -> bool:
        return await self._set(service_id, hidden=hidden)

    async def _set(self, service_id: int, **values: object) -> bool:
        result = await self.session.execute(
            update(ServiceRow).where(ServiceRow.id == service_id).values(**values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
