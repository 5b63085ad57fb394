"""One whole order life per panel dialect, over real HTTP: the bot's own polling loop,
the Telegram emulator and the provider simulator speaking that dialect
(`python -m bot.sandbox.provider --dialect NAME`); the life itself is tests/e2e/life.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.jobs.balance import BalanceWatch
from bot.jobs.refills import RefillPoller
from bot.provider.models import ServiceType
from bot.shop.enums import OrderState
from bot.shop.money import format_amount, to_micro
from tests.e2e.life import LINK, life, plain

# --- one life per dialect ----------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["php-notices", "string-ids", "null-errors", "spellings"])
async def test_an_order_from_placement_to_completion(tmp_path: Path, dialect: str) -> None:
    async with life(tmp_path, dialect) as story:
        order = await story.order(plain(story.sim))
        assert "placed" in story.last() and order.state is OrderState.ACTIVE
        assert story.sim.calls["add"] == 1
        await story.poll(minutes=2)  # started
        assert any("has started" in n for n in story.notices())
        await story.poll(minutes=60)  # done
        done = await story.latest_order()
        assert done.state is OrderState.COMPLETED and done.refunded == 0
        assert any("is completed" in n for n in story.notices())
        assert await story.balance() == to_micro("50") - done.charge


async def test_flat_single_refresh_and_a_start_count_of_zero(tmp_path: Path) -> None:
    async with life(tmp_path, "flat-single") as story:
        order = await story.order(plain(story.sim))
        await story.card(order)
        story.clock.advance(seconds=5)  # Pending: the panel's start count is its default 0
        calls = story.sim.calls["status"]
        await story.tap("Refresh")
        card = story.last()
        assert story.sim.calls["status"] == calls + 1  # one id: the panel answers flat
        assert "Start count" not in card and "— in progress" in card
        story.sim.script(story.panel_order(order), "Completed")
        story.clock.advance(minutes=1)
        await story.tap("Refresh")
        assert "— completed" in story.last() and "Start count:" in story.last()
        assert (await story.latest_order()).state is OrderState.COMPLETED


async def test_no_refill_status_marks_the_refill_untracked(tmp_path: Path) -> None:
    async with life(tmp_path, "no-refill-status") as story:
        order = await story.order(plain(story.sim, refill=True))
        story.sim.script(story.panel_order(order), "Completed")
        await story.poll()
        await story.card(order)
        answer = await story.tap("Refill")
        assert answer and "Refill requested" in answer
        story.clock.advance(minutes=1)
        report = await RefillPoller(story.app.deps).run_cycle()
        assert report.untracked == 1
        await story.deliver()
        await story.card(order)
        assert "not trackable at the panel" in story.last()
        alerts = [a for a in story.operator_alerts() if "refill status" in a]
        assert len(alerts) == 1
        story.clock.advance(minutes=5)
        assert (await RefillPoller(story.app.deps).run_cycle()).due == 0


async def test_partial_cancel_refunds_the_undelivered_share(tmp_path: Path) -> None:
    async with life(tmp_path, "partial-cancel") as story:
        service = plain(story.sim)
        quantity = max(service.min, 1000)
        order = await story.order(service, quantity)
        story.sim.script(story.panel_order(order), "Canceled", remains=quantity * 3 // 10)
        await story.poll()
        settled = await story.latest_order()
        assert settled.state is OrderState.CANCELED
        assert 0 < settled.refunded < settled.charge
        text = next(n for n in story.notices() if "was canceled by the provider" in n)
        assert f"{quantity - quantity * 3 // 10:,} of {quantity:,} had been delivered" in text
        assert format_amount(settled.refunded, "USD") in text
        assert await story.balance() == to_micro("50") - settled.charge + settled.refunded


async def test_subscription_posts_refund_what_was_not_served(tmp_path: Path) -> None:
    async with life(tmp_path, "subscription-posts") as story:
        service = story.sim.find_service(ServiceType.SUBSCRIPTIONS)
        await story.open_service(service)
        await story.say("@natgeo")
        await story.say(str(service.min))
        await story.say(str(service.min))
        await story.say("5")  # posts
        await story.tap("Skip", then="Delay before each post")  # no old posts
        await story.tap("0", then="Until when?")  # no delay
        await story.tap("Skip", then="Check your order")  # no expiry
        await story.tap("Confirm", then="#")
        order = await story.latest_order()
        assert order.state is OrderState.ACTIVE
        story.sim.script(story.panel_order(order), "Expired", posts=2)
        await story.poll()
        settled = await story.latest_order()
        assert settled.state is OrderState.PARTIAL
        assert settled.refunded == (settled.charge * 3 // 5) // 10_000 * 10_000
        assert any("2 of 5 paid posts were served" in n for n in story.notices())
        await story.card(order)
        assert "Posts served: 2 of 5" in story.last() and "Unused posts refunded" in story.last()


async def test_cancel_object_is_a_yes_and_the_refund_follows(tmp_path: Path) -> None:
    async with life(tmp_path, "cancel-object") as story:
        order = await story.order(plain(story.sim, cancel=True))
        await story.card(order)
        await story.tap("Cancel order")
        answer = await story.tap("Yes, cancel")
        assert answer and "Cancellation requested" in answer and "declined" not in answer
        await story.poll()
        settled = await story.latest_order()
        assert settled.state is OrderState.CANCELED and settled.refunded == settled.charge
        assert await story.balance() == to_micro("50")


async def test_an_account_refusal_pauses_ordering_until_the_panel_answers(
    tmp_path: Path,
) -> None:
    async with life(tmp_path) as story:
        service = plain(story.sim)
        story.sim.faults.account_refusal = "Your IP is not allowed"
        await story.order(service)
        told = story.last()
        assert "temporarily unavailable" in told and "back on your balance" in told
        assert await story.balance() == to_micro("50")
        await story.deliver()
        [alert] = story.operator_alerts()
        assert "IP address" in alert and "paused" in alert
        # Next try: refused before paying, the panel is not even asked. The tap on
        # Confirm was answered at once, so the reason comes as a message.
        adds = story.sim.calls["add"]
        await story.open_service(service)
        await story.say(LINK)
        await story.say(str(service.min))
        await story.tap("Confirm", then="temporarily unavailable")
        await story.say("/cancel")  # the form is kept; this customer leaves it
        assert story.sim.calls["add"] == adds and await story.balance() == to_micro("50")
        # The panel takes the shop's calls again: the next balance check lifts the pause.
        story.sim.faults.account_refusal = None
        story.clock.advance(minutes=1)
        assert (await BalanceWatch(story.app.deps).run()).resumed
        await story.deliver()
        assert any("answers the shop's calls normally again" in a for a in story.operator_alerts())
        await story.order(service)
        assert "placed" in story.last()
        assert (await story.latest_order()).state is OrderState.ACTIVE
