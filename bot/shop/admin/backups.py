"""/backup: a storefront service's backups at other panels, in order.

A backup must be another panel's service of the same type; it may not be the service
itself, nor lead back to it through backups of its own (a loop). Adding one shows both
sides, both prices and the margin first, and is confirmed by the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from bot.provider.models import ServiceType
from bot.shop.admin.catalogue import AdminCatalogue
from bot.shop.errors import NotFound, ShopError
from bot.shop.money import Micro
from db.models import ServiceRow
from db.repositories.backups import BackupRepo
from db.uow import reads, writes

MAX_BACKUPS = 5  # per service


class BackupRefused(ShopError):
    """The backup cannot be used; `reason` says why (nothing changed)."""

    UNKNOWN_PANEL = "unknown_panel"
    MISSING = "missing"  # no such service at that panel (or no longer listed)
    OTHER_TYPE = "other_type"
    ITSELF = "itself"
    SAME_PANEL = "same_panel"
    LOOP = "loop"
    ALREADY = "already"
    TOO_MANY = "too_many"
    NONE_THERE = "none_there"  # `off`: the service has no backup at that panel

    def __init__(self, reason: str, **data: object) -> None:
        super().__init__(reason=reason, **data)
        self.reason = reason
        self.details = data


@dataclass(frozen=True, slots=True)
class BackupSide:
    id: int
    name: str
    panel: str
    provider_service_id: str
    type: str
    cost: Micro  # per 1000 units (per order when flat), shop currency, rounded up
    min: int
    max: int


@dataclass(frozen=True, slots=True)
class BackupPreview:
    service: BackupSide
    backup: BackupSide
    price: Micro  # the customer's price per 1000 (per order when flat)

    @property
    def margin(self) -> Micro:
        return self.price - self.backup.cost

    @property
    def margin_percent(self) -> Decimal | None:
        if self.backup.cost <= 0:
            return None
        return (Decimal(self.margin) * 100 / Decimal(self.backup.cost)).quantize(Decimal("0.1"))


@dataclass(frozen=True, slots=True)
class BackupList:
    service: BackupSide
    price: Micro
    backups: tuple[BackupSide, ...]


class AdminBackups(AdminCatalogue):
    def _side(self, row: ServiceRow) -> BackupSide:
        panel = self.panels.panel_for(row.provider_id)
        rate = self.pricing.rate_of(row.provider_id)
        cost = Decimal(row.rate) * rate
        return BackupSide(
            id=row.id,
            name=row.name,
            panel=panel.name if panel is not None else "?",
            provider_service_id=row.provider_service_id,
            type=row.type,
            cost=int(cost.to_integral_value(rounding=ROUND_CEILING)),
            min=row.min,
            max=row.max,
        )

    async def _primary(self, service_id: int) -> ServiceRow:
        row = await self.services.get(service_id)
        if row is None:
            raise NotFound("service", service_id)
        return row

    async def _checked(
        self, service_id: int, panel: str, provider_service_id: str
    ) -> tuple[ServiceRow, ServiceRow]:
        """(service, backup) or BackupRefused / NotFound."""
        primary = await self._primary(service_id)
        if panel not in self.panels:
            raise BackupRefused(BackupRefused.UNKNOWN_PANEL, panel=panel)
        provider_id = self.panels.id_of(panel)
        row = (
            None
            if provider_id is None
            else await self.services.by_provider_service_id(provider_id, provider_service_id)
        )
        if row is None or row.removed_at is not None:
            raise BackupRefused(BackupRefused.MISSING, panel=panel, id=provider_service_id)
        if row.id == primary.id:
            raise BackupRefused(BackupRefused.ITSELF)
        if row.provider_id == primary.provider_id:
            raise BackupRefused(BackupRefused.SAME_PANEL, panel=panel)
        if ServiceType.parse(row.type) is None or row.type != primary.type:
            raise BackupRefused(BackupRefused.OTHER_TYPE, theirs=row.type, ours=primary.type)
        backups = BackupRepo(self.session)
        existing = await backups.of(primary.id)
        if any(b.id == row.id for b in existing):
            raise BackupRefused(BackupRefused.ALREADY)
        if len(existing) >= MAX_BACKUPS:
            raise BackupRefused(BackupRefused.TOO_MANY, max=MAX_BACKUPS)
        if await backups.reaches(row.id, primary.id):
            raise BackupRefused(BackupRefused.LOOP)
        return primary, row

    @reads
    async def backup_preview(
        self, actor_id: int, service_id: int, panel: str, provider_service_id: str
    ) -> BackupPreview:
        """What `/backup <id> <panel>:<panel service id>` would add, to be confirmed."""
        primary, row = await self._checked(service_id, panel, provider_service_id)
        return BackupPreview(self._side(primary), self._side(row), await self._price(primary))

    @writes
    async def add_backup(self, actor_id: int, service_id: int, backup_id: int) -> BackupList:
        """The confirmed backup (checked again: things may have changed meanwhile)."""
        async with self.session.begin_nested():
            backup = await self.services.get(backup_id)
            if backup is None:
                raise BackupRefused(BackupRefused.MISSING, panel="?", id=str(backup_id))
            panel = self.panels.panel_for(backup.provider_id)
            if panel is None:
                raise BackupRefused(BackupRefused.UNKNOWN_PANEL, panel="?")
            primary, row = await self._checked(service_id, panel.name, backup.provider_service_id)
            position = await BackupRepo(self.session).add(
                primary.id, row.id, actor_id=actor_id, now=self.clock.now()
            )
            await self.record(
                actor_id,
                "backup.add",
                target_type="service",
                target_id=primary.id,
                backup=row.id,
                panel=panel.name,
                position=position,
            )
        return await self._list(primary)

    @writes
    async def backups(self, actor_id: int, service_id: int) -> BackupList:
        primary = await self._primary(service_id)
        await self.record(actor_id, "backup", target_type="service", target_id=service_id)
        return await self._list(primary)

    async def _list(self, primary: ServiceRow) -> BackupList:
        rows = await BackupRepo(self.session).of(primary.id)
        return BackupList(
            self._side(primary), await self._price(primary), tuple(self._side(r) for r in rows)
        )

    @writes
    async def remove_backup(self, actor_id: int, service_id: int, panel: str) -> BackupList:
        async with self.session.begin_nested():
            primary = await self._primary(service_id)
            if panel not in self.panels:
                raise BackupRefused(BackupRefused.UNKNOWN_PANEL, panel=panel)
            provider_id = self.panels.id_of(panel)
            gone = [
                r.id
                for r in await BackupRepo(self.session).of(primary.id)
                if r.provider_id == provider_id
            ]
            if not gone:
                raise BackupRefused(BackupRefused.NONE_THERE, panel=panel)
            await BackupRepo(self.session).remove(primary.id, gone)
            await self.record(
                actor_id, "backup.off", target_type="service", target_id=primary.id, panel=panel
            )
        return await self._list(primary)


__all__ = [
    "AdminBackups",
    "BackupList",
    "BackupPreview",
    "BackupRefused",
    "BackupSide",
]
