"""The panel's balance: alerts when it runs low, and the pause while it cannot take orders
(customers are refused before paying, never charged and refused)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.balance import BalanceWatch
from bot.shop.enums import OrderState
from bot.shop.errors import ProviderPaused
from bot.shop.placement import Outcome, Placement
from bot.shop.services import Shop
from bot.shop.shop_settings import ShopSettings
from db.repositories import ProviderRepo
from tests.integration.jobs_world import OPERATORS, World, make_world


@pytest.fixture
async def world(engine: AsyncEngine) -> Any:
    async with make_world(engine, provider_balance_alert=Decimal("50")) as made:
        yield made


async def alerts(world: World) -> list[str]:
    return [m.text for m in await world.outbox() if m.chat_id == OPERATORS]


async def place(world: World, quantity: int = 1000) -> Placement:
    async with world.deps.session_factory() as session:
        shop = Shop(session, world.deps)
        draft = await shop.orders.quote(
            world.alice,
            world.service_id,
            {"link": "https://instagram.com/p/b", "quantity": quantity},
        )
        return await shop.placement.place(draft)


async def test_low_balance_is_alerted_once_and_its_recovery_once(world: World) -> None:
    watch = BalanceWatch(world.deps)
    report = await watch.run()
    assert report.checked and report.balance == Decimal("1000000") and not report.low
    async with world.deps.session_factory() as session, session.begin():
        provider = await ProviderRepo(session).by_name("main")
        assert provider is not None and provider.balance == 1_000_000 * 10**6
        assert provider.balance_checked_at == world.clock.now()

    world.sim.balance = Decimal("12.5")
    world.clock.advance(minutes=5)
    assert not (await watch.run()).checked  # asked every 10 minutes
    world.clock.advance(minutes=5)
    assert (await watch.run()).low
    world.clock.advance(minutes=10)
    assert (await watch.run()).low
    texts = await alerts(world)
    assert len(texts) == 1 and "12.50 USD" in texts[0] and "50.00 USD" in texts[0]

    world.sim.balance = Decimal("500")
    world.clock.advance(minutes=10)
    assert not (await watch.run()).low
    world.clock.advance(minutes=10)
    await watch.run()
    texts = await alerts(world)
    assert len(texts) == 2 and "500.00 USD" in texts[1]


async def test_lack_of_funds_pauses_ordering_until_the_panel_is_topped_up(world: World) -> None:
    world.sim.balance = Decimal("0.5")
    start = await world.balance()

    refused = await place(world)
    assert refused.outcome is Outcome.REFUSED and refused.lacks_funds
    assert refused.order.state is OrderState.FAILED
    assert await world.balance() == start  # charged and refunded in full
    async with world.deps.session_factory() as session, session.begin():
        pause = await ShopSettings.from_session(session, world.clock).panel_pause()
    # Operators hear of it at once, in the same transaction: one alert naming the cause.
    assert pause is not None and pause.need == refused.order.cost and pause.announced
    assert [t for t in await alerts(world) if "lack of funds" in t]

    # While paused nobody is charged, and the panel is not even asked.
    adds = world.sim.calls["add"]
    with pytest.raises(ProviderPaused):
        await place(world)
    assert await world.balance() == start and world.sim.calls["add"] == adds

    watch = BalanceWatch(world.deps)
    first = await watch.run()
    assert first.paused and first.checked and not first.resumed
    world.clock.advance(minutes=1)
    await watch.run()  # still too little: still paused, not announced again
    texts = await alerts(world)
    paused_alerts = [t for t in texts if "lack of funds" in t]
    assert len(paused_alerts) == 1

    world.sim.balance = Decimal("1.00")  # more than 0.5, still less than the order's cost
    world.clock.advance(minutes=1)
    assert not (await watch.run()).resumed

    world.sim.balance = Decimal("300")
    world.clock.advance(minutes=1)
    report = await watch.run()
    assert report.resumed and not report.paused
    assert any("taken again" in t for t in await alerts(world))
    placed = await place(world)
    assert placed.outcome is Outcome.PLACED
