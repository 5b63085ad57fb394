"""The integration tests' fixtures: `world`, a shop with the panel simulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.jobs_world import World, make_world


@pytest.fixture
async def world(engine: AsyncEngine) -> AsyncIterator[World]:
    async with make_world(engine) as made:
        yield made
