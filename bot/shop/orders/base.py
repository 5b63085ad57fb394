"""What every part of `OrderService` shares: its repositories, wallet, clock and
pricing, and reading one order back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.errors import NotFound
from bot.shop.orders.models import OrderDTO
from bot.shop.pricing import PricingConfig
from bot.shop.wallet import WalletService
from db.repositories.catalog import CatalogRepo
from db.repositories.markups import MarkupRepo
from db.repositories.orders import OrderRepo


class OrderServiceBase:
    """The state `OrderService`'s parts share; not a use case of its own."""

    def __init__(
        self,
        *,
        orders: OrderRepo,
        catalog: CatalogRepo,
        markups: MarkupRepo,
        wallet: WalletService,
        clock: Clock,
        pricing: PricingConfig,
    ) -> None:
        self.orders = orders
        self.catalog = catalog
        self.markups = markups
        self.wallet = wallet
        self.clock = clock
        self.pricing = pricing

    @property
    def session(self) -> AsyncSession:
        return self.orders.session

    async def _dto(self, order_id: int) -> OrderDTO:
        order = await self.orders.get(order_id)
        if order is None:
            raise NotFound("order", order_id)
        return OrderDTO.of(order)


__all__ = ["OrderServiceBase"]
