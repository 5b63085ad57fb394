"""Placement safety end to end, over real HTTP (tests/e2e/life.py): the panel hands out
an order id another order holds already, and the panel stops answering. The customer
orders through the chat each time; afterwards the ledger adds up to the balances."""

from __future__ import annotations

from pathlib import Path

from bot.jobs.balance import BalanceWatch
from bot.jobs.orders import StatusPoller
from bot.shop.enums import OrderState
from bot.shop.money import to_micro
from tests.e2e.life import LINK, life, plain


async def test_a_panel_order_id_given_twice_makes_the_second_order_unknown(
    tmp_path: Path,
) -> None:
    async with life(tmp_path) as story:
        service = plain(story.sim)
        first = await story.order(service)
        assert first.state is OrderState.ACTIVE
        story.sim.renumber(int(story.panel_order(first)))  # the panel reset its numbering
        second = await story.order(service)
        assert second.id != first.id and second.state is OrderState.UNKNOWN
        assert f"Order #{second.id} was sent" in story.last()
        await story.deliver()
        alerts = [a for a in story.operator_alerts() if "holds that panel order id" in a]
        assert len(alerts) == 1
        assert f"order #{second.id}" in alerts[0] and f"our order #{first.id}" in alerts[0]
        # Charged and kept for an admin (the panel may have it), never left submitting.
        assert await story.balance() == to_micro("50") - first.charge - second.charge
        story.clock.advance(minutes=30)
        assert await StatusPoller(story.app.deps).recover_submitting() == []
        await story.books_balance()


async def test_checkout_waits_while_the_panel_is_down_and_resumes_by_itself(
    tmp_path: Path,
) -> None:
    async with life(tmp_path) as story:
        service = plain(story.sim)
        await story.order(service)
        balance = await story.balance()
        story.sim.faults.http_5xx = True
        poller = StatusPoller(story.app.deps)
        for _ in range(8):  # through the growing pauses, until operators are told
            story.clock.advance(minutes=40)
            await poller.run_cycle()
        await story.deliver()
        assert [a for a in story.operator_alerts() if "has not been answering" in a]
        adds = story.sim.calls["add"]
        await story.open_service(service)
        await story.say(LINK)
        await story.say(str(service.min))
        await story.tap("Confirm", then="temporarily unavailable")
        assert "Nothing was charged" in story.last()
        assert story.sim.calls["add"] == adds and await story.balance() == balance
        # The panel answers again: the next balance check ends the outage.
        story.sim.faults.http_5xx = False
        story.clock.advance(minutes=1)
        assert (await BalanceWatch(story.app.deps).run()).back
        await story.deliver()
        assert any("The panel answers again" in a for a in story.operator_alerts())
        await story.tap("Confirm", then="placed")
        assert (await story.latest_order()).state is OrderState.ACTIVE
        assert story.sim.calls["add"] == adds + 1
        await story.books_balance()
