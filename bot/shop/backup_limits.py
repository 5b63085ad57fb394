"""The order form's range of a service with backups: its own, intersected with theirs, so
that whichever panel takes the order accepts the quantity."""

from __future__ import annotations

from typing import Any, cast

from db.models import ServiceRow


def limits(primary: ServiceRow, backups: list[ServiceRow]) -> tuple[int, int]:
    low = max([primary.min, *(b.min for b in backups)])
    high = min([primary.max, *(b.max for b in backups)])
    return (low, high) if low <= high else (primary.min, primary.max)


class _Narrowed:
    """A service row read as having another min and max (nothing is written)."""

    def __init__(self, row: ServiceRow, low: int, high: int) -> None:
        self._row = row
        self.min = low
        self.max = high

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)


def narrowed(primary: ServiceRow, backups: list[ServiceRow]) -> ServiceRow:
    if not backups:
        return primary
    low, high = limits(primary, backups)
    return cast(ServiceRow, _Narrowed(primary, low, high))


__all__ = ["limits", "narrowed"]
