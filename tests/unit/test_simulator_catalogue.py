"""The simulated panel's catalogue: shape, realism, determinism and changes at runtime."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.provider.models import ServiceType
from bot.sandbox.provider import UNKNOWN_TYPES, ProviderSimulator, build_catalogue

KEY = "sandbox-key"


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    sim = ProviderSimulator(key=KEY, clock=FakeClock(), seed=1)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def services(http: aiohttp.ClientSession, sim: ProviderSimulator) -> Any:
    assert sim.url is not None
    async with http.post(sim.url, data={"key": KEY, "action": "services"}) as response:
        assert response.status == 200
        return await response.json()


def test_catalogue_is_big_and_varied() -> None:
    catalogue = build_catalogue(1)
    assert len(catalogue) >= 150
    assert len({s.category for s in catalogue}) >= 20
    types = {s.type for s in catalogue}
    assert {t.value for t in ServiceType} <= types
    assert set(UNKNOWN_TYPES) <= types
    assert all(ServiceType.parse(t) is None for t in UNKNOWN_TYPES)
    defaults = [s for s in catalogue if s.type == "Default"]
    for platform in ("Instagram", "TikTok", "YouTube", "Telegram", "Facebook", "Spotify"):
        assert sum(s.category.startswith(platform) for s in defaults) >= 3, platform
    names = " ".join(s.name for s in catalogue)
    assert "Twitter" in names and re.search(r"\bX\b", names)
    assert any("Website Traffic" in s.category for s in catalogue)
    for flag in ("refill", "cancel", "dripfeed"):
        values = {getattr(s, flag) for s in catalogue}
        assert values == {True, False}, flag


def test_catalogue_is_deterministic_per_seed() -> None:
    assert build_catalogue(1) == build_catalogue(1)
    other = build_catalogue(2)
    assert len(other) == len(build_catalogue(1))
    assert other != build_catalogue(1)


@pytest.mark.parametrize("seed", [1, 2, 3, 42])
def test_every_flag_combination_exists_for_any_seed(seed: int) -> None:
    sim = ProviderSimulator(seed=seed)
    for refill in (True, False):
        for cancel in (True, False):
            for dripfeed in (True, False):
                service = sim.find_service(
                    ServiceType.DEFAULT, refill=refill, cancel=cancel, dripfeed=dripfeed
                )
                assert (service.refill, service.cancel, service.dripfeed) == (
                    refill,
                    cancel,
                    dripfeed,
                )


def test_find_service_raises_when_nothing_matches() -> None:
    sim = ProviderSimulator()
    with pytest.raises(LookupError):
        sim.find_service(ServiceType.PACKAGE, dripfeed=True)
    service = sim.find_service("Custom Data")
    assert sim.service(service.service_id) == sim.service(str(service.service_id))
    with pytest.raises(KeyError):
        sim.service(1)


async def test_services_reply_looks_like_a_panel(
    sim: ProviderSimulator, http: aiohttp.ClientSession
) -> None:
    listing = await services(http, sim)
    assert isinstance(listing, list) and len(listing) == len(sim.services)
    ids = [item["service"] for item in listing]
    assert all(isinstance(i, int) for i in ids) and ids == sorted(ids)
    for item in listing:
        assert {"service", "name", "type", "category", "rate", "min", "max"} <= item.keys()
        assert isinstance(item["rate"], str) and Decimal(item["rate"]) > 0
        assert re.fullmatch(r"\d+\.\d{2,4}", item["rate"])
        assert isinstance(item["min"], str) and int(item["min"]) <= int(item["max"])
    assert any("desc" in item for item in listing)
    assert any("description" in item for item in listing)
    assert any("refill" not in item for item in listing)
    assert any("cancel" not in item for item in listing)
    assert any(item.get("dripfeed") is True for item in listing)
    rates = {item["rate"] for item in listing}
    assert any(len(r.split(".")[1]) == 4 for r in rates)  # cheap ones like "0.0125"
    flat = [i for i in listing if ServiceType.parse(i["type"]) in (ServiceType.PACKAGE,)]
    assert flat and all(i["min"] == i["max"] == "1" for i in flat)


async def test_ids_as_numbers_changes_the_listing(
    sim: ProviderSimulator, http: aiohttp.ClientSession
) -> None:
    sim.faults.ids_as_numbers = True
    item = (await services(http, sim))[0]
    assert isinstance(item["min"], int) and isinstance(item["rate"], float)
    sim.faults.ids_as_numbers = False
    item = (await services(http, sim))[0]
    assert isinstance(item["service"], str) and isinstance(item["min"], str)


async def test_catalogue_changes_show_in_the_next_listing(
    sim: ProviderSimulator, http: aiohttp.ClientSession
) -> None:
    first, second = sim.services[0], sim.services[1]
    sim.remove_service(first.service_id)
    sim.change_service(second.service_id, rate="9.99", min=5, max=500, name="Renamed")
    listing = await services(http, sim)
    assert first.service_id not in {i["service"] for i in listing}
    changed = next(i for i in listing if i["service"] == second.service_id)
    assert (changed["rate"], changed["min"], changed["max"], changed["name"]) == (
        "9.99",
        "5",
        "500",
        "Renamed",
    )
    sim.set_catalogue(sim.services[:3])
    assert len(await services(http, sim)) == 3
    sim.set_catalogue([])
    assert await services(http, sim) == []
