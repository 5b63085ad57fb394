"""Operator alerts about placing orders, through the notification outbox."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.i18n import Catalogues, in_language
from bot.outbox.writer import Outbox
from bot.panel_pause import announce_pause
from bot.shop.admin_alerts import AlertSwitches
from bot.shop.money import Micro
from bot.shop.orders.models import OrderDTO
from bot.shop.shop_settings import ShopSettings
from bot.shop.users import UserDTO
from bot.texts.operator_alerts import (
    alert_backup_too_dear,
    alert_order_failed_over,
    alert_order_id_taken,
    alert_order_placed,
    alert_order_refused,
    alert_order_unknown,
    alert_panel_unreachable,
    placing,
)
from db.repositories.settings import SettingsRepo
from db.repositories.users import UserRepo


class OutboxPlacementAlerts:
    """PlacementAlerts through the notification outbox, in operators' language."""

    def __init__(
        self,
        outbox: Outbox,
        switches: AlertSwitches,
        i18n: Catalogues,
        shown: Callable[[str], str | None] = lambda _name: None,
    ) -> None:
        self.outbox = outbox
        self.switches = switches
        self.i18n = i18n
        self.shown = shown  # a panel's name in alerts (None in a one-panel shop)

    async def _send(self, render: Callable[[], str], key: str) -> None:
        with in_language(self.i18n, None):
            text = render()
        await self.outbox.to_operators(text, dedupe_key=key)

    async def _customer(self, order: OrderDTO) -> UserDTO | None:
        """The order's customer, read in the placing transaction the alert is written in."""
        row = await UserRepo(self.outbox.session).get(order.user_id)
        return UserDTO.of(row) if row is not None else None

    async def placed(self, order: OrderDTO) -> None:
        if await self.switches.order_placed():
            person = await self._customer(order)
            await self._send(lambda: alert_order_placed(order, person), f"order:{order.id}:placed")

    async def refused(self, order: OrderDTO, panel_text: str | None) -> None:
        person = await self._customer(order)
        await self._send(
            lambda: alert_order_refused(order, person, panel_text), f"order:{order.id}:refused"
        )

    async def unreachable(self, order: OrderDTO, reason: str | None) -> None:
        person = await self._customer(order)
        await self._send(
            lambda: alert_panel_unreachable(order, person, reason), f"order:{order.id}:unreachable"
        )

    async def unknown(self, order: OrderDTO, reason: str | None) -> None:
        person = await self._customer(order)
        await self._send(
            lambda: alert_order_unknown(order, person, reason), f"order:{order.id}:unknown"
        )

    async def id_taken(self, order: OrderDTO, provider_order_id: str, other_id: int) -> None:
        person = await self._customer(order)
        await self._send(
            lambda: alert_order_id_taken(order, person, provider_order_id, other_id),
            f"order:{order.id}:unknown",
        )

    async def failed_over(self, order: OrderDTO, attempts: Sequence[str], panel: str) -> None:
        person = await self._customer(order)
        await self._send(
            lambda: alert_order_failed_over(order, person, attempts, panel),
            f"order:{order.id}:failover",
        )

    async def backup_too_dear(self, order: OrderDTO, panel: str, cost: Micro) -> None:
        person = await self._customer(order)
        await self._send(
            lambda: alert_backup_too_dear(order, person, panel, cost),
            f"order:{order.id}:dear:{panel}",
        )

    async def paused(self, panel: str, order: OrderDTO | None = None) -> None:
        settings = ShopSettings(SettingsRepo(self.outbox.session), self.outbox.clock)
        about = None
        if order is not None and await settings.panel_pause(panel) is not None:
            person = await self._customer(order)
            about = lambda: placing(order, person)  # noqa: E731
        await announce_pause(
            settings, self.outbox, self.i18n, panel=panel, shown=self.shown(panel), about=about
        )
