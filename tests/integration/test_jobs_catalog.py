"""Catalogue sync as the scheduler and `/sync` run it: new services appear, changes land,
services gone from the panel are hidden, orders keep their snapshot, and the customer
pays the price current when they confirm."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from bot.jobs.catalog import scheduled_sync, sync_catalog
from bot.provider.errors import ProviderUnavailable
from bot.sandbox.provider.catalog import SimService
from bot.shop.enums import OrderState
from bot.shop.errors import PriceChanged, ServiceUnavailable
from bot.shop.money import to_micro
from bot.shop.services import Shop
from db.repositories import CatalogRepo, ProviderRepo
from tests.integration.jobs_world import World


async def shop_row(world: World, provider_service_id: int) -> object:
    async with world.deps.session_factory() as session, session.begin():
        provider = await ProviderRepo(session).by_name("main")
        assert provider is not None
        return await CatalogRepo(session).by_provider_service_id(
            provider.id, str(provider_service_id)
        )


async def test_sync_adds_updates_and_hides(world: World) -> None:
    service = world.service
    (order_id,) = await world.buy(1)
    gone = world.sim.find_service(category="Instagram Likes")
    new = SimService(
        service_id=99001,
        name="Brand new followers",
        type="Default",
        category="Instagram Followers",
        rate=Decimal("0.75"),
        min=10,
        max=5000,
        refill=True,
    )
    world.sim.set_catalogue([*world.sim.services, new])
    world.sim.change_service(service.service_id, rate="3.10", min=100, max=9000, cancel=False)
    world.sim.remove_service(gone.service_id)
    world.clock.advance(minutes=60)

    report = await sync_catalog(world.deps)

    assert (report.added, report.changed, report.removed) == (1, 1, 1)
    changed = await shop_row(world, service.service_id)
    assert changed is not None
    assert (changed.rate, changed.min, changed.max, changed.cancel) == (  # type: ignore[attr-defined]
        to_micro("3.10"),
        100,
        9000,
        False,
    )
    added = await shop_row(world, 99001)
    assert added is not None and added.removed_at is None  # type: ignore[attr-defined]
    hidden = await shop_row(world, gone.service_id)
    assert hidden is not None and hidden.removed_at is not None  # type: ignore[attr-defined]
    async with world.deps.session_factory() as session:
        shop = Shop(session, world.deps)
        with pytest.raises(ServiceUnavailable):
            await shop.catalog.card(hidden.id)  # type: ignore[attr-defined]
        card = await shop.catalog.card(added.id)  # type: ignore[attr-defined]
        assert card.name == "Brand new followers"
    # The order bought before keeps what it was bought with.
    order = await world.order(order_id)
    assert order.service_name == service.name and order.state is OrderState.ACTIVE
    assert (await world.row(order_id)).rate == to_micro(service.rate)


async def test_the_customer_pays_the_price_current_at_confirmation(world: World) -> None:
    fields = {"link": "https://instagram.com/p/price", "quantity": 1000}
    async with world.deps.session_factory() as session, session.begin():
        draft = await Shop(session, world.deps).orders.quote(world.alice, world.service_id, fields)
    world.sim.change_service(world.service.service_id, rate=world.service.rate * 2)
    world.clock.advance(minutes=60)
    await sync_catalog(world.deps)

    balance = await world.balance()
    async with world.deps.session_factory() as session, session.begin():
        with pytest.raises(PriceChanged) as changed:
            await Shop(session, world.deps).orders.checkout(draft)
    assert changed.value.quoted == draft.charge and changed.value.current > draft.charge
    assert await world.balance() == balance  # nothing was charged

    async with world.deps.session_factory() as session, session.begin():
        shop = Shop(session, world.deps)
        fresh = await shop.orders.quote(world.alice, world.service_id, fields)
        placed = await shop.orders.checkout(replace(fresh))
    assert placed.order.charge == changed.value.current
    assert await world.balance() == balance - changed.value.current


async def test_a_panel_that_is_down_or_lists_nothing_changes_nothing(world: World) -> None:
    before = await shop_row(world, world.service.service_id)
    world.sim.faults.http_5xx = True
    with pytest.raises(ProviderUnavailable):
        await sync_catalog(world.deps)  # what /sync shows the admin
    assert await scheduled_sync(world.deps) is None  # the job only logs it

    world.sim.faults.http_5xx = False
    world.sim.faults.empty_catalogue_object = True
    world.clock.advance(minutes=60)
    report = await sync_catalog(world.deps)
    assert report.total == 0 and report.removed == 0
    after = await shop_row(world, world.service.service_id)
    assert after is not None and after.removed_at is None  # type: ignore[attr-defined]
    assert after.rate == before.rate  # type: ignore[attr-defined]
