"""The provider client against the simulator over real HTTP, for every action and fault."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from bot.clock import FakeClock
from bot.provider.client import ProviderClient
from bot.provider.errors import OrderOutcomeUnknown, ProviderError, ProviderUnavailable
from bot.provider.models import (
    ItemError,
    OrderState,
    OrderStatus,
    RefillState,
    RefillStatus,
    ServiceType,
)
from bot.provider.requests import (
    CustomCommentsAdd,
    DefaultAdd,
    InvalidRequest,
    PackageAdd,
    SubscriptionsAdd,
)
from bot.sandbox.provider import ProviderSimulator

KEY = "sim-key-0123456789"
LINK = "https://instagram.com/p/abc"


async def _no_sleep(_: float) -> None:
    return None


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def sim(clock: FakeClock) -> AsyncIterator[ProviderSimulator]:
    simulator = ProviderSimulator(key=KEY, clock=clock, seed=7, balance=Decimal("500"))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def client(sim: ProviderSimulator) -> AsyncIterator[ProviderClient]:
    assert sim.url
    async with ProviderClient(
        sim.url, KEY, timeout=10, add_timeout=10, retries=2, sleep=_no_sleep
    ) as c:
        yield c


async def test_services_shape(client: ProviderClient) -> None:
    services = await client.services()
    assert len(services) >= 150
    assert {s.type for s in services if s.type} == set(ServiceType)
    assert any(not s.supported for s in services)
    assert all(isinstance(s.rate, Decimal) and s.min <= s.max for s in services)
    assert len({s.category for s in services}) >= 20


async def test_add_status_lifecycle(
    client: ProviderClient, sim: ProviderSimulator, clock: FakeClock
) -> None:
    service = sim.find_service(ServiceType.DEFAULT)
    before = (await client.balance()).balance
    placed = await client.add(DefaultAdd(str(service.service_id), link=LINK, quantity=service.min))
    state = await client.status(placed.order_id)
    assert state.status is OrderStatus.PENDING and state.charge and state.charge > 0
    assert (await client.balance()).balance == before - state.charge
    clock.advance(hours=1)
    state = await client.status(placed.order_id)
    assert state.status in {OrderStatus.COMPLETED, OrderStatus.PARTIAL, OrderStatus.CANCELED}


async def test_add_other_types(client: ProviderClient, sim: ProviderSimulator) -> None:
    package = sim.find_service(ServiceType.PACKAGE)
    assert (await client.add(PackageAdd(str(package.service_id), link=LINK))).order_id
    comments = sim.find_service(ServiceType.CUSTOM_COMMENTS)
    lines = "\n".join(f"comment {i}" for i in range(comments.min))
    assert (
        await client.add(CustomCommentsAdd(str(comments.service_id), link=LINK, comments=lines))
    ).order_id
    sub = sim.find_service(ServiceType.SUBSCRIPTIONS)
    request = SubscriptionsAdd(
        str(sub.service_id), username="somebody", min=sub.min, max=sub.min, delay=30, posts=2
    )
    assert (await client.add(request)).order_id


async def test_add_refusals_keep_panel_text(client: ProviderClient, sim: ProviderSimulator) -> None:
    service = sim.find_service(ServiceType.DEFAULT)
    with pytest.raises(ProviderError) as info:
        await client.add(DefaultAdd(str(service.service_id), link=LINK, quantity=service.max + 1))
    assert info.value.text.startswith("Quantity more than maximum")
    with pytest.raises(ProviderError) as info:
        await client.add(DefaultAdd("999999", link=LINK, quantity=100))
    assert info.value.text == "Incorrect service ID"
    sim.balance = Decimal("0")
    with pytest.raises(ProviderError) as info:
        await client.add(DefaultAdd(str(service.service_id), link=LINK, quantity=service.min))
    assert info.value.lacks_funds
    with pytest.raises(InvalidRequest):
        await client.add(DefaultAdd(str(service.service_id), link="", quantity=10))
    assert sim.calls["add"] == 3  # the invalid request was never sent


async def test_invalid_key(sim: ProviderSimulator) -> None:
    assert sim.url
    async with ProviderClient(sim.url, "wrong-key", sleep=_no_sleep) as bad:
        with pytest.raises(ProviderError) as info:
            await bad.balance()
    assert info.value.text == "Invalid API key"


async def _place(
    client: ProviderClient, sim: ProviderSimulator, n: int, **flags: bool
) -> list[str]:
    service = sim.find_service(ServiceType.DEFAULT, **flags)
    ids = []
    for i in range(n):
        placed = await client.add(
            DefaultAdd(str(service.service_id), link=f"{LINK}{i}", quantity=service.min)
        )
        ids.append(placed.order_id)
    return ids


async def test_statuses_chunks_of_100_with_item_errors(
    client: ProviderClient, sim: ProviderSimulator
) -> None:
    sim.balance = Decimal("100000")
    ids = await _place(client, sim, 250)
    calls_before = sim.calls["status"]
    results = await client.statuses([*ids, "1", "2"])
    assert sim.calls["status"] - calls_before == 3
    assert all(isinstance(results[i], OrderState) for i in ids)
    assert results["1"] == ItemError("Incorrect order ID")
    sim.faults.bare_string_item_errors = True
    sim.faults.ids_as_numbers = True
    again = await client.statuses([ids[0], "2"])
    assert isinstance(again[ids[0]], OrderState) and again["2"] == ItemError("Incorrect order ID")


async def test_single_id_flat_reply(client: ProviderClient, sim: ProviderSimulator) -> None:
    [order_id] = await _place(client, sim, 1)
    sim.faults.single_id_flat = True
    result = await client.statuses([order_id])
    assert isinstance(result[order_id], OrderState)


async def test_refill_flow(
    client: ProviderClient, sim: ProviderSimulator, clock: FakeClock
) -> None:
    ids = await _place(client, sim, 3, refill=True)
    clock.advance(hours=1)
    finished = await client.statuses(ids)
    completed = [i for i in ids if getattr(finished[i], "status", None) is OrderStatus.COMPLETED]
    assert completed
    created = await client.refill(completed[0])
    many = await client.refills([*completed[1:], "1"])
    assert isinstance(many["1"], ItemError)
    state = await client.refill_status(created.refill_id)
    assert state.status in {RefillStatus.PENDING, RefillStatus.IN_PROGRESS}
    clock.advance(hours=1)
    states = await client.refill_statuses([created.refill_id, "424242"])
    assert isinstance(states[created.refill_id], RefillState)
    assert states[created.refill_id].status.finished  # type: ignore[union-attr]
    assert isinstance(states["424242"], ItemError)


async def test_cancel(client: ProviderClient, sim: ProviderSimulator) -> None:
    cancellable = await _place(client, sim, 1, cancel=True)
    fixed = await _place(client, sim, 1, cancel=False)
    result = await client.cancel([*cancellable, *fixed, "1"])
    assert result[cancellable[0]].accepted
    assert not result[fixed[0]].accepted and result[fixed[0]].error
    assert not result["1"].accepted
    assert (await client.status(cancellable[0])).status is OrderStatus.CANCELED


async def test_empty_catalogue_object(client: ProviderClient, sim: ProviderSimulator) -> None:
    sim.faults.empty_catalogue_object = True
    assert (await client.services()).services == ()


@pytest.mark.parametrize("fault", ["http_5xx", "html"])
async def test_read_calls_retry_then_unavailable(
    client: ProviderClient, sim: ProviderSimulator, fault: str
) -> None:
    setattr(sim.faults, fault, True)
    with pytest.raises(ProviderUnavailable):
        await client.balance()
    assert sim.calls["balance"] == 3  # first try + 2 retries


async def test_read_call_recovers_after_a_failure(
    client: ProviderClient, sim: ProviderSimulator
) -> None:
    sim.faults.http_5xx = True
    retried: list[float] = []

    async def sleep_then_recover(delay: float) -> None:
        retried.append(delay)
        sim.faults.http_5xx = False

    assert sim.url
    async with ProviderClient(sim.url, KEY, retries=3, backoff=0.5, sleep=sleep_then_recover) as c:
        assert (await c.balance()).currency == "USD"
    assert retried == [0.5]


async def test_add_is_never_retried(client: ProviderClient, sim: ProviderSimulator) -> None:
    service = sim.find_service(ServiceType.DEFAULT)
    sim.faults.fail_actions = {"add"}
    with pytest.raises(OrderOutcomeUnknown):
        await client.add(DefaultAdd(str(service.service_id), link=LINK, quantity=service.min))
    assert sim.calls["add"] == 1


async def test_add_created_then_silent_is_unknown(sim: ProviderSimulator) -> None:
    service = sim.find_service(ServiceType.DEFAULT)
    sim.faults.add_hang_after_create = True
    assert sim.url
    # A short wait for this one only: the panel never answers, so the client gives up.
    async with ProviderClient(sim.url, KEY, add_timeout=0.5, retries=0, sleep=_no_sleep) as c:
        with pytest.raises(OrderOutcomeUnknown):
            await c.add(DefaultAdd(str(service.service_id), link=LINK, quantity=service.min))
    assert sim.calls["add"] == 1 and len(sim.orders) == 1  # it exists at the panel


async def test_hanging_read_times_out_as_unavailable(sim: ProviderSimulator) -> None:
    sim.faults.hang = True
    assert sim.url
    async with ProviderClient(sim.url, KEY, timeout=0.2, retries=0, sleep=_no_sleep) as c:
        with pytest.raises(ProviderUnavailable):
            await c.services()
