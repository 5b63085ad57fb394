"""Per-panel life with two panels over HTTP: orders keep their panel for life; each
panel's status polling, outage, pause and balance watch are its own."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.balance import BalanceWatch
from bot.jobs.orders import StatusPoller
from bot.shop.enums import OrderState
from bot.shop.errors import ProviderDown, ProviderPaused
from bot.shop.placement import Outcome
from bot.shop.services import Shop
from bot.shop.shop_settings import OrderingHold
from tests.integration.panels_world import PanelsWorld, panels_world


async def _hold(world: PanelsWorld, panel: str) -> OrderingHold | None:
    async with world.deps.session_factory() as session:
        return await Shop(session, world.deps).settings.ordering_hold(panel)


async def test_orders_keep_their_panel_and_settle_there(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await world.open()
        at_main = await world.place(await world.service_id("main"))
        at_backup = await world.place(await world.service_id("backup"))
        assert (at_main.outcome, at_backup.outcome) == (Outcome.PLACED, Outcome.PLACED)
        assert at_main.order.provider_id == world.deps.panels.id_of("main")
        assert at_backup.order.provider_id == world.deps.panels.id_of("backup")
        assert len(world.sims["main"].orders) == 1 and len(world.sims["backup"].orders) == 1
        assert world.sims["backup"].orders.keys() == {at_backup.order.provider_order_id}

        world.sims["main"].script(at_main.order.provider_order_id or "", "Completed")
        world.sims["backup"].script(at_backup.order.provider_order_id or "", "Canceled")
        main_poll = StatusPoller(world.deps, panel="main")
        backup_poll = StatusPoller(world.deps, panel="backup")
        reports = await asyncio.gather(main_poll.run_cycle(), backup_poll.run_cycle())
        assert [(r.due, r.completed, r.canceled) for r in reports] == [(1, 1, 0), (1, 0, 1)]
        assert (await world.order(at_main.order.id)).state is OrderState.COMPLETED
        canceled = await world.order(at_backup.order.id)
        assert canceled.state is OrderState.CANCELED
        assert await world.refunds() == [(canceled.id, canceled.charge)]
        # Each panel was asked about its own order only.
        assert world.sims["main"].calls["status"] == 1
        assert world.sims["backup"].calls["status"] == 1


async def test_one_panel_down_neither_slows_nor_stops_the_other(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await world.open()
        at_main = await world.place(await world.service_id("main"))
        at_backup = await world.place(await world.service_id("backup"))
        backup = world.sims["backup"]
        backup.faults.update(hang=True)
        backup_poll = StatusPoller(world.deps, panel="backup", alert_after=2)
        main_poll = StatusPoller(world.deps, panel="main")
        stuck = asyncio.create_task(backup_poll.run_cycle())
        await asyncio.sleep(0)
        world.sims["main"].script(at_main.order.provider_order_id or "", "Partial", remains=50)
        report = await main_poll.run_cycle()  # done while the backup panel hangs
        assert report.partial == 1 and not stuck.done()
        partial = await world.order(at_main.order.id)
        assert partial.state is OrderState.PARTIAL and partial.refunded > 0
        stuck.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stuck

        backup.faults.update(hang=False, fail_actions={"status"})
        for _ in range(3):
            await backup_poll.run_cycle()
            world.clock.advance(3600)
        alerts = await world.operator_texts()
        assert len(alerts) == 1 and "<code>backup</code>" in alerts[0]
        assert await _hold(world, "backup") is OrderingHold.DOWN
        assert await _hold(world, "main") is None
        # Its order is kept as it was, never refunded because the panel is down.
        assert (await world.order(at_backup.order.id)).state is OrderState.ACTIVE
        assert [order_id for order_id, _ in await world.refunds()] == [at_main.order.id]
        with pytest.raises(ProviderDown):
            await world.place(await world.service_id("backup"))
        assert (await world.place(await world.service_id("main"))).outcome is Outcome.PLACED

        backup.faults.update(fail_actions=set())
        await backup_poll.run_cycle()
        assert await _hold(world, "backup") is None
        assert len(await world.operator_texts()) == 2


async def test_pause_and_resume_are_per_panel(engine: AsyncEngine) -> None:
    async with panels_world(engine, provider_balance_alert=Decimal(5)) as world:
        await world.open()
        backup = world.sims["backup"]
        backup.balance = Decimal(0)
        before = await world.balance()
        refused = await world.place(await world.service_id("backup"))
        assert refused.outcome is Outcome.REFUSED and refused.lacks_funds
        assert await world.balance() == before  # refunded in full
        assert await _hold(world, "backup") is OrderingHold.PAUSED
        assert await _hold(world, "main") is None
        with pytest.raises(ProviderPaused):
            await world.place(await world.service_id("backup"))
        placed = await world.place(await world.service_id("main"))
        assert placed.outcome is Outcome.PLACED

        main_watch = BalanceWatch(world.deps, provider_name="main")
        backup_watch = BalanceWatch(world.deps, provider_name="backup")
        assert (await main_watch.run()).paused is False
        still = await backup_watch.run()
        assert still.paused and not still.resumed and still.low
        backup.balance = Decimal(1000)
        resumed = await backup_watch.run()
        assert resumed.resumed and not resumed.low
        assert await _hold(world, "backup") is None
        texts = await world.operator_texts()
        assert all("<code>backup</code>" in text for text in texts), texts
        assert (await world.place(await world.service_id("backup"))).outcome is Outcome.PLACED


async def test_a_customers_refresh_and_cancel_ask_the_orders_panel(engine: AsyncEngine) -> None:
    async with panels_world(engine) as world:
        await world.open()
        backup = world.sims["backup"]
        cancellable = backup.find_service(cancel=True, dripfeed=False)
        placed = await world.place(
            await world.service_id("backup", cancellable), quantity=cancellable.max
        )
        world.clock.advance(31)
        main_calls = dict(world.sims["main"].calls)
        async with world.deps.session_factory() as session:
            tracking = Shop(session, world.deps).tracking
            view, wait = await tracking.refresh(world.alice, placed.order.id)
            assert wait == 0 and view.order.state is OrderState.ACTIVE
            await tracking.cancel(world.alice, placed.order.id)
        assert backup.calls["status"] == 1 and backup.calls["cancel"] == 1
        assert dict(world.sims["main"].calls) == main_calls
