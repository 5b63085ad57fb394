"""Catalogue entries of the simulated panel and the listing that holds them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from bot.provider.models import FLAT_PRICE_TYPES, ServiceType

from .wire import Wire


@dataclass(frozen=True, slots=True)
class SimService:
    """One catalogue entry; `rate` is per 1000 units, or per order for flat-price types."""

    service_id: int
    name: str
    type: str  # the panel's spelling; may be a type the bot does not know
    category: str
    rate: Decimal
    min: int
    max: int
    refill: bool = False
    cancel: bool = False
    dripfeed: bool = False
    description: str = ""
    description_key: str = "desc"  # panels use "desc" or "description"
    omit_false_flags: bool = False  # a false refill/cancel/dripfeed is left out, not sent
    # Some panels say how long a service usually takes ("2 hours 15 minutes", or minutes),
    # as "average_time" or "avg_time"; most send nothing.
    average_time: str | int | None = None
    average_time_key: str = "average_time"

    @property
    def service_type(self) -> ServiceType | None:
        return ServiceType.parse(self.type)

    @property
    def flat_price(self) -> bool:
        return self.service_type in FLAT_PRICE_TYPES

    def to_wire(self, wire: Wire) -> dict[str, Any]:
        out: dict[str, Any] = {
            "service": wire.number(self.service_id, default_number=True),
            "name": self.name,
            "type": self.type,
            "category": self.category,
            "rate": wire.rate(self.rate),
            "min": wire.number(self.min),
            "max": wire.number(self.max),
        }
        for flag in ("refill", "cancel", "dripfeed"):
            value = getattr(self, flag)
            if value or not self.omit_false_flags:
                out[flag] = value
        if self.description:
            out[self.description_key] = self.description
        if self.average_time is not None:
            out[self.average_time_key] = self.average_time
        return out


class Catalogue:
    """Services by id, in the panel's listing order."""

    def __init__(self, services: Iterable[SimService]) -> None:
        self._by_id: dict[int, SimService] = {}
        self.replace(services)

    def replace(self, services: Iterable[SimService]) -> None:
        by_id = {s.service_id: s for s in services}
        self._by_id = by_id

    def __iter__(self) -> Iterator[SimService]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, service_id: int | str) -> SimService | None:
        try:
            return self._by_id.get(int(service_id))
        except (TypeError, ValueError):
            return None

    def remove(self, service_id: int | str) -> None:
        del self._by_id[int(service_id)]

    def change(self, service_id: int | str, **changes: Any) -> SimService:
        changed = replace(self._by_id[int(service_id)], **changes)
        self._by_id[changed.service_id] = changed
        return changed

    def find(
        self,
        type: ServiceType | str | None = None,
        *,
        refill: bool | None = None,
        cancel: bool | None = None,
        dripfeed: bool | None = None,
        category: str | None = None,
    ) -> SimService:
        """The first service matching every given criterion; LookupError when none does."""
        for service in self._by_id.values():
            if (
                (type is None or service.type == str(type))
                and (refill is None or service.refill == refill)
                and (cancel is None or service.cancel == cancel)
                and (dripfeed is None or service.dripfeed == dripfeed)
                and (category is None or service.category == category)
            ):
                return service
        raise LookupError(
            f"no service with type={type} refill={refill} cancel={cancel} dripfeed={dripfeed}"
        )
