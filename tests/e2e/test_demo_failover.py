"""`make demo` with its two simulated panels, over real HTTP: main's funds emptied with the
demo switch, Alice orders main's popular service in the web chat, and the backup panel
takes it: one debit, one operator alert about the failover."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiohttp
from pydantic import SecretStr
from sqlalchemy import select

from bot.clock import FakeClock
from bot.config import Config
from bot.sandbox.demo import Demo, banner, demo_running
from bot.sandbox.demo_seed import ALICE
from bot.sandbox.telegram import OPERATORS_CHAT_ID
from bot.sandbox.telegram.models import StoredMessage
from bot.shop.enums import LedgerKind, OrderState
from db.models import LedgerEntry, User
from tests.e2e.life import Life
from tests.e2e.live import free_port

WAIT = 20.0  # for one reply of the bot


def _config() -> Config:
    return Config(
        bot_token=SecretStr("1:unused"),  # the demo brings its own
        demo_port=free_port(),
        demo_provider_port=0,
        poll_interval_seconds=5,
        throttle_rate_per_second=1000,
        throttle_burst=1000,
        _env_file=None,  # type: ignore[call-arg]
    )


def _says(text: str) -> Callable[[StoredMessage], bool]:
    return lambda m: text in (m.text or "")


def _offers(label: str) -> Callable[[StoredMessage], bool]:
    return lambda m: any(label in b["text"] for b in m.buttons)


async def _ask(demo: Demo, text: str, expect: Callable[[StoredMessage], bool]) -> StoredMessage:
    mark = demo.emulator.mark()
    await demo.emulator.send_text(ALICE, text)
    return await demo.emulator.wait_for_bot_message(ALICE, expect, since=mark, timeout=WAIT)


async def _press(
    demo: Demo, message: StoredMessage, label: str, expect: Callable[[StoredMessage], bool]
) -> StoredMessage:
    data = next(b["callback_data"] for b in message.buttons if label in b["text"])
    mark = demo.emulator.mark()
    await demo.emulator.click(ALICE, message.message_id, data)
    return await demo.emulator.wait_for_bot_message(ALICE, expect, since=mark, timeout=WAIT)


async def _debits(demo: Demo) -> int:
    async with demo.app.deps.session_factory() as session, session.begin():
        rows = await session.scalars(
            select(LedgerEntry.id)
            .join(User, User.id == LedgerEntry.user_id)
            .where(LedgerEntry.kind == LedgerKind.CHARGE, User.telegram_id == ALICE)
        )
        return len(list(rows))


async def test_the_demo_fails_over_to_the_backup_panel(tmp_path: Path) -> None:
    async with demo_running(_config(), data_dir=tmp_path) as demo:
        assert demo.backup is not None and demo.mapped is not None
        assert "/sandbox/balance" in banner(demo)
        base = demo.provider_url.removesuffix("/api/v2")
        async with (
            aiohttp.ClientSession() as http,  # the demo switch from the README
            http.post(f"{base}/sandbox/balance", json={"balance": 0}) as reply,
        ):
            assert reply.status == 200
        story = Life(demo.app, demo.emulator, demo.simulator, FakeClock())
        before = await _debits(demo)
        alerts_before = len(demo.emulator.bot_messages(OPERATORS_CHAT_ID))
        mark = demo.emulator.mark()

        await _ask(demo, "/start", _says("Alice"))
        found = await _ask(demo, f"#{await story.shop_id(demo.mapped)}", _says("Found"))
        card = await _press(demo, found, found.buttons[0]["text"], _offers("Order"))
        await _press(demo, card, "Order", _says("Step 1"))
        await _ask(demo, "https://instagram.com/p/failover", _says("Step 2"))
        summary = await _ask(demo, str(demo.mapped.min), _says("Check your order"))
        await _press(demo, summary, "Confirm", _says("placed"))

        order = await story.latest_order()
        assert order.state is OrderState.ACTIVE
        assert order.provider_id == demo.app.deps.panels.id_of("backup")
        assert demo.backup.orders.keys() == {order.provider_order_id}
        assert demo.simulator.calls["add"] == 1  # refused there: not enough funds
        assert await _debits(demo) == before + 1
        await demo.emulator.wait_for_bot_message(
            OPERATORS_CHAT_ID, _says("backup panel"), since=mark, timeout=WAIT
        )
        alerts = [m.text or "" for m in demo.emulator.bot_messages(OPERATORS_CHAT_ID)]
        new = alerts[alerts_before:]
        assert len(new) == 1, new
        assert "backup panel" in new[0] and "Not enough funds" in new[0]

    # Stopped and started again: the backup panel kept its books, so the order that
    # failed over is still known there (and the next id does not clash with it).
    async with demo_running(_config(), data_dir=tmp_path) as again:
        assert again.backup is not None
        assert order.provider_order_id in again.backup.orders
        assert (tmp_path / "demo-backup-panel.json").is_file()
