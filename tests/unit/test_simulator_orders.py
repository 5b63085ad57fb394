"""Orders on the simulated panel over the clock: status, outcomes, money, refill and cancel."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator, SimService

KEY = "sandbox-key"
T = ServiceType
LINK = "https://instagram.com/p/Cx1abc"
START = Decimal("100000")
ALL_DONE = 30  # minutes after which every regular order has its outcome


class Client:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def __call__(self, action: str, **fields: Any) -> Any:
        data = {"key": KEY, "action": action, **{k: str(v) for k, v in fields.items()}}
        async with self.session.post(self.url, data=data) as response:
            assert response.status == 200
            return await response.json()

    async def add(self, service: SimService, quantity: int | None = None, **extra: Any) -> str:
        fields = {"link": extra.pop("link", LINK), **extra}
        if service.service_type is T.DEFAULT:
            fields["quantity"] = quantity or service.min
        reply = await self("add", service=service.service_id, **fields)
        return str(reply["order"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[ProviderSimulator]:
    sim = ProviderSimulator(key=KEY, clock=clock, seed=1, balance=START)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def api(sim: ProviderSimulator) -> AsyncIterator[Client]:
    assert sim.url is not None
    async with aiohttp.ClientSession() as session:
        yield Client(session, sim.url)


def charges(sim: ProviderSimulator) -> Decimal:
    now = sim.clock.now()
    return sum((o.view(now).charge for o in sim.orders.values()), Decimal(0))


async def test_order_moves_pending_in_progress_completed(
    sim: ProviderSimulator, api: Client, clock: FakeClock
) -> None:
    sim.book.partial_share = sim.book.cancel_share = 0
    service = sim.find_service(T.DEFAULT)
    order_id = await api.add(service, 2000)
    first = await api("status", order=order_id)
    assert first == {
        "charge": first["charge"],
        "start_count": "0",
        "status": "Pending",
        "remains": "2000",
        "currency": "USD",
    }
    assert Decimal(first["charge"]) == sim.orders[order_id].cost
    seen = [first]
    for _ in range(ALL_DONE * 2):
        clock.advance(seconds=30)
        seen.append(await api("status", order=order_id))
    statuses = [s["status"] for s in seen]
    assert statuses.index("In progress") < statuses.index("Completed")
    assert set(statuses) == {"Pending", "In progress", "Completed"}
    running = [int(s["remains"]) for s in seen if s["status"] == "In progress"]
    assert running == sorted(running, reverse=True) and running[-1] < 2000
    assert seen[-1]["remains"] == "0" and int(seen[-1]["start_count"]) > 0


async def test_outcomes_mix_partial_and_canceled_and_refund_them(
    sim: ProviderSimulator, api: Client, clock: FakeClock
) -> None:
    service = sim.find_service(T.DEFAULT, dripfeed=False)
    ids = [await api.add(service, 1000, link=f"{LINK}{i}") for i in range(200)]
    spent = START - sim.balance
    assert spent == sum(sim.orders[i].cost for i in ids)
    clock.advance(minutes=ALL_DONE)
    replies: dict[str, Any] = {}
    for start in range(0, len(ids), 100):
        replies |= await api("status", orders=",".join(ids[start : start + 100]))
    outcomes = Counter(r["status"] for r in replies.values())
    assert set(outcomes) == {"Completed", "Partial", "Canceled"}
    assert 5 <= outcomes["Partial"] <= 40 and 2 <= outcomes["Canceled"] <= 25
    for order_id, reply in replies.items():
        cost = sim.orders[order_id].cost
        if reply["status"] == "Partial":
            remains = int(reply["remains"])
            assert 0 < remains < 1000
            assert Decimal(reply["charge"]) < cost
        elif reply["status"] == "Canceled":
            assert Decimal(reply["charge"]) == 0 and reply["remains"] == "1000"
        else:
            assert Decimal(reply["charge"]) == cost
    # Whatever was not delivered went back to the balance.
    assert sim.balance + charges(sim) == START
    assert sim.balance > START - spent


async def test_same_seed_tells_the_same_story(clock: FakeClock) -> None:
    stories = []
    for _ in range(2):
        own_clock = FakeClock(clock.now())
        sim = ProviderSimulator(clock=own_clock, seed=7)
        url = await sim.start()
        async with aiohttp.ClientSession() as session:
            api = Client(session, url)
            service = sim.find_service(T.DEFAULT)
            ids = [await api.add(service, 500) for _ in range(40)]
            own_clock.advance(minutes=3)
            stories.append(await api("status", orders=",".join(ids)))
        await sim.stop()
    assert stories[0] == stories[1]


async def test_shares_can_be_turned_off(clock: FakeClock) -> None:
    sim = ProviderSimulator(clock=clock, partial_share=0, cancel_share=0)
    service = sim.find_service(T.DEFAULT)
    url = await sim.start()
    async with aiohttp.ClientSession() as session:
        api = Client(session, url)
        ids = [await api.add(service, 100) for _ in range(50)]
        clock.advance(minutes=ALL_DONE)
        replies = await api("status", orders=",".join(ids))
    await sim.stop()
    assert {r["status"] for r in replies.values()} == {"Completed"}


async def test_multi_status_with_item_errors_and_limits(
    sim: ProviderSimulator, api: Client
) -> None:
    service = sim.find_service(T.DEFAULT)
    ids = [await api.add(service) for _ in range(99)]
    reply = await api("status", orders=",".join([*ids, "10"]))
    assert list(reply) == [*ids, "10"]
    assert reply["10"] == {"error": "Incorrect order ID"}
    assert all(reply[i]["status"] == "Pending" for i in ids)
    assert await api("status", orders=",".join(str(n) for n in range(101))) == {
        "error": "Too many ids, maximum 100 per request"
    }
    assert await api("status", orders=f"{ids[0]}, abc ,") == {
        ids[0]: reply[ids[0]],
        "abc": {"error": "Incorrect order ID"},
    }
    assert await api("status", order="10") == {"error": "Incorrect order ID"}
    assert await api("status") == {"error": "Incorrect request"}


async def test_subscriptions_are_active_then_completed(
    sim: ProviderSimulator, api: Client, clock: FakeClock
) -> None:
    service = sim.find_service(T.SUBSCRIPTIONS)
    common = {"username": "alice", "min": service.min, "max": service.min, "delay": 0}
    limited = str((await api("add", service=service.service_id, posts=3, **common))["order"])
    unlimited = str((await api("add", service=service.service_id, **common))["order"])
    assert (await api("status", order=limited))["status"] == "Active"
    clock.advance(minutes=7)
    reply = await api("status", orders=f"{limited},{unlimited}")
    assert reply[limited]["status"] == "Completed"
    assert reply[unlimited]["status"] == "Active"
    clock.advance(days=365)
    assert (await api("status", order=unlimited))["status"] == "Active"


async def test_script_forces_the_reported_state_and_moves_money(
    sim: ProviderSimulator, api: Client
) -> None:
    service = sim.find_service(T.DEFAULT)
    order_id = await api.add(service, 1000)
    cost = sim.orders[order_id].cost
    sim.script(order_id, status="Partial", remains=123)
    reply = await api("status", order=order_id)
    assert (reply["status"], reply["remains"]) == ("Partial", "123")
    assert Decimal(reply["charge"]) == (cost * 877 / 1000).quantize(Decimal("0.00001"), "ROUND_UP")
    assert sim.balance + Decimal(reply["charge"]) == START
    sim.script(order_id, "Canceled")
    assert sim.balance == START
    sim.script(order_id, "In Progress", remains=500)
    assert (await api("status", order=order_id))["status"] == "In Progress"
    assert sim.balance == START - cost
    with pytest.raises(KeyError):
        sim.script("1", "Completed")


async def test_cancel_rules(sim: ProviderSimulator, api: Client) -> None:
    cancellable = sim.find_service(T.DEFAULT, cancel=True)
    fixed = sim.find_service(T.DEFAULT, cancel=False)
    open_id = await api.add(cancellable)
    done_id = await api.add(cancellable)
    sim.script(done_id, "Completed")
    locked_id = await api.add(fixed)
    reply = await api("cancel", orders=f"{open_id},{done_id},{locked_id},9")
    assert reply[0] == {"order": int(open_id), "cancel": 1}
    assert reply[1] == {
        "order": int(done_id),
        "cancel": {"error": "Order is already finished and cannot be canceled"},
    }
    assert reply[2] == {
        "order": int(locked_id),
        "cancel": {"error": "Cancel is disabled for this service"},
    }
    assert reply[3] == {"order": 9, "cancel": {"error": "Incorrect order ID"}}
    status = await api("status", order=open_id)
    assert (status["status"], status["charge"]) == ("Canceled", "0.00000")
    assert sim.balance + charges(sim) == START
    assert sim.balance == START - sim.orders[done_id].cost - sim.orders[locked_id].cost


async def test_refill_rules_and_progress(
    sim: ProviderSimulator, api: Client, clock: FakeClock
) -> None:
    refillable = sim.find_service(T.DEFAULT, refill=True)
    no_refill = sim.find_service(T.DEFAULT, refill=False)
    running_id = await api.add(refillable)
    assert await api("refill", order=running_id) == {"error": "Order is not completed yet"}
    plain_id = await api.add(no_refill)
    sim.script(plain_id, "Completed")
    assert await api("refill", order=plain_id) == {"error": "Refill is disabled for this service"}
    canceled_id = await api.add(refillable)
    sim.script(canceled_id, "Canceled")
    assert await api("refill", order=canceled_id) == {
        "error": "Refill is not available for this order"
    }
    assert await api("refill", order="9") == {"error": "Incorrect order ID"}

    sim.script(running_id, "Completed")
    refill = await api("refill", order=running_id)
    refill_id = refill["refill"]
    assert isinstance(refill_id, str)
    assert await api("refill", order=running_id) == {
        "error": "Refill is already in progress for this order"
    }
    seen = []
    for _ in range(30):
        seen.append((await api("refill_status", refill=refill_id))["status"])
        clock.advance(seconds=20)
    assert seen[0] == "Pending" and "In progress" in seen
    assert seen[-1] in ("Completed", "Rejected")
    assert await api("refill_status", refill="77") == {"error": "Refill not found"}


async def test_multi_refill_and_refill_statuses(
    sim: ProviderSimulator, api: Client, clock: FakeClock
) -> None:
    refillable = sim.find_service(T.DEFAULT, refill=True)
    done = await api.add(refillable)
    sim.script(done, "Partial", remains=3)
    running = await api.add(refillable)
    reply = await api("refill", orders=f"{done},{running},9")
    assert isinstance(reply[0]["refill"], int)
    assert reply[1] == {"order": int(running), "refill": {"error": "Order is not completed yet"}}
    assert reply[2] == {"order": 9, "refill": {"error": "Incorrect order ID"}}
    refill_id = reply[0]["refill"]
    sim.script_refill(refill_id, "Rejected")
    statuses = await api("refill_status", refills=f"{refill_id},3")
    assert statuses == [
        {"refill": refill_id, "status": "Rejected"},
        {"refill": 3, "status": {"error": "Refill not found"}},
    ]


async def test_refills_end_completed_or_rejected_by_seed(
    sim: ProviderSimulator, api: Client, clock: FakeClock
) -> None:
    service = sim.find_service(T.DEFAULT, refill=True)
    refill_ids = []
    for i in range(60):
        order_id = await api.add(service, link=f"{LINK}{i}")
        sim.script(order_id, "Completed")
        refill_ids.append(str((await api("refill", order=order_id))["refill"]))
    clock.advance(minutes=10)
    statuses = Counter(
        item["status"] for item in await api("refill_status", refills=",".join(refill_ids))
    )
    assert set(statuses) == {"Completed", "Rejected"}
    assert statuses["Completed"] > statuses["Rejected"]
