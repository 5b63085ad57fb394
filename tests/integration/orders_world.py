"""An order book on the test database without a panel: a catalogue with one service of
each kind, two customers (alice with 10 USD), and the order service's use cases. The
`shop` fixture that opens one is in conftest.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.shop.enums import LedgerKind
from bot.shop.orders.models import Draft
from bot.shop.orders.service import OrderService
from bot.shop.pricing import PricingConfig
from bot.shop.wallet import WalletService
from db.models import LedgerEntry, Order, OrderEvent
from db.repositories import CatalogRepo, LedgerRepo, ProviderRepo, UserRepo

T = TypeVar("T")
Factory = async_sessionmaker[AsyncSession]
USD = 1_000_000
PRICING = PricingConfig(currency="USD", currency_rate=Decimal(1), default_markup=Decimal(30))
LINK = "https://instagram.com/p/abc"


@dataclass
class Shop:
    factory: Factory
    clock: FakeClock
    provider_id: int
    user: int
    other_user: int
    services: dict[str, int]

    async def run(self, work: Callable[[OrderService], Awaitable[T]]) -> T:
        async with self.factory() as session, session.begin():
            return await work(OrderService.from_session(session, self.clock, PRICING))

    async def quote(self, service: str, user: int | None = None, **fields: Any) -> Draft:
        sid = self.services[service]
        return await self.run(lambda o: o.quote(user or self.user, sid, fields))

    async def buy(self, service: str = "followers", **fields: Any) -> int:
        fields = fields or {"link": LINK, "quantity": 1000}
        draft = await self.quote(service, **fields)
        result = await self.run(lambda o: o.checkout(draft))
        return result.order.id

    async def snapshot(self) -> tuple[int, int, int, int, list[tuple[Any, ...]]]:
        """Everything money-related, as committed."""
        async with self.factory() as session:
            users = UserRepo(session)
            orders = list(
                await session.execute(
                    select(Order.id, Order.state, Order.refunded).order_by(Order.id)
                )
            )
            return (
                await users.balance(self.user) or 0,
                await LedgerRepo(session).total(self.user),
                await session.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
                await session.scalar(select(func.count()).select_from(OrderEvent)) or 0,
                [tuple(row) for row in orders],
            )

    async def balance(self) -> int:
        async with self.factory() as session:
            return await UserRepo(session).balance(self.user) or 0


async def open_shop(session_factory: Factory, clock: FakeClock) -> Shop:
    """Two customers (alice with 10 USD), one panel and a service of each kind."""
    now = clock.now()
    async with session_factory() as session, session.begin():
        provider = await ProviderRepo(session).ensure("main", "https://panel.test/api/v2", now=now)
        catalog = CatalogRepo(session)

        async def add(sid: str, type_: str, rate: str, lo: int, hi: int, **kw: Any) -> int:
            values: dict[str, Any] = {
                "type": type_,
                "name": f"Service {sid}",
                "category": "Instagram Followers",
                "rate": int(Decimal(rate) * USD),
                "min": lo,
                "max": hi,
                "refill": False,
                "cancel": False,
                "dripfeed": False,
                "description": "",
                "platform": "instagram",
                "now": now,
            }
            values.update(kw)
            return await catalog.upsert(provider.id, sid, **values)

        services = {
            "followers": await add("1", "Default", "0.90", 50, 10_000, dripfeed=True),
            "package": await add("2", "Package", "2.00", 1, 1),
            "comments": await add("3", "Custom Comments", "10.00", 1, 100),
            "subs": await add("4", "Subscriptions", "1.00", 10, 1000),
            "weird": await add("5", "Some New Type", "1.00", 1, 100),
            "hidden": await add("6", "Default", "1.00", 1, 100),
            "likes": await add("7", "Default", "0.50", 10, 5000, category="Instagram Likes"),
        }
        await catalog.set_hidden(services["hidden"], True)
        users = UserRepo(session)
        alice, _ = await users.get_or_create(
            1, username="alice", first_name="Alice", language="en", now=now
        )
        bob, _ = await users.get_or_create(
            2, username="bob", first_name="Bob", language="en", now=now
        )
        await WalletService.from_session(session, clock).credit(
            alice.id, 10 * USD, LedgerKind.TOPUP, "pay:start"
        )
    return Shop(session_factory, clock, provider.id, alice.id, bob.id, services)
