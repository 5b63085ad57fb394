"""The shop's services for one unit of work (one update, one job batch), built lazily."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.shop.catalog import CatalogService
from bot.shop.orders import OrderService
from bot.shop.placement import PlacementService
from bot.shop.shop_settings import ShopSettings
from bot.shop.tracking import OrderTracking
from bot.shop.users import UserService
from bot.shop.wallet import WalletService

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
        return PlacementService(self.session, self.orders, self.deps.provider)

    @cached_property
    def tracking(self) -> OrderTracking:
        return OrderTracking(self.session, self.orders, self.deps.provider, self.deps.clock)
