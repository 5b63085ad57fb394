"""Shared set-up of the jobs' integration tests (no tests here; the `world` fixture that
opens one is in conftest.py).

`world` is a shop on the test database (SQLite and PostgreSQL) with the provider
simulator over real HTTP on a FakeClock: the catalogue synced, two customers with money.
Orders are bought for real (quote, checkout: the wallet is debited) and handed to the
simulator in process, then made active with the panel's id, as placement does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.config import Config
from bot.deps import Deps
from bot.factory import create_deps
from bot.jobs.catalog import sync_catalog
from bot.provider.client import ProviderClient
from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.provider.catalog import SimService
from bot.sandbox.seeding import active_order_row
from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.orders.models import OrderDTO
from bot.shop.services import Shop
from db.models import LedgerEntry, Order, OutboxMessage
from db.repositories import CatalogRepo, ProviderRepo, UserRepo
from tests.harness import open_catalogue

KEY = "jobs-test-key"
OPERATORS = -100777
ALICE_TG, BORIS_TG = 1001, 1002
START = "100000"  # each customer's starting balance


async def no_sleep(_: float) -> None:
    return None


@dataclass
class World:
    deps: Deps
    sim: ProviderSimulator
    clock: FakeClock
    alice: int  # shop user ids
    boris: int
    service: SimService  # a Default service of the simulator
    service_id: int  # its id in the shop's catalogue

    async def buy(self, n: int = 1, *, user: int | None = None, quantity: int = 1000) -> list[int]:
        """Buy `n` orders in one transaction; they are `active` with the panel's ids."""
        ids = []
        async with self.deps.session_factory() as session, session.begin():
            shop = Shop(session, self.deps)
            for i in range(n):
                draft = await shop.orders.quote(
                    user or self.alice,
                    self.service_id,
                    {
                        "link": f"https://instagram.com/p/{len(self.sim.orders)}-{i}",
                        "quantity": quantity,
                    },
                )
                order = (await shop.orders.checkout(draft)).order
                reply = self.sim.api.handle("add", dict(draft.form), self.sim.faults)
                await shop.orders.mark_active(order.id, str(reply["order"]))
                ids.append(order.id)
        return ids

    async def seed_active(
        self, n: int, *, user: int | None = None, quantity: int = 1000
    ) -> list[int]:
        """`n` active orders written in one statement (priced like `buy`, but nothing is
        debited): for tests about many orders where the wallet does not matter."""
        async with self.deps.session_factory() as session, session.begin():
            shop = Shop(session, self.deps)
            draft = await shop.orders.quote(
                user or self.alice,
                self.service_id,
                {"link": "https://x.test/p", "quantity": quantity},
            )
            now = self.clock.now()
            rows = []
            for i in range(n):
                form = dict(draft.form, link=f"https://instagram.com/p/seed-{len(self.sim.orders)}")
                reply = self.sim.api.handle("add", form, self.sim.faults)
                rows.append(
                    active_order_row(
                        draft,
                        form,
                        user_id=user or self.alice,
                        token=f"seed-{reply['order']}-{i}",
                        service_id=self.service_id,
                        provider_id=None,
                        provider_order_id=str(reply["order"]),
                        now=now,
                    )
                )
            result = await session.execute(insert(Order).returning(Order.id), rows)
            return sorted(result.scalars())

    async def checkout_only(self, *, user: int | None = None) -> int:
        """Paid and `submitting`, never sent to the panel (a crash right after paying)."""
        async with self.deps.session_factory() as session, session.begin():
            shop = Shop(session, self.deps)
            draft = await shop.orders.quote(
                user or self.alice,
                self.service_id,
                {"link": "https://instagram.com/p/crash", "quantity": 1000},
            )
            return (await shop.orders.checkout(draft)).order.id

    async def order(self, order_id: int) -> OrderDTO:
        async with self.deps.session_factory() as session:
            return await Shop(session, self.deps).orders.get(order_id)

    async def row(self, order_id: int) -> Order:
        async with self.deps.session_factory() as session, session.begin():
            row = await session.get(Order, order_id)
            assert row is not None
            return row

    async def balance(self, user: int | None = None) -> int:
        async with self.deps.session_factory() as session, session.begin():
            return await UserRepo(session).balance(user or self.alice) or 0

    async def refunds(self) -> list[tuple[int | None, int, str]]:
        async with self.deps.session_factory() as session, session.begin():
            rows = await session.execute(
                select(LedgerEntry.order_id, LedgerEntry.amount, LedgerEntry.reference)
                .where(LedgerEntry.kind == LedgerKind.REFUND)
                .order_by(LedgerEntry.id)
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    async def outbox(self) -> list[OutboxMessage]:
        async with self.deps.session_factory() as session, session.begin():
            return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))

    async def outbox_count(self) -> int:
        async with self.deps.session_factory() as session, session.begin():
            return await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0

    def panel_id(self, order: OrderDTO | Order) -> str:
        assert order.provider_order_id is not None
        return order.provider_order_id


def settings_for(url: str, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "bot_token": "42:TEST",
        "provider_url": url,
        "provider_key": KEY,
        "operator_chat_id": OPERATORS,
        "markup_percent": Decimal(30),
        "_env_file": None,
    }
    values.update(overrides)
    return Config(**values)


class make_world:  # lower case: used as `async with make_world(engine) as world`
    def __init__(
        self, engine: AsyncEngine, *, dialects: tuple[str, ...] = (), **settings: Any
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = FakeClock()
        self.sim = ProviderSimulator(
            key=KEY,
            clock=self.clock,
            seed=7,
            balance=Decimal("1000000"),
            partial_share=0.0,
            cancel_share=0.0,
            reject_share=0.0,
            dialects=dialects,
        )
        self.provider: ProviderClient | None = None

    async def __aenter__(self) -> World:
        url = await self.sim.start()
        self.provider = ProviderClient(url, KEY, timeout=5, retries=1, sleep=no_sleep)
        deps = create_deps(
            settings_for(url, **self.settings),
            engine=self.engine,
            provider=self.provider,
            clock=self.clock,
        )

        async def sync() -> None:
            await sync_catalog(deps)

        await open_catalogue(self.engine, self.sim, self.clock, sync)
        service = self.sim.find_service(ServiceType.DEFAULT, refill=True, dripfeed=False)
        async with deps.session_factory() as session, session.begin():
            shop = Shop(session, deps)
            provider = await ProviderRepo(session).by_name("main")
            assert provider is not None
            row = await CatalogRepo(session).by_provider_service_id(
                provider.id, str(service.service_id)
            )
            assert row is not None
            users = []
            for telegram_id, name, language in (
                (ALICE_TG, "Alice", "en"),
                (BORIS_TG, "Boris", "ru"),
            ):
                user, _ = await shop.users.enter(
                    telegram_id, username=name.lower(), first_name=name, language=language
                )
                await shop.wallet.credit(
                    user.id, to_micro(START), LedgerKind.TOPUP, f"test:start:{user.id}"
                )
                users.append(user.id)
        self.sim.calls.clear()
        self.provider.calls.clear()
        return World(deps, self.sim, self.clock, users[0], users[1], service, row.id)

    async def __aexit__(self, *exc: object) -> None:
        if self.provider is not None:
            await self.provider.close()
        await self.sim.stop()
