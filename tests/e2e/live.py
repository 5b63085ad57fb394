"""A live bot over HTTP, as the end-to-end tests drive it: free ports, waiting for a
condition, a customer's chat in the emulator, the shop's ids and money, metrics."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator, SimService
from bot.sandbox.telegram import TelegramEmulator
from bot.sandbox.telegram.models import StoredMessage
from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.services import Shop
from db.repositories.storefront import StorefrontRepo

ALICE = 1001


def free_port() -> int:
    """A port for a server that starts later and cannot be told port 0.

    A port bound and closed at once is free for anyone (another test worker's server, an
    outgoing connection) before that server binds it. Here the accepted side of one
    connection closes first and stays in TIME_WAIT: for a minute the kernel hands the
    port to nobody else, while a server binding with SO_REUSEADDR (aiohttp does) can.
    """
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port: int = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            accepted, _ = listener.accept()
            accepted.close()
    return port


async def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `check` (sync or async) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(0.05)


# --- a customer in the emulator ----------------------------------------------------------


@dataclass
class Chat:
    emu: TelegramEmulator
    user_id: int = ALICE
    timeout: float = 20.0

    async def say(self, text: str) -> str:
        mark = self.emu.mark()
        await self.emu.send_text(self.user_id, text)
        reply = await self.emu.wait_for_bot_message(self.user_id, since=mark, timeout=self.timeout)
        return reply.text or ""

    def button(self, label: str) -> tuple[StoredMessage, str]:
        for message in reversed(self.emu.bot_messages(self.user_id)):
            for button in message.buttons:
                if label in button["text"] and "callback_data" in button:
                    return message, button["callback_data"]
        raise AssertionError(f"no button {label!r}")

    async def click(self, label: str) -> StoredMessage:
        """Press the newest button whose label contains `label`; wait for the answer."""
        message, data = self.button(label)
        mark = self.emu.mark()
        await self.emu.click(self.user_id, message.message_id, data)
        try:
            return await self.emu.wait_for_bot_message(
                self.user_id, since=mark, timeout=self.timeout
            )
        except TimeoutError:
            answers = self.emu.callback_answers(self.user_id)[-3:]
            raise AssertionError(f"{label}: {answers}") from None

    async def open_order_form(self, service: SimService, shop_service_id: int) -> str:
        """From /start to the summary of an order of `service.min`; returns the summary."""
        assert "Hi, Alice" in await self.say("/start")
        await self.say("🛒 New order")  # the persistent menu the welcome set
        await self.click("Instagram")
        await self.click(service.category.split(" ", 1)[1])
        await self.say(f"#{shop_service_id}")
        await self.click("/1k")
        await self.click("Order")
        assert "Step 2" in await self.say("https://instagram.com/p/e2e")
        return await self.say(str(service.min))


def order_service(sim: ProviderSimulator) -> SimService:
    return sim.find_service(ServiceType.DEFAULT, dripfeed=False)


async def shop_service_id(session_factory: Any, provider_service_id: int) -> int:
    async with session_factory() as session, session.begin():
        rows = await StorefrontRepo(session, [t.value for t in ServiceType]).for_provider(1)
        return next(r.id for r in rows if r.provider_service_id == str(provider_service_id))


async def credit(deps: Any, telegram_id: int, amount: str) -> int:
    async with deps.session_factory() as session, session.begin():
        shop = Shop(session, deps)
        user, _ = await shop.users.enter(
            telegram_id, username="alice", first_name="Alice", language="en"
        )
        await shop.wallet.credit(user.id, to_micro(amount), LedgerKind.PROMO, "e2e:gift")
        return user.id


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format (None when absent)."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        series, value = line.rsplit(" ", 1)
        if "{" in series:
            base, rest = series.split("{", 1)
            found = rest.rstrip("}")
        else:
            base, found = series, ""
        if base == name and all(part in found.split(",") for part in want.split(",") if part):
            return float(value)
    return None
