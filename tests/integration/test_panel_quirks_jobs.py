"""The background jobs against a misbehaving panel, over HTTP, on SQLite and PostgreSQL:
one regression test per symptom of the panel review that the jobs meet (the customers'
and admins' side is in tests/handlers/test_panel_quirks.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.balance import BalanceWatch
from bot.jobs.catalog import scheduled_sync, sync_catalog
from bot.jobs.orders import StatusPoller
from bot.jobs.refills import RefillPoller
from bot.provider.errors import AccountIssue
from bot.provider.models import RefillStatus, ServiceType
from bot.sandbox.provider.catalog import SimService
from bot.shop.bulk_settlement import ChunkSettlement
from bot.shop.enums import OrderState
from bot.shop.money import round_down
from bot.shop.orders.service import OrderService
from bot.shop.pricing import refund_share
from bot.shop.services import Shop
from bot.shop.shop_settings import ShopSettings
from db.repositories import CatalogRepo, ProviderRepo
from tests.integration.jobs_world import OPERATORS, World, make_world


async def alerts(world: World) -> list[str]:
    return [m.text for m in await world.outbox() if m.chat_id == OPERATORS]


async def customer_texts(world: World) -> list[str]:
    return [m.text for m in await world.outbox() if m.chat_id != OPERATORS]


def panel(world: World, order: Any) -> str:
    return world.panel_id(order)


# --- 2, 3. numbers that cost CPU or do not fit; one bad order never poisons a chunk ------


@pytest.mark.parametrize(
    "raw",
    [
        {"remains": "1e400000"},
        {"start_count": "99999999999999999999"},
        {"charge": "9e999999999"},
        {"remains": 10**30},
        {"start_count": "1²"},
    ],
)
async def test_a_bad_number_is_that_orders_poll_error_and_its_neighbours_settle(
    world: World, raw: dict[str, Any]
) -> None:
    bad, left, right = await world.buy(3)
    paid = (await world.order(left)).charge
    for order_id in (bad, left, right):
        world.sim.script(panel(world, await world.order(order_id)), "Canceled")
    world.sim.override(panel(world, await world.order(bad)), **raw)
    before = await world.balance()

    report = await StatusPoller(world.deps).run_cycle()

    assert report.canceled == 2 and report.bad_replies == 1 and report.failed == 0
    assert (await world.order(left)).state is OrderState.CANCELED
    assert (await world.order(right)).state is OrderState.CANCELED
    kept = await world.row(bad)
    assert kept.state is OrderState.ACTIVE and kept.refunded == 0 and kept.poll_errors == 1
    assert await world.balance() == before + 2 * paid
    # Every cycle the same: the neighbours stay settled once, the bad one waits.
    world.clock.advance(minutes=2)
    again = await StatusPoller(world.deps).run_cycle()
    assert again.bad_replies == 1 and (await world.row(bad)).poll_errors == 2
    assert await world.balance() == before + 2 * paid


async def test_an_order_that_fails_to_settle_rolls_back_alone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, broken, last = await world.buy(3)
    for order_id in (first, broken, last):
        world.sim.script(panel(world, await world.order(order_id)), "Completed")
    real = OrderService.apply_provider_state
    together = ChunkSettlement.finish

    async def refused(self: ChunkSettlement, items: Any, *rest: Any) -> Any:
        # The set-based settlement of the chunk fails as a whole (the broken order's
        # trouble): the poller settles its orders one by one instead.
        await together(self, items, *rest)
        raise RuntimeError("the chunk's statement failed")

    async def flaky(self: OrderService, order_id: int, reply: Any) -> Any:
        change = await real(self, order_id, reply)
        if order_id == broken:
            raise RuntimeError("a deadlock, a bug")
        return change

    monkeypatch.setattr(ChunkSettlement, "finish", refused)
    monkeypatch.setattr(OrderService, "apply_provider_state", flaky)
    report = await StatusPoller(world.deps).run_cycle()
    assert report.completed == 2 and report.failed == 1
    assert (await world.order(first)).state is OrderState.COMPLETED
    assert (await world.order(last)).state is OrderState.COMPLETED
    assert (await world.order(broken)).state is OrderState.ACTIVE  # rolled back alone
    assert len(await customer_texts(world)) == 2  # and its notice with it
    monkeypatch.setattr(OrderService, "apply_provider_state", real)
    monkeypatch.setattr(ChunkSettlement, "finish", together)
    world.clock.advance(minutes=2)
    assert (await StatusPoller(world.deps).run_cycle()).completed == 1


async def test_a_catalogue_entry_out_of_range_is_skipped_not_the_whole_sync(
    world: World,
) -> None:
    service = world.service
    world.sim.change_service(service.service_id, rate="3.10")
    broken = SimService(
        service_id=99002,
        name="Broken",
        type="Default",
        category="Instagram Followers",
        rate=Decimal("1"),
        min=10,
        max=10**20,  # does not fit a BIGINT
    )
    world.sim.set_catalogue([*world.sim.services, broken])
    world.clock.advance(minutes=60)
    report = await sync_catalog(world.deps)
    assert report.refused is None and report.skipped == 1 and report.changed == 1
    async with world.deps.session_factory() as session, session.begin():
        provider = await ProviderRepo(session).by_name("main")
        assert provider is not None
        repo = CatalogRepo(session)
        assert await repo.by_provider_service_id(provider.id, "99002") is None
        row = await repo.by_provider_service_id(provider.id, str(service.service_id))
        assert row is not None and row.rate == 3_100_000


# --- 4. a balance with more than six decimals ----------------------------------------


async def test_a_balance_with_many_decimals_is_recorded_and_lifts_the_pause(
    world: World,
) -> None:
    async with world.deps.session_factory() as session, session.begin():
        await ShopSettings.from_session(session, world.clock).pause_panel(
            "Not enough funds on balance", need=1_000_000
        )
    world.sim.faults.balance_text = "5000.1234567"
    report = await BalanceWatch(world.deps).run()
    assert report.checked and report.resumed and report.balance == Decimal("5000.1234567")
    async with world.deps.session_factory() as session, session.begin():
        provider = await ProviderRepo(session).by_name("main")
        assert provider is not None and provider.balance == 5_000_123_456  # rounded down
        assert await ShopSettings.from_session(session, world.clock).panel_pause() is None


# --- 6. a flat error object for one id ---------------------------------------------------


async def test_a_flat_error_for_one_id_is_never_a_refund(world: World) -> None:
    (order_id,) = await world.buy(1)
    world.sim.faults.flat_status_error = "Too many requests"
    job = StatusPoller(world.deps, error_threshold=3)
    for _ in range(4):
        report = await job.run_cycle()
        assert report.item_errors == 1 and report.canceled == 0
        world.clock.advance(minutes=2)
    row = await world.row(order_id)
    assert row.state is OrderState.ACTIVE and row.refunded == 0 and row.flagged_at is not None
    assert any("Too many requests" in text for text in await alerts(world))


# --- 7. canceled after partial delivery ------------------------------------------------


async def test_canceled_after_partial_delivery_refunds_the_rest(engine: AsyncEngine) -> None:
    async with make_world(engine, dialects=("partial-cancel",)) as world:
        (order_id,) = await world.buy(1, quantity=1000)
        paid = (await world.order(order_id)).charge
        world.sim.script(panel(world, await world.order(order_id)), "Canceled", remains=300)
        assert world.sim.view(panel(world, await world.order(order_id))).charge > 0
        report = await StatusPoller(world.deps).run_cycle()
        order = await world.order(order_id)
        assert report.canceled == 1 and order.state is OrderState.CANCELED
        assert order.refunded == refund_share(paid, 300, 1000, "USD") < paid
        [text] = await customer_texts(world)
        assert "700 of 1,000 had been delivered" in text


# --- 8. subscriptions settle, with the unserved posts' share back -------------------------


async def _buy_subscription(world: World, posts: int = 5) -> int:
    service = world.sim.find_service(ServiceType.SUBSCRIPTIONS)
    async with world.deps.session_factory() as session, session.begin():
        provider = await ProviderRepo(session).by_name("main")
        assert provider is not None
        row = await CatalogRepo(session).by_provider_service_id(
            provider.id, str(service.service_id)
        )
        assert row is not None
        shop = Shop(session, world.deps)
        fields = {
            "username": "natgeo",
            "min": service.min,
            "max": service.min,
            "posts": posts,
            "delay": 0,
        }
        draft = await shop.orders.quote(world.alice, row.id, fields)
        order = (await shop.orders.checkout(draft)).order
        reply = world.sim.api.handle("add", dict(draft.form), world.sim.faults)
        await shop.orders.mark_active(order.id, str(reply["order"]))
        return order.id


@pytest.mark.parametrize("status", ["Expired", "Completed"])
async def test_a_subscription_that_ends_early_refunds_the_unserved_posts(
    engine: AsyncEngine, status: str
) -> None:
    async with make_world(engine, dialects=("subscription-posts",)) as world:
        order_id = await _buy_subscription(world, posts=5)
        paid = (await world.order(order_id)).charge
        world.clock.advance(minutes=3)
        await StatusPoller(world.deps).run_cycle()  # Active, 1 post served so far
        assert (await world.order(order_id)).state is OrderState.ACTIVE
        world.sim.script(panel(world, await world.order(order_id)), status, posts=2)
        world.clock.advance(minutes=2)
        report = await StatusPoller(world.deps).run_cycle()
        order = await world.order(order_id)
        assert report.partial == 1 and order.state is OrderState.PARTIAL
        assert order.refunded == round_down(paid * 3 // 5, "USD")
        texts = await customer_texts(world)
        assert any("2 of 5 paid posts were served" in t for t in texts)
        # Settled: not polled any more.
        world.clock.advance(minutes=2)
        assert (await StatusPoller(world.deps).run_cycle()).due == 0


# --- 10. a refused account is no "panel down" --------------------------------------------


async def test_status_calls_refused_for_the_key_pause_ordering_not_alert_down(
    world: World,
) -> None:
    await world.buy(2)
    world.sim.faults.account_refusal = "Invalid API key"
    job = StatusPoller(world.deps, alert_after=2)
    for _ in range(4):
        await job.run_cycle()
        world.clock.advance(hours=1)
    texts = await alerts(world)
    assert len(texts) == 1 and "API key" in texts[0]
    assert not any("not been answering" in t for t in texts)
    async with world.deps.session_factory() as session, session.begin():
        pause = await ShopSettings.from_session(session, world.clock).panel_pause()
    assert pause is not None and pause.cause is AccountIssue.INVALID_KEY
    world.sim.faults.account_refusal = None
    assert (await BalanceWatch(world.deps).run()).resumed


# --- 12. a panel without refill_status --------------------------------------------------


async def test_refills_of_a_panel_without_refill_status_are_untracked_once(
    engine: AsyncEngine,
) -> None:
    async with make_world(engine, dialects=("no-refill-status",)) as world:
        first, second = await world.buy(2)
        for order_id in (first, second):
            world.sim.script(panel(world, await world.order(order_id)), "Completed")
        await StatusPoller(world.deps).run_cycle()

        async def refill(order_id: int) -> None:
            async with world.deps.session_factory() as session:
                await Shop(session, world.deps).tracking.refill(world.alice, order_id)

        await refill(first)
        job = RefillPoller(world.deps)
        report = await job.run_cycle()
        assert report.untracked == 1 and report.unavailable is None
        calls = world.sim.calls["refill_status"]
        world.clock.advance(minutes=5)
        assert (await job.run_cycle()).due == 0  # never asked again
        assert world.sim.calls["refill_status"] == calls

        await refill(second)
        world.clock.advance(minutes=5)
        assert (await job.run_cycle()).untracked == 1
        texts = [t for t in await alerts(world) if "refill status" in t]
        assert len(texts) == 1 and "not trackable at the panel" in texts[0]
        async with world.deps.session_factory() as session:
            view = await Shop(session, world.deps).tracking.view(world.alice, first)
        assert view.refills[-1].status == RefillStatus.UNTRACKED.value
        assert view.can_refill  # the Refill button is back, not hidden for good


# --- 14. an empty list at start-up hides nothing ----------------------------------------


async def test_an_empty_or_unreadable_list_never_hides_the_catalogue(world: World) -> None:
    async with world.deps.session_factory() as session:
        visible = len(await Shop(session, world.deps).catalog.platforms())
    world.sim.faults.empty_catalogue_object = True
    world.clock.advance(minutes=60)
    first = await scheduled_sync(world.deps)  # what start-up and the schedule run
    assert first is not None and first.refused and first.removed == 0
    world.clock.advance(minutes=60)
    assert (await sync_catalog(world.deps)).refused  # what /sync runs
    async with world.deps.session_factory() as session:
        shop = Shop(session, world.deps)
        assert len(await shop.catalog.platforms()) == visible
        assert (await shop.catalog.card(world.service_id)).name == world.service.name
    assert len([t for t in await alerts(world) if "service list was not used" in t]) == 1

    world.sim.faults.empty_catalogue_object = False
    world.sim.set_catalogue([])  # a bare [] is no better
    world.clock.advance(minutes=60)
    assert (await sync_catalog(world.deps)).refused
    world.sim.set_catalogue(
        [SimService(1, "Only", "Default", "Instagram Followers", Decimal("1"), 10, 100)]
    )
    assert (await sync_catalog(world.deps)).refused is None
