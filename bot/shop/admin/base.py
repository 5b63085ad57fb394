"""What every part of `AdminService` shares: its repositories and services, the audit
row each action writes, and finding a customer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.provider.client import ProviderClient
from bot.provider.panels import PanelRegistry
from bot.shop.admin.parsing import UserRef
from bot.shop.catalog import CatalogService
from bot.shop.errors import NotFound
from bot.shop.orders.service import OrderService
from bot.shop.pricing import PricingConfig
from bot.shop.shop_settings import ShopSettings
from bot.shop.tracking import PanelUnavailable
from bot.shop.wallet import WalletService
from db.models import User
from db.repositories.admin import AdminRepo
from db.repositories.audit import AuditRepo
from db.repositories.catalog import CatalogRepo
from db.repositories.ledger import LedgerRepo
from db.repositories.markups import MarkupRepo
from db.repositories.orders import OrderRepo
from db.repositories.providers import ProviderRepo
from db.repositories.users import UserRepo
from db.uow import writes


class AdminServiceBase:
    """The state `AdminService`'s parts share, and the audit row every action writes."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        clock: Clock,
        pricing: PricingConfig,
        panels: PanelRegistry,
        wallet: WalletService,
        orders: OrderService,
        catalog: CatalogService,
        settings: ShopSettings,
    ) -> None:
        self.session = session
        self.clock = clock
        self.pricing = pricing
        self.panels = panels
        self.wallet = wallet
        self.orders = orders
        self.catalog = catalog
        self.shop_settings = settings
        self.users = UserRepo(session)
        self.ledger = LedgerRepo(session)
        self.audit = AuditRepo(session)
        self.repo = AdminRepo(session)
        self.services = CatalogRepo(session)
        self.markups = MarkupRepo(session)
        self.order_rows = OrderRepo(session)
        self.providers = ProviderRepo(session)

    def client_for(self, provider_id: int | None) -> ProviderClient:
        """The client of an order's panel; PanelUnavailable when it is not configured."""
        client = self.panels.client_for(provider_id)
        if client is None:
            raise PanelUnavailable()
        return client

    @writes
    async def record(
        self,
        actor_id: int,
        action: str,
        *,
        target_type: str | None = None,
        target_id: str | int | None = None,
        **details: Any,
    ) -> None:
        """One audit row: who did what, to what, with which arguments."""
        await self.audit.record(
            actor_id,
            action,
            now=self.clock.now(),
            target_type=target_type,
            target_id=target_id,
            details={key: _plain(value) for key, value in details.items()},
        )

    async def _find(self, who: UserRef | int) -> User:
        """A customer by reference, or by the shop's own id (from a button)."""
        if isinstance(who, int):
            row = await self.users.get(who)
        elif who.username is not None:
            row = await self.users.by_username(who.username)
        else:
            assert who.telegram_id is not None
            row = await self.users.by_telegram_id(who.telegram_id)
        if row is None:
            raise NotFound("user", str(who))
        return row


def _plain(value: Any) -> Any:
    """A JSON-friendly audit detail."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


__all__ = ["AdminServiceBase"]
