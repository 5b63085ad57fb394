"""Fault switches of the simulated panel, its sandbox controls and its command line."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.clock import FakeClock
from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator, SimulatorFaults

KEY = "sandbox-key"
LINK = "https://t.me/some_channel/15"
SHORT = aiohttp.ClientTimeout(total=0.2)


class Client:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def raw(
        self, action: str, timeout: aiohttp.ClientTimeout | None = None, **fields: Any
    ) -> tuple[int, str, str]:
        data = {"key": KEY, "action": action, **{k: str(v) for k, v in fields.items()}}
        async with self.session.post(self.url, data=data, timeout=timeout) as response:
            return response.status, response.content_type, await response.text()

    async def __call__(self, action: str, **fields: Any) -> Any:
        data = {"key": KEY, "action": action, **{k: str(v) for k, v in fields.items()}}
        async with self.session.post(self.url, data=data) as response:
            assert response.status == 200
            return await response.json()

    async def add(self, link: str = LINK) -> str:
        service = default_service(self.sim)
        reply = await self("add", service=service.service_id, link=link, quantity=service.min)
        return str(reply["order"])

    sim: ProviderSimulator


def default_service(sim: ProviderSimulator) -> Any:
    return sim.find_service(ServiceType.DEFAULT, refill=True, cancel=True)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[ProviderSimulator]:
    sim = ProviderSimulator(key=KEY, clock=clock, seed=1)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def api(sim: ProviderSimulator) -> AsyncIterator[Client]:
    assert sim.url is not None
    async with aiohttp.ClientSession() as session:
        client = Client(session, sim.url)
        client.sim = sim
        yield client


async def test_latency_delays_replies(sim: ProviderSimulator, api: Client) -> None:
    sim.faults.latency = 30
    with pytest.raises(asyncio.TimeoutError):
        await api.raw("balance", timeout=SHORT)
    sim.faults.latency = 0
    assert "balance" in await api("balance")


async def test_http_5xx_and_html(sim: ProviderSimulator, api: Client) -> None:
    sim.faults.http_5xx = True
    status, _, text = await api.raw("balance")
    assert status == 502 and "Bad Gateway" in text
    sim.faults.http_5xx = False
    sim.faults.html = True
    status, content_type, text = await api.raw("status", order=1)
    assert (status, content_type) == (200, "text/html")
    assert "Just a moment..." in text and "Cloudflare" in text


async def test_hang_never_replies_until_stop_wakes_it(clock: FakeClock) -> None:
    sim = ProviderSimulator(clock=clock, faults=SimulatorFaults(hang=True))
    url = await sim.start()
    async with aiohttp.ClientSession() as session:
        api = Client(session, url)
        with pytest.raises(asyncio.TimeoutError):
            await api.raw("balance", timeout=SHORT)
        assert sim.calls["balance"] == 1
        # Stopping wakes hanging handlers, so a caller still waiting gets their answer
        # rather than a connection cut once the server's shutdown timeout ran out.
        waiting = asyncio.ensure_future(api.raw("balance"))
        async with asyncio.timeout(10):
            while sim.calls["balance"] < 2:  # until the handler holds it
                assert not waiting.done(), waiting
                await asyncio.sleep(0.01)
        await sim.stop()
        assert await waiting == (503, "text/plain", "stopped")


async def test_add_hang_after_create_charges_but_does_not_reply(
    sim: ProviderSimulator, api: Client
) -> None:
    sim.faults.add_hang_after_create = True
    service = default_service(sim)
    with pytest.raises(asyncio.TimeoutError):
        await api.raw(
            "add", timeout=SHORT, service=service.service_id, link=LINK, quantity=service.min
        )
    (order,) = sim.orders.values()
    assert sim.balance == Decimal(1000) - order.cost
    assert (await api("status", order=order.order_id))["status"] == "Pending"


async def test_hanging_app_under_aiohttp_test_server_closes(clock: FakeClock) -> None:
    sim = ProviderSimulator(clock=clock, faults=SimulatorFaults(hang=True))
    async with TestServer(sim.app()) as server, aiohttp.ClientSession() as session:
        api = Client(session, str(server.make_url("/api/v2")))
        with pytest.raises(asyncio.TimeoutError):
            await api.raw("balance", timeout=SHORT)


async def test_ids_as_numbers(sim: ProviderSimulator, api: Client) -> None:
    order_id = await api.add()
    sim.faults.ids_as_numbers = True
    reply = await api("status", order=order_id)
    assert all(isinstance(reply[k], int | float) for k in ("charge", "start_count", "remains"))
    assert isinstance((await api("balance"))["balance"], float)
    sim.faults.ids_as_numbers = False
    assert isinstance((await api.add()), str)
    service = default_service(sim)
    reply = await api("add", service=service.service_id, link=LINK, quantity=service.min)
    assert isinstance(reply["order"], str)
    assert (await api("cancel", orders=order_id)) == [{"order": order_id, "cancel": "1"}]


async def test_bare_string_item_errors(sim: ProviderSimulator, api: Client) -> None:
    order_id = await api.add()
    sim.faults.bare_string_item_errors = True
    reply = await api("status", orders=f"{order_id},10")
    assert reply["10"] == "Incorrect order ID"
    assert reply[order_id]["status"] == "Pending"
    assert await api("cancel", orders="10") == [{"order": 10, "cancel": "Incorrect order ID"}]
    assert await api("refill_status", refills="10") == [
        {"refill": 10, "status": "Refill not found"}
    ]


async def test_single_id_flat(sim: ProviderSimulator, api: Client) -> None:
    order_id = await api.add()
    assert set(await api("status", orders=order_id)) == {order_id}
    sim.faults.single_id_flat = True
    flat = await api("status", orders=order_id)
    assert flat["status"] == "Pending" and "charge" in flat
    assert await api("status", orders="10") == {"error": "Incorrect order ID"}
    assert set(await api("status", orders=f"{order_id},10")) == {order_id, "10"}


async def test_empty_catalogue_object(sim: ProviderSimulator, api: Client) -> None:
    sim.faults.empty_catalogue_object = True
    assert await api("services") == {"status": "success", "data": "Empty Data"}


async def test_reject_duplicate_links(
    sim: ProviderSimulator, api: Client, clock: FakeClock
) -> None:
    first = await api.add()
    await api.add()  # allowed while the switch is off
    sim.faults.reject_duplicate_links = True
    service = default_service(sim)
    refused = await api("add", service=service.service_id, link=LINK, quantity=service.min)
    assert refused == {
        "error": "You have active order with this link. Please wait until order being completed."
    }
    assert len(sim.orders) == 2
    assert "order" in await api(
        "add", service=service.service_id, link=LINK + "1", quantity=service.min
    )
    sim.script(first, "Completed")
    clock.advance(minutes=30)
    assert "order" in await api("add", service=service.service_id, link=LINK, quantity=1000)


async def test_fail_actions(sim: ProviderSimulator, api: Client) -> None:
    sim.faults.fail_actions = {"add"}
    service = default_service(sim)
    status, _, _ = await api.raw("add", service=service.service_id, link=LINK, quantity=100)
    assert status == 500
    assert sim.orders == {}
    assert "balance" in await api("balance")
    assert sim.calls["add"] == 1 and sum(sim.calls.values()) == 2


def test_faults_update_checks_names_and_types() -> None:
    faults = SimulatorFaults()
    faults.update(latency=1, html=True, fail_actions=["add"], ids_as_numbers=None)
    assert (faults.latency, faults.html, faults.fail_actions) == (1.0, True, {"add"})
    for bad in ({"latency": -1}, {"html": "yes"}, {"nope": True}, {"fail_actions": "add"}):
        with pytest.raises(ValueError):
            faults.update(**bad)
    faults.reset()
    assert faults == SimulatorFaults()


async def test_sandbox_control_endpoints(sim: ProviderSimulator, api: Client) -> None:
    base = sim.base_url
    order_id = await api.add()
    async with api.session.get(f"{base}/sandbox/state") as response:
        state = await response.json()
    assert state["calls"] == {"add": 1} and state["calls_total"] == 1
    assert state["orders"] == 1
    assert Decimal(state["balance"]) == sim.balance

    async with api.session.post(
        f"{base}/sandbox/faults", json={"html": True, "fail_actions": ["status"]}
    ) as response:
        assert response.status == 200
    assert sim.faults.html and sim.faults.fail_actions == {"status"}
    async with api.session.post(f"{base}/sandbox/faults", json={"html": "no"}) as response:
        assert response.status == 400
    async with api.session.post(f"{base}/sandbox/faults", json={"reset": True}) as response:
        assert (await response.json())["faults"]["html"] is False

    async with api.session.post(
        f"{base}/sandbox/script", json={"order_id": order_id, "status": "Partial", "remains": 7}
    ) as response:
        assert response.status == 200
    reply = await api("status", order=order_id)
    assert (reply["status"], reply["remains"]) == ("Partial", "7")
    async with api.session.post(
        f"{base}/sandbox/script", json={"order_id": "1", "status": "Completed"}
    ) as response:
        assert response.status == 404

    async with api.session.post(f"{base}/sandbox/balance", json={"balance": "12.5"}) as response:
        assert response.status == 200
    assert await api("balance") == {"balance": "12.50000", "currency": "USD"}


async def test_api_key_is_never_logged(
    sim: ProviderSimulator, api: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await api("add", service=1, link="nope", quantity=1)
    await api.raw("balance", key="wrong-secret")
    assert KEY not in caplog.text and "wrong-secret" not in caplog.text
    assert KEY not in repr(sim)


def test_command_line_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.sandbox.provider", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for option in ("--port", "--host", "--key", "--seed", "--balance"):
        assert option in result.stdout


async def test_command_line_serves_until_interrupted() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox.provider",
        "--port",
        "0",
        "--key",
        "k1",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 90)).decode()
        url = line.split()[-1]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v2")
        form = {"key": "k1", "action": "balance"}
        async with aiohttp.ClientSession() as session, session.post(url, data=form) as response:
            assert await response.json() == {"balance": "1000.00000", "currency": "USD"}
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 90) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
