"""`make demo` stopped and started again on one data folder, with orders in between, over
real HTTP: the demo runner itself (simulated panel at the demo's clock, Telegram emulator,
the bot polling with its jobs). Old orders keep moving at the panel, new ones get fresh
ids, and a lost panel state still never gives an id the shop holds."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.clock import FakeClock
from bot.config import Config
from bot.sandbox.demo import PANEL_STATE_FILE, Demo, banner, demo_running, run_demo
from bot.sandbox.demo_seed import ALICE, CAROL
from bot.sandbox.telegram import OPERATORS_CHAT_ID
from bot.shop.enums import OrderState
from bot.shop.services import Shop
from db.models import Order
from tests.e2e.life import Life, plain
from tests.e2e.live import free_port, wait_until

CLASH = "holds that panel order id"
# Order 23501's drawn life at the demo's clock (x20): Pending ~2.6 s, Completed at ~6 s.
FINISH_WAIT = 30.0
STARTUP_WAIT = 60.0  # a loaded two-core machine


def demo_config() -> Config:
    return Config(
        bot_token=SecretStr("1:unused"),  # the demo brings its own
        demo_port=free_port(),
        demo_provider_port=0,
        poll_interval_seconds=5,
        throttle_rate_per_second=1000,
        throttle_burst=1000,
        _env_file=None,  # type: ignore[call-arg]
    )


def customer(demo: Demo) -> Life:
    # The demo's own jobs poll and deliver; the story's clock is never used here.
    return Life(demo.app, demo.emulator, demo.simulator, FakeClock())


async def order_of(demo: Demo, order_id: int) -> Order:
    async with demo.app.deps.session_factory() as session, session.begin():
        row = await session.get(Order, order_id)
        assert row is not None
        return row


def clash_alerts(demo: Demo) -> list[str]:
    return [
        m.text or ""
        for m in demo.emulator.bot_messages(OPERATORS_CHAT_ID)
        if CLASH in (m.text or "")
    ]


async def test_the_demo_carries_on_after_restarts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    config = demo_config()

    # First run: Alice orders; the demo stops while the panel still works on it.
    async with demo_running(config, data_dir=tmp_path) as demo:
        story = customer(demo)
        assert "Hi, Alice" in await story.say("/start")
        service = plain(demo.simulator)
        first = await story.order(service)
        assert first.state is OrderState.ACTIVE and first.provider_order_id == "23501"
        assert not demo.simulator.view("23501").finished
        # What the demo shows from the start: the referral and the promo codes.
        assert "You invited 1 person." in await story.say("/referral")
        assert "has been used up" in await story.say("/promo LAUNCH")
        assert "has expired" in await story.say("/promo SPRING")
    saved = json.loads((tmp_path / PANEL_STATE_FILE).read_text())
    assert [o["order_id"] for o in saved["orders"]] == [23501]
    assert saved["next_order_id"] == 23502

    # Second run: the old order moves on to its end; a new one gets the next id.
    caplog.clear()
    async with demo_running(config, data_dir=tmp_path) as demo:
        assert "(orders: 1, refills: 0); next order id 23502" in caplog.text
        assert demo.provider_url in banner(demo) and "/sandbox/faults" in banner(demo)
        story = customer(demo)

        async def first_finished() -> bool:
            return (await order_of(demo, first.id)).state.finished

        await wait_until(first_finished, FINISH_WAIT, "the first run's order to finish")
        assert (await order_of(demo, first.id)).state is OrderState.COMPLETED
        await wait_until(
            lambda: any(f"#{first.id}" in t for t in story.notices()), 10, "the notice"
        )
        second = await story.order(service)
        assert second.state is OrderState.ACTIVE and second.provider_order_id == "23502"
        assert clash_alerts(demo) == []
        await story.books_balance()

    # The panel's state is lost: it starts fresh, numbered past every id the shop holds.
    (tmp_path / PANEL_STATE_FILE).write_text("{ not json")
    caplog.clear()
    async with demo_running(config, data_dir=tmp_path) as demo:
        fresh = [r.getMessage() for r in caplog.records if "starting fresh" in r.getMessage()]
        assert len(fresh) == 1 and "order ids from 23503" in fresh[0], fresh
        third = await customer(demo).order(service)
        assert third.state is OrderState.ACTIVE and third.provider_order_id == "23503"
        assert clash_alerts(demo) == []
        # Seeding added nothing twice across the three starts.
        async with demo.app.deps.session_factory() as session:
            shop = Shop(session, demo.app.deps)
            alice = await shop.users.find(ALICE)
            carol = await shop.users.find(CAROL.user_id)
            assert alice is not None and carol is not None and carol.referrer_id == alice.id
            assert (await shop.referrals.stats(alice.id)).invited == 1
    # A quiet log: no line for each scheduler run, none per HTTP request.
    noise = [
        r.getMessage()
        for r in caplog.records
        if (r.name.startswith("apscheduler") and r.levelno < logging.WARNING)
        or r.name == "aiohttp.access"
    ]
    assert noise == []


async def test_make_demo_stops_on_sigterm_and_says_what_to_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running = asyncio.create_task(run_demo(demo_config(), data_dir=tmp_path))
    await wait_until(
        lambda: running.done() or "Demo shop is running" in capsys.readouterr().out,
        STARTUP_WAIT,
        "the banner",
    )
    if running.done():
        running.result()  # its error
        raise AssertionError("the demo stopped by itself")
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(running, STARTUP_WAIT)
    assert "Stopping the demo" in capsys.readouterr().out
    assert (tmp_path / PANEL_STATE_FILE).exists()
