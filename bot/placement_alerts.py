"""Operator alerts about placing orders (rendered in DEFAULT_LOCALE by the caller)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from aiogram.utils.i18n import gettext as _

from bot.i18n import Catalogues
from bot.notices import in_language
from bot.outbox.writer import Outbox
from bot.panel_pause import announce_pause
from bot.shop.admin_alerts import AlertSwitches
from bot.shop.money import format_amount
from bot.shop.orders.models import OrderDTO
from bot.shop.shop_settings import ShopSettings
from db.repositories.settings import SettingsRepo


def _head(order: OrderDTO) -> str:
    return _("order #{id} (customer {user}, service {service} «{name}», {charge})").format(
        id=order.id,
        user=order.user_id,
        service=escape(order.provider_service_id),
        name=escape(order.service_name[:80]),
        charge=f"{format_amount(order.charge, order.currency)} {escape(order.currency)}",
    )


def alert_order_placed(order: OrderDTO) -> str:
    return _("🆕 Placed {order}; panel order {provider_id}.").format(
        order=_head(order), provider_id=escape(order.provider_order_id or "—")
    )


def alert_order_refused(order: OrderDTO, panel_text: str | None) -> str:
    return _("⛔ The panel refused {order}: {text}\nThe customer was refunded in full.").format(
        order=_head(order), text=escape((panel_text or "—")[:300])
    )


def alert_order_unknown(order: OrderDTO, reason: str | None) -> str:
    return _(
        "❓ No answer from the panel for {order}: {reason}\nIt may or may not exist at the "
        "panel. Nothing was refunded and it will not be sent again. Check the panel, then "
        "/order {id} to link it or refund it."
    ).format(order=_head(order), reason=escape((reason or "—")[:300]), id=order.id)


def alert_panel_unreachable(order: OrderDTO, reason: str | None) -> str:
    return _(
        "🔌 Could not reach the panel to place {order}: {reason}\nThe customer was refunded."
    ).format(order=_head(order), reason=escape((reason or "—")[:300]))


class OutboxPlacementAlerts:
    """PlacementAlerts through the notification outbox, in operators' language."""

    def __init__(self, outbox: Outbox, switches: AlertSwitches, i18n: Catalogues) -> None:
        self.outbox = outbox
        self.switches = switches
        self.i18n = i18n

    async def _send(self, render: Callable[[], str], key: str) -> None:
        with in_language(self.i18n, None):
            text = render()
        await self.outbox.to_operators(text, dedupe_key=key)

    async def placed(self, order: OrderDTO) -> None:
        if await self.switches.order_placed():
            await self._send(lambda: alert_order_placed(order), f"order:{order.id}:placed")

    async def refused(self, order: OrderDTO, panel_text: str | None) -> None:
        await self._send(
            lambda: alert_order_refused(order, panel_text), f"order:{order.id}:refused"
        )

    async def unreachable(self, order: OrderDTO, reason: str | None) -> None:
        await self._send(
            lambda: alert_panel_unreachable(order, reason), f"order:{order.id}:unreachable"
        )

    async def unknown(self, order: OrderDTO, reason: str | None) -> None:
        await self._send(lambda: alert_order_unknown(order, reason), f"order:{order.id}:unknown")

    async def paused(self) -> None:
        settings = ShopSettings(SettingsRepo(self.outbox.session), self.outbox.clock)
        await announce_pause(settings, self.outbox, self.i18n)
