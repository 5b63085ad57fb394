"""The highest order and refill ids that panels gave this shop (numeric ids only)."""

from __future__ import annotations

from sqlalchemy import select

from db.models import Order, Refill
from db.repositories.base import Repo

MAX_ID_DIGITS = 18  # an id longer than this is no counter a simulated panel continues


def _highest(ids: list[str | None]) -> int:
    numeric = [
        int(text)
        for raw in ids
        if raw is not None
        and (text := raw.strip()).isascii()
        and text.isdigit()
        and len(text) <= MAX_ID_DIGITS
    ]
    return max(numeric, default=0)


class PanelIdsRepo(Repo):
    async def highest(self) -> tuple[int, int]:
        """(highest order id, highest refill id) the panels answered, 0 when none."""
        orders = await self.session.scalars(
            select(Order.provider_order_id).where(Order.provider_order_id.is_not(None))
        )
        refills = await self.session.scalars(
            select(Refill.provider_refill_id).where(Refill.provider_refill_id.is_not(None))
        )
        return _highest(list(orders)), _highest(list(refills))
