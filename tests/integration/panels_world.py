"""Two panels (two provider simulators over real HTTP) behind one shop, on a FakeClock:
`main` and `backup`, with their own keys, catalogues and currency rates. The registry is
built by hand (as bot/factory.py would from PROVIDERS), the rows registered as at
start-up. Shared by the several-panels tests (no test module imports another)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.config import Config
from bot.deps import Deps
from bot.factory import create_deps
from bot.jobs.catalog import sync_all, sync_catalog
from bot.panels_setup import register_panels
from bot.provider.client import ProviderClient
from bot.provider.models import ServiceType
from bot.provider.panels import MAIN_PANEL, Panel, PanelRegistry
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.provider.catalog import SimService
from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.orders.models import OrderDTO
from bot.shop.placement import Placement
from bot.shop.services import Shop
from db.models import LedgerEntry, OutboxMessage
from db.repositories.backups import BackupRepo
from db.repositories.catalog import CatalogRepo
from db.repositories.orders import OrderRepo
from db.repositories.providers import ProviderRepo
from db.repositories.users import UserRepo

OPERATORS = -100888
ALICE = 2001
START = "100000"
KEYS = {"main": "main-panel-secret-key-1", "backup": "backup-panel-secret-key-2"}
SEEDS = {"main": 7, "backup": 11}
RATES = {"main": Decimal(1), "backup": Decimal(2)}


async def no_sleep(_: float) -> None:
    return None


@dataclass
class PanelsWorld:
    deps: Deps
    clock: FakeClock
    sims: dict[str, ProviderSimulator]
    clients: dict[str, ProviderClient] = field(default_factory=dict)
    alice: int = 0  # her shop user id, after open()
    _links: int = 0

    async def open(self) -> None:
        """As at start-up: rows and ids, both catalogues; Alice with START to spend."""
        await register_panels(self.deps)
        await sync_all(self.deps)
        async with self.deps.session_factory() as session, session.begin():
            shop = Shop(session, self.deps)
            user, _ = await shop.users.enter(
                ALICE, username="alice", first_name="Alice", language="en"
            )
            await shop.wallet.credit(
                user.id, to_micro(START), LedgerKind.TOPUP, f"test:start:{user.id}"
            )
            self.alice = user.id

    async def service_id(self, panel: str, sim_service: SimService | None = None) -> int:
        """The shop id of a panel's service (a plain Default one unless given)."""
        service = sim_service or self.plain(panel)
        async with self.deps.session_factory() as session, session.begin():
            provider = await ProviderRepo(session).by_name(panel)
            assert provider is not None
            row = await CatalogRepo(session).by_provider_service_id(
                provider.id, str(service.service_id)
            )
            assert row is not None
            return row.id

    def plain(self, panel: str) -> SimService:
        return self.sims[panel].find_service(ServiceType.DEFAULT, dripfeed=False)

    async def place(
        self, service_id: int, *, quantity: int | None = None, link: str | None = None
    ) -> Placement:
        """A customer's confirmed order, through the real placement."""
        self._links += 1
        async with self.deps.session_factory() as session:
            shop = Shop(session, self.deps)
            async with session.begin():
                row = await CatalogRepo(session).get(service_id)
                assert row is not None
            draft = await shop.orders.quote(
                self.alice,
                service_id,
                {
                    "link": link or f"https://instagram.com/p/panels-{self._links}",
                    "quantity": quantity or max(row.min, 100),
                },
            )
            return await shop.placement.place(draft)

    async def map_backup(self, *, price_share: Decimal = Decimal("0.5")) -> tuple[int, int]:
        """(service, backup) shop ids: main's plain service backed by one of the backup
        panel's, given main's limits and `price_share` of its rate (in the backup panel's
        currency: at its rate of 2, 0.5 costs the shop the same)."""
        main = self.plain(MAIN_PANEL)
        backup = self.sims["backup"]
        theirs = backup.change_service(
            self.plain("backup").service_id,
            rate=(main.rate * price_share).quantize(Decimal("0.0001")),
            min=main.min,
            max=main.max,
        )
        self.clock.advance(1)
        await sync_catalog(self.deps, provider_name="backup")
        primary = await self.service_id(MAIN_PANEL, main)
        spare = await self.service_id("backup", theirs)
        async with self.deps.session_factory() as session, session.begin():
            await BackupRepo(session).add(primary, spare, actor_id=None, now=self.clock.now())
        return primary, spare

    async def events(self, order_id: int) -> list[str]:
        async with self.deps.session_factory() as session, session.begin():
            return [e.note or "" for e in await OrderRepo(session).events(order_id)]

    async def debits(self) -> int:
        async with self.deps.session_factory() as session, session.begin():
            rows = await session.scalars(
                select(LedgerEntry.id).where(LedgerEntry.kind == LedgerKind.CHARGE)
            )
            return len(list(rows))

    async def order(self, order_id: int) -> OrderDTO:
        async with self.deps.session_factory() as session:
            return await Shop(session, self.deps).orders.get(order_id)

    async def balance(self) -> int:
        async with self.deps.session_factory() as session, session.begin():
            return await UserRepo(session).balance(self.alice) or 0

    async def refunds(self) -> list[tuple[int | None, int]]:
        async with self.deps.session_factory() as session, session.begin():
            rows = await session.execute(
                select(LedgerEntry.order_id, LedgerEntry.amount)
                .where(LedgerEntry.kind == LedgerKind.REFUND)
                .order_by(LedgerEntry.id)
            )
            return [(r[0], r[1]) for r in rows]

    async def operator_texts(self) -> list[str]:
        async with self.deps.session_factory() as session, session.begin():
            rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            return [m.text for m in rows if m.chat_id == OPERATORS]


def panels_settings(main_url: str, **overrides: Any) -> Config:
    values: dict[str, Any] = {
        "bot_token": "42:TEST",
        "provider_url": main_url,
        "provider_key": KEYS[MAIN_PANEL],
        "operator_chat_id": OPERATORS,
        "markup_percent": Decimal(30),
        "_env_file": None,
    }
    values.update(overrides)
    return Config(**values)


@asynccontextmanager
async def panels_world(
    engine: AsyncEngine,
    *,
    names: tuple[str, ...] = ("main", "backup"),
    sims: dict[str, ProviderSimulator] | None = None,
    **settings: Any,
) -> AsyncIterator[PanelsWorld]:
    clock = FakeClock()
    made = dict(sims or {})
    for name in names:
        made.setdefault(
            name,
            ProviderSimulator(
                key=KEYS.get(name, f"{name}-panel-secret-key"),
                clock=clock,
                seed=SEEDS.get(name, 5),
                balance=Decimal("1000000"),
                partial_share=0.0,
                cancel_share=0.0,
                reject_share=0.0,
            ),
        )
    urls = {name: await sim.start() for name, sim in made.items()}
    clients = {
        name: ProviderClient(
            urls[name],
            sim.key,
            timeout=5,
            add_timeout=5,
            retries=1,
            sleep=no_sleep,
        )
        for name, sim in made.items()
    }
    registry = PanelRegistry(
        Panel(name, urls[name], clients[name], RATES.get(name, Decimal(1)), 5.0) for name in made
    )
    deps = create_deps(
        panels_settings(urls[MAIN_PANEL], **settings), engine=engine, clock=clock, panels=registry
    )
    try:
        yield PanelsWorld(deps, clock, made, clients)
    finally:
        await registry.close()
        for client in clients.values():
            await client.close()
        await deps.close()
        for sim in made.values():
            await sim.stop()
