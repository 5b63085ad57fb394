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
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.clock import FakeClock
from bot.config import Config
from bot.sandbox.demo import PANEL_STATE_FILE, Demo, banner, demo_running, run_demo
from bot.sandbox.demo_seed import ALICE, CAROL
from bot.sandbox.provider import SimService
from bot.sandbox.telegram import OPERATORS_CHAT_ID
from bot.sandbox.telegram.models import StoredMessage
from bot.shop.enums import OrderState
from bot.shop.services import Shop
from db.models import Order
from tests.e2e.life import Life, plain
from tests.e2e.live import free_port, wait_until

CLASH = "holds that panel order id"
# Order 23501's drawn life at the demo's clock (x20): Pending ~2.6 s, Completed at ~6 s.
FINISH_WAIT = 30.0
STARTUP_WAIT = 60.0  # a loaded two-core machine
WAIT = 20.0  # for one reply of the bot


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


# The demo's jobs send notices at any moment: each step waits for the reply it expects,
# never just for the next message.


def says(text: str) -> Callable[[StoredMessage], bool]:
    return lambda m: text in (m.text or "")


def offers(label: str) -> Callable[[StoredMessage], bool]:
    return lambda m: any(label in b["text"] for b in m.buttons)


async def ask(demo: Demo, text: str, expect: Callable[[StoredMessage], bool]) -> StoredMessage:
    mark = demo.emulator.mark()
    await demo.emulator.send_text(ALICE, text)
    return await demo.emulator.wait_for_bot_message(ALICE, expect, since=mark, timeout=WAIT)


async def press(
    demo: Demo, message: StoredMessage, label: str, expect: Callable[[StoredMessage], bool]
) -> StoredMessage:
    data = next(b["callback_data"] for b in message.buttons if label in b["text"])
    mark = demo.emulator.mark()
    await demo.emulator.click(ALICE, message.message_id, data)
    return await demo.emulator.wait_for_bot_message(ALICE, expect, since=mark, timeout=WAIT)


async def place_order(demo: Demo, service: SimService) -> Order:
    """Alice orders the service's minimum through the chat, up to "placed"."""
    found = await ask(demo, f"#{await customer(demo).shop_id(service)}", says("Found"))
    card = await press(demo, found, found.buttons[0]["text"], offers("Order"))
    await press(demo, card, "Order", says("Step 1"))
    await ask(demo, "https://instagram.com/p/demo", says("Step 2"))
    summary = await ask(demo, str(service.min), says("Check your order"))
    await press(demo, summary, "Confirm", says("placed"))
    return await customer(demo).latest_order()


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
        await ask(demo, "/start", says("Hi, Alice"))
        # What the demo shows from the start: the referral, the promo codes, top-ups in
        # Stars and a support contact.
        await ask(demo, "/referral", says("You invited 1 person."))
        await ask(demo, "/promo LAUNCH", says("has been used up"))
        await ask(demo, "/promo SPRING", says("has expired"))
        await ask(demo, "/topup", says("1 Star = 0.013 USD"))
        await ask(demo, "/paysupport", says("@demo_support"))
        # Boris's seeded support ticket is in the Operators group; the Admin answers it by
        # replying there, and Boris reads the answer in his chat.
        ticket = await demo.emulator.wait_for_bot_message(
            OPERATORS_CHAT_ID, says("Ticket #1"), since=0, timeout=WAIT
        )
        mark = demo.emulator.mark()
        await demo.emulator.send_text(
            1000, "Уже начался", chat_id=OPERATORS_CHAT_ID, reply_to=ticket.message_id
        )
        await demo.emulator.wait_for_bot_message(
            1002, says("Уже начался"), since=mark, timeout=WAIT
        )
        service = plain(demo.simulator)
        first = await place_order(demo, service)
        assert first.state is OrderState.ACTIVE and first.provider_order_id == "23501"
        assert not demo.simulator.view("23501").finished
    saved = json.loads((tmp_path / PANEL_STATE_FILE).read_text())
    assert [o["order_id"] for o in saved["orders"]] == [23501]
    assert saved["next_order_id"] == 23502

    # Second run: the old order moves on to its end; a new one gets the next id.
    caplog.clear()
    async with demo_running(config, data_dir=tmp_path) as demo:
        assert "(orders: 1, refills: 0); next order id 23502" in caplog.text
        # The web chat starts empty: the unclosed ticket is posted to the group again.
        again = await demo.emulator.wait_for_bot_message(
            OPERATORS_CHAT_ID, says("Ticket #1"), since=0, timeout=WAIT
        )
        assert "answered" in (again.text or "")
        assert demo.provider_url in banner(demo) and "/sandbox/faults" in banner(demo)
        story = customer(demo)

        async def first_finished() -> bool:
            return (await order_of(demo, first.id)).state.finished

        await wait_until(first_finished, FINISH_WAIT, "the first run's order to finish")
        assert (await order_of(demo, first.id)).state is OrderState.COMPLETED
        done = f"Order #{first.id} is completed"
        await wait_until(lambda: any(done in t for t in story.notices()), WAIT, "the notice")
        second = await place_order(demo, service)
        assert second.state is OrderState.ACTIVE and second.provider_order_id == "23502"
        assert clash_alerts(demo) == []
        await story.books_balance()

    # The panel's state is lost: it starts fresh, numbered past every id the shop holds.
    (tmp_path / PANEL_STATE_FILE).write_text("{ not json")
    caplog.clear()
    async with demo_running(config, data_dir=tmp_path) as demo:
        fresh = [r.getMessage() for r in caplog.records if "starting fresh" in r.getMessage()]
        assert len(fresh) == 1 and "order ids from 23503" in fresh[0], fresh
        third = await place_order(demo, service)
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
