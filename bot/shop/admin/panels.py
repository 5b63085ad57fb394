"""/panels and /panel <name> off|on: every panel's state, and an admin's switch that stops
new orders to one (services with a backup fail over; the others are unavailable)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bot.provider.client import ProviderClient
from bot.provider.errors import ProviderError, ProviderFailure, ProviderUnavailable
from bot.provider.models import Balance
from bot.shop.admin.base import AdminServiceBase
from bot.shop.errors import ShopError
from bot.shop.shop_settings import PanelPause
from db.repositories.panels import PanelFiguresRepo
from db.uow import writes


class PanelUnknown(ShopError):
    def __init__(self, name: str, names: tuple[str, ...]) -> None:
        super().__init__(name=name)
        self.name = name
        self.names = names


@dataclass(frozen=True, slots=True)
class PanelLine:
    name: str
    balance: Decimal | None  # asked now
    currency: str | None
    error: str | None  # why the balance is not known now
    last_polled: datetime | None  # an order of it was last heard of by a status check
    down_since: datetime | None  # not answering (operators were told)
    flagged: int  # its orders whose status checks keep failing
    active: int
    services: int
    paused: PanelPause | None
    off_since: datetime | None
    balance_low: bool


async def _balance(client: ProviderClient) -> Balance | ProviderFailure:
    try:
        return await client.balance()
    except ProviderFailure as exc:
        return exc


def _latest(
    times: Mapping[int | None, datetime], ids: Sequence[int | None] | None
) -> datetime | None:
    """The latest of the panel's times; `ids` None: every order is the panel's."""
    return max((at for i, at in times.items() if ids is None or i in ids), default=None)


class AdminPanels(AdminServiceBase):
    def _order_ids(self, name: str, names: Sequence[str]) -> list[int | None]:
        """The providers row ids a panel's orders carry (None: from before the rows)."""
        provider_id = self.panels.id_of(name)
        ids: list[int | None] = [provider_id] if provider_id is not None else []
        if name == names[0] and (provider_id is None or len(names) == 1):
            ids.append(None)  # orders from before the panel rows: `main`'s
        return ids

    async def last_polls(self, name: str) -> tuple[datetime | None, datetime | None]:
        """(last successful status poll, last poll of any kind) of one panel's orders:
        what /panels and /provider both show."""
        figures = PanelFiguresRepo(self.session)
        names = [panel.name for panel in self.panels]
        ids = self._order_ids(name, names) if len(names) > 1 else None  # one panel: all
        ok = _latest(await figures.last_checked(ok_only=True), ids)
        return ok, _latest(await figures.last_checked(), ids)

    async def panels_overview(self, actor_id: int) -> tuple[PanelLine, ...]:
        """Each panel's balance (asked now, all at once, with no transaction open) and
        what the database knows of it."""
        panels = list(self.panels)
        replies = await asyncio.gather(*(_balance(panel.client) for panel in panels))
        return await self._panel_lines(actor_id, [p.name for p in panels], replies)

    @writes
    async def _panel_lines(
        self, actor_id: int, names: list[str], replies: list[Balance | ProviderFailure]
    ) -> tuple[PanelLine, ...]:
        figures = PanelFiguresRepo(self.session)
        active = await figures.active_orders()
        flagged = await figures.flagged_orders()
        polled_ok = await figures.last_checked(ok_only=True)
        services = await figures.services()
        settings = self.shop_settings
        lines = []
        for name, reply in zip(names, replies, strict=True):
            provider_id = self.panels.id_of(name)
            ids = self._order_ids(name, names)
            error = None
            if isinstance(reply, ProviderError):
                error = reply.text
            elif isinstance(reply, ProviderUnavailable):
                error = reply.reason
            elif isinstance(reply, ProviderFailure):
                error = str(reply)
            lines.append(
                PanelLine(
                    name=name,
                    balance=reply.balance if isinstance(reply, Balance) else None,
                    currency=reply.currency if isinstance(reply, Balance) else None,
                    error=error,
                    last_polled=_latest(polled_ok, ids if len(names) > 1 else None),
                    down_since=await settings.panel_down_since(name),
                    flagged=sum(flagged.get(i, 0) for i in ids),
                    active=sum(active.get(i, 0) for i in ids),
                    services=services.get(provider_id, 0) if provider_id is not None else 0,
                    paused=await settings.panel_pause(name),
                    off_since=await settings.panel_off_since(name),
                    balance_low=await settings.panel_balance_low(name),
                )
            )
        await self.record(actor_id, "panels", target_type="provider")
        return tuple(lines)

    @writes
    async def switch_panel(self, actor_id: int, name: str, off: bool) -> bool:
        """Stop (off) or resume new orders to panel `name`; False when it was so already."""
        if name not in self.panels:
            raise PanelUnknown(name, self.panels.names)
        async with self.session.begin_nested():
            changed = await self.shop_settings.set_panel_off(off, name)
            await self.record(
                actor_id,
                "panel.off" if off else "panel.on",
                target_type="provider",
                target_id=name,
                changed=changed,
            )
        return changed


__all__ = ["AdminPanels", "PanelLine", "PanelUnknown"]
