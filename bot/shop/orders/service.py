"""`OrderService`: the order use cases (checkout, transitions, reading) on one object."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.errors import NotYours
from bot.shop.orders.checkout import OrderCheckout
from bot.shop.orders.models import MAX_PER_PAGE, OrderDTO, OrderEventDTO, OrderPage
from bot.shop.orders.transitions import OrderTransitions
from bot.shop.pricing import PricingConfig
from bot.shop.wallet import WalletService
from db.repositories.catalog import CatalogRepo
from db.repositories.markups import MarkupRepo
from db.repositories.orders import OrderRepo
from db.uow import reads


class OrderService(OrderCheckout, OrderTransitions):
    @classmethod
    def from_session(
        cls, session: AsyncSession, clock: Clock, pricing: PricingConfig
    ) -> OrderService:
        return cls(
            orders=OrderRepo(session),
            catalog=CatalogRepo(session),
            markups=MarkupRepo(session),
            wallet=WalletService.from_session(session, clock),
            clock=clock,
            pricing=pricing,
        )

    # ------------------------------------------------------------------ reading

    @reads
    async def get(self, order_id: int) -> OrderDTO:
        return await self._dto(order_id)

    @reads
    async def get_for_user(self, user_id: int, order_id: int) -> OrderDTO:
        """The user's own order: NotFound, or NotYours for somebody else's."""
        order = await self.get(order_id)
        if order.user_id != user_id:
            raise NotYours("order", order_id)
        return order

    @reads
    async def page_for_user(self, user_id: int, *, page: int = 0, per_page: int = 5) -> OrderPage:
        per_page = min(max(per_page, 1), MAX_PER_PAGE)
        page = max(page, 0)
        total = await self.orders.count_for_user(user_id)
        rows = await self.orders.page_for_user(user_id, limit=per_page, offset=page * per_page)
        return OrderPage(tuple(OrderDTO.of(r) for r in rows), page, per_page, total)

    @reads
    async def events(self, order_id: int) -> list[OrderEventDTO]:
        return [OrderEventDTO.of(row) for row in await self.orders.events(order_id)]


__all__ = ["OrderService"]
