"""Failover at placement, through two simulated panels over HTTP: on each definite
refusal about the panel the paid order goes to the backup (one debit, one operator
alert, each attempt an order event); never after an unknown outcome; never to a backup
that would sell below cost; never for a refusal about the order itself."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.sandbox.provider import ProviderSimulator
from bot.shop.enums import OrderState
from bot.shop.placement import Outcome
from bot.shop.services import Shop
from bot.shop.shop_settings import OrderingHold
from tests.integration.panels_world import PanelsWorld, panels_world


def _no_funds(sim: ProviderSimulator) -> None:
    sim.balance = Decimal(0)


def _bad_key(sim: ProviderSimulator) -> None:
    sim.faults.update(account_refusal="Invalid API key")


def _ip(sim: ProviderSimulator) -> None:
    sim.faults.update(account_refusal="Your IP is not allowed")


def _service_gone(sim: ProviderSimulator) -> None:
    service = sim.find_service("Default", dripfeed=False)
    sim.remove_service(service.service_id)  # "Incorrect service ID"


REFUSALS: dict[str, tuple[Callable[[ProviderSimulator], None], str, bool]] = {
    "no funds": (_no_funds, "Not enough funds", True),
    "invalid key": (_bad_key, "Invalid API key", True),
    "ip not allowed": (_ip, "IP is not allowed", True),
    "service gone": (_service_gone, "Incorrect service ID", False),
}


async def _hold(world: PanelsWorld, panel: str) -> OrderingHold | None:
    async with world.deps.session_factory() as session:
        return await Shop(session, world.deps).settings.ordering_hold(panel)


@pytest.mark.parametrize("refusal", list(REFUSALS))
async def test_failover_on_each_definite_refusal(engine: AsyncEngine, refusal: str) -> None:
    breaks, words, pauses = REFUSALS[refusal]
    async with panels_world(engine) as world:
        await world.open()
        primary, _spare = await world.map_backup()
        breaks(world.sims["main"])
        start = await world.balance()
        placed = await world.place(primary)
        assert placed.outcome is Outcome.PLACED
        order = placed.order
        assert order.provider_id == world.deps.panels.id_of("backup")
        assert order.service_id == primary  # the customer's service, as bought
        assert world.sims["backup"].orders.keys() == {order.provider_order_id}
        assert await world.debits() == 1 and await world.balance() == start - order.charge
        alerts = await world.operator_texts()
        assert len(alerts) == 1, alerts
        assert "backup panel <code>backup</code>" in alerts[0] and words in alerts[0]
        events = await world.events(order.id)
        assert any(e.startswith("attempt · main: refused") and words in e for e in events)
        assert (await _hold(world, "main") is OrderingHold.PAUSED) is pauses
        # The next order goes straight to the backup while main is paused.
        if pauses:
            again = await world.place(primary)
            assert again.outcome is Outcome.PLACED
            assert again.order.provider_id == world.deps.panels.id_of("backup")
            assert len(await world.operator_texts()) == 2


async def test_failover_when_the_panel_is_unreachable_before_sending(
    engine: AsyncEngine,
) -> None:
    async with panels_world(engine) as world:
        await world.open()
        primary, _spare = await world.map_backup()
        await world.sims["main"].stop()  # connection refused: nothing was sent
        placed = await world.place(primary)
        assert placed.outcome is Outcome.PLACED
        assert placed.order.provider_id == world.deps.panels.id_of("backup")
        assert await world.debits() == 1
        events = await world.events(placed.order.id)
        assert any(e.startswith("attempt · main: unreachable") for e in events)
        assert len(await world.operator_texts()) == 1


async def test_no_failover_after_an_unknown_outcome(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await world.open()
        primary, _spare = await world.map_backup()
        world.sims["main"].faults.update(fail_actions={"add"})  # sent; 500 back
        placed = await world.place(primary)
        assert placed.outcome is Outcome.UNKNOWN
        assert placed.order.state is OrderState.UNKNOWN
        assert world.sims["backup"].calls["add"] == 0
        assert await world.refunds() == []


async def test_no_failover_for_a_refusal_about_the_order(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await world.open()
        primary, _spare = await world.map_backup()
        world.sims["main"].faults.update(reject_duplicate_links=True)
        link = "https://instagram.com/p/same"
        assert (await world.place(primary, link=link)).outcome is Outcome.PLACED
        refused = await world.place(primary, link=link)
        assert refused.outcome is Outcome.REFUSED
        assert world.sims["backup"].calls["add"] == 0
        assert await world.refunds() == [(refused.order.id, refused.order.charge)]


async def test_no_failover_to_a_backup_that_would_sell_below_cost(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await world.open()
        # Twice main's rate at the backup panel's rate of 2: four times the cost.
        primary, _spare = await world.map_backup(price_share=Decimal(2))
        _no_funds(world.sims["main"])
        start = await world.balance()
        failed = await world.place(primary)
        assert failed.outcome is Outcome.REFUSED and failed.lacks_funds
        assert failed.order.state is OrderState.FAILED
        assert world.sims["backup"].calls["add"] == 0
        assert await world.balance() == start  # refunded in full
        alerts = await world.operator_texts()
        assert any("was skipped" in a and "<code>backup</code>" in a for a in alerts), alerts
        assert any("Not enough funds" in a for a in alerts)  # main's pause, announced
        events = await world.events(failed.order.id)
        assert any("backup: would cost more than was paid" in e for e in events)
