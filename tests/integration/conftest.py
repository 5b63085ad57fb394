"""The integration tests' fixtures: `world`, a shop with the panel simulator over HTTP,
and `shop`, an order book on the test database without a panel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from tests.integration.jobs_world import World, make_world
from tests.integration.orders_world import Factory, Shop, open_shop


@pytest.fixture
async def world(engine: AsyncEngine) -> AsyncIterator[World]:
    async with make_world(engine) as made:
        yield made


@pytest.fixture
async def shop(session_factory: Factory, clock: FakeClock) -> Shop:
    return await open_shop(session_factory, clock)
