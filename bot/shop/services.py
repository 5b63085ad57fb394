"""The shop's services for one unit of work (one update, one job batch), built lazily."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.writer import Outbox
from bot.placement_alerts import OutboxPlacementAlerts
from bot.shop.admin.service import AdminService
from bot.shop.admin_alerts import AlertSwitches
from bot.shop.admin_broadcast import BroadcastService
from bot.shop.catalog import CatalogService
from bot.shop.orders.service import OrderService
from bot.shop.payments.service import PaymentService
from bot.shop.payments.values import PaymentConfig
from bot.shop.placement import PlacementService
from bot.shop.promos import PromoService
from bot.shop.referrals import ReferralService
from bot.shop.shop_settings import ShopSettings
from bot.shop.stats import StatsService
from bot.shop.support.tickets import SupportService
from bot.shop.tracking import OrderTracking
from bot.shop.users import UserService
from bot.shop.wallet import WalletService
from bot.support_notices import OutboxTicketNotices

if TYPE_CHECKING:
    from bot.deps import Deps


class Shop:
    def __init__(self, session: AsyncSession, deps: Deps) -> None:
        self.session = session
        self.deps = deps

    @cached_property
    def users(self) -> UserService:
        return UserService.from_session(self.session, self.deps.clock)

    @cached_property
    def wallet(self) -> WalletService:
        return WalletService.from_session(self.session, self.deps.clock)

    @cached_property
    def orders(self) -> OrderService:
        return OrderService.from_session(self.session, self.deps.clock, self.deps.pricing)

    @cached_property
    def catalog(self) -> CatalogService:
        return CatalogService.from_session(self.session, self.deps.clock, self.deps.pricing)

    @cached_property
    def settings(self) -> ShopSettings:
        return ShopSettings.from_session(self.session, self.deps.clock)

    @cached_property
    def placement(self) -> PlacementService:
        alerts = OutboxPlacementAlerts(
            Outbox.from_session(self.session, self.deps),
            self.alert_switches,
            self.deps.i18n,
            self.deps.panels.shown,
        )
        return PlacementService(self.session, self.orders, self.deps.panels, alerts)

    @cached_property
    def tracking(self) -> OrderTracking:
        return OrderTracking(self.session, self.orders, self.deps.panels, self.deps.clock)

    # --- payments in Stars, referrals, promo codes --------------------------------------

    @cached_property
    def payments(self) -> PaymentService:
        return PaymentService.from_session(
            self.session, self.deps.clock, PaymentConfig.of(self.deps.settings)
        )

    @cached_property
    def referrals(self) -> ReferralService:
        return ReferralService.from_session(self.session, self.deps.settings.referral_percent)

    @cached_property
    def promos(self) -> PromoService:
        return PromoService.from_session(self.session, self.deps.clock)

    # --- admin tools ----------------------------------------------------------------

    @cached_property
    def admin(self) -> AdminService:
        return AdminService(
            self.session,
            clock=self.deps.clock,
            pricing=self.deps.pricing,
            panels=self.deps.panels,
            wallet=self.wallet,
            orders=self.orders,
            catalog=self.catalog,
            settings=self.settings,
        )

    @cached_property
    def stats(self) -> StatsService:
        panels = self.deps.panels
        names = {
            provider_id: panel.name
            for panel in panels
            if (provider_id := panels.id_of(panel.name)) is not None
        }
        return StatsService.from_session(self.session, self.deps.clock, self.deps.pricing, names)

    @cached_property
    def broadcasts(self) -> BroadcastService:
        outbox = Outbox(self.session, self.deps.clock, self.deps.settings)
        return BroadcastService(self.session, self.deps.clock, outbox)

    @cached_property
    def support(self) -> SupportService:
        notices = OutboxTicketNotices(Outbox.from_session(self.session, self.deps), self.deps.i18n)
        return SupportService(
            self.session,
            self.deps.clock,
            tickets_per_hour=self.deps.settings.support_tickets_per_hour,
            notices=notices,
        )

    @cached_property
    def alert_switches(self) -> AlertSwitches:
        return AlertSwitches.from_session(self.session, self.deps.clock)
