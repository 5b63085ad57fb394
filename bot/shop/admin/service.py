"""`AdminService`: every admin use case on one object, and the shop-wide ones
(maintenance, the provider's overview)."""

from __future__ import annotations

from decimal import Decimal

from bot.provider.errors import ProviderError, ProviderUnavailable
from bot.shop.admin.backups import AdminBackups
from bot.shop.admin.customers import AdminCustomers
from bot.shop.admin.money_confirm import AdminMoneyConfirm
from bot.shop.admin.orders import AdminOrders
from bot.shop.admin.panels import AdminPanels
from bot.shop.admin.platforms import AdminPlatforms
from bot.shop.admin.values import ProviderOverview
from bot.shop.panels import MAIN_PANEL
from db.uow import writes


class AdminService(
    AdminMoneyConfirm, AdminCustomers, AdminBackups, AdminPlatforms, AdminOrders, AdminPanels
):
    @writes
    async def set_maintenance(self, actor_id: int, on: bool) -> bool:
        """Switch maintenance; False when it was already so."""
        async with self.session.begin_nested():
            changed = await self.shop_settings.maintenance() != on
            await self.shop_settings.set_maintenance(on)
            await self.record(actor_id, "maintenance", target_type="shop", on=on, changed=changed)
        return changed

    async def provider_overview(self, actor_id: int) -> ProviderOverview:
        """The panel's balance (asked now, with no transaction open) and what the database
        knows about polling."""
        balance = currency = error = None
        try:
            result = await self.panels.get(MAIN_PANEL).client.balance()
        except ProviderError as exc:
            error = exc.text
        except ProviderUnavailable as exc:
            error = exc.reason
        else:
            balance, currency = result.balance, result.currency
        return await self._overview(actor_id, balance, currency, error)

    @writes
    async def _overview(
        self, actor_id: int, balance: Decimal | None, currency: str | None, error: str | None
    ) -> ProviderOverview:
        row = await self.providers.by_name(MAIN_PANEL)
        last_polled_ok, last_checked = await self.last_polls(MAIN_PANEL)
        await self.record(actor_id, "provider", target_type="provider", target_id=MAIN_PANEL)
        return ProviderOverview(
            name=MAIN_PANEL,
            url=row.url if row else None,
            balance=balance,
            currency=currency,
            error=error,
            stored_balance=row.balance if row else None,
            stored_at=row.balance_checked_at if row else None,
            orders=await self.order_rows.count_by_state(),
            last_checked=last_checked,
            last_polled_ok=last_polled_ok,
            flagged=len(await self.order_rows.flagged(limit=1000)),
            down_since=await self.shop_settings.panel_down_since(),
            balance_low=await self.shop_settings.panel_balance_low(),
            paused=await self.shop_settings.panel_pause(),
        )


__all__ = ["AdminService"]
