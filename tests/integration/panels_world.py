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
from bot.provider.client import ProviderClient
from bot.provider.panels import MAIN_PANEL, Panel, PanelRegistry
from bot.sandbox.provider import ProviderSimulator
from db.models import OutboxMessage

OPERATORS = -100888
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
