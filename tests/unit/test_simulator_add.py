"""`add` on the simulated panel: every type, its validation, and the balance it spends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import ROUND_UP, Decimal
from typing import Any

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.provider.models import ServiceType
from bot.sandbox.provider import ProviderSimulator, SimService

KEY = "sandbox-key"
T = ServiceType
LINK = "https://instagram.com/p/Cx1abc"


class Client:
    """Form-encoded API v2 calls over real HTTP."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url

    async def __call__(self, action: str, *, key: str = KEY, **fields: Any) -> Any:
        data = {"key": key, "action": action, **{k: str(v) for k, v in fields.items()}}
        async with self.session.post(self.url, data=data) as response:
            assert response.status == 200
            return await response.json()


@pytest.fixture
async def sim() -> AsyncIterator[ProviderSimulator]:
    sim = ProviderSimulator(key=KEY, clock=FakeClock(), seed=1)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def api(sim: ProviderSimulator) -> AsyncIterator[Client]:
    assert sim.url is not None
    async with aiohttp.ClientSession() as session:
        yield Client(session, sim.url)


def valid_fields(service: SimService) -> dict[str, str]:
    """A correct `add` form for the service's type, at its minimum quantity."""
    q = str(service.min)
    lines = "\n".join(f"line {i}" for i in range(service.min))
    kind = service.service_type
    by_type: dict[ServiceType | None, dict[str, str]] = {
        T.DEFAULT: {"link": LINK, "quantity": q},
        T.PACKAGE: {"link": LINK},
        T.CUSTOM_COMMENTS: {"link": LINK, "comments": lines},
        T.CUSTOM_COMMENTS_PACKAGE: {"link": LINK, "comments": lines},
        T.SEO: {"link": LINK, "quantity": q, "keywords": "smm panel\ncheap likes"},
        T.MENTIONS: {"link": LINK, "quantity": q, "usernames": "alice\nbob"},
        T.MENTIONS_WITH_HASHTAGS: {
            "link": LINK,
            "quantity": q,
            "usernames": "alice\nbob",
            "hashtags": "#smm\n#growth",
        },
        T.MENTIONS_CUSTOM_LIST: {"link": LINK, "usernames": lines},
        T.MENTIONS_HASHTAG: {"link": LINK, "quantity": q, "hashtag": "#smm"},
        T.MENTIONS_USER_FOLLOWERS: {"link": LINK, "quantity": q, "username": "alice"},
        T.MENTIONS_MEDIA_LIKERS: {
            "link": LINK,
            "quantity": q,
            "media": "https://instagram.com/p/xyz",
        },
        T.COMMENT_LIKES: {"link": LINK, "quantity": q, "username": "alice"},
        T.COMMENT_REPLIES: {"link": LINK, "username": "alice", "comments": lines},
        T.POLL: {"link": "https://t.me/channel/12", "quantity": q, "answer_number": "2"},
        T.INVITES_FROM_GROUPS: {"link": "t.me/mygroup", "quantity": q, "groups": "t.me/a\nt.me/b"},
        T.SUBSCRIPTIONS: {
            "username": "alice",
            "min": q,
            "max": str(service.max),
            "delay": "30",
            "posts": "4",
        },
    }
    return by_type.get(kind, {"link": LINK, "quantity": q})  # unknown types: like Default


def expected_cost(service: SimService, fields: dict[str, str]) -> Decimal:
    step = Decimal("0.00001")
    if service.service_type is T.SUBSCRIPTIONS:
        sub_units = int(fields["max"]) * int(fields.get("posts", 1))
        return (service.rate * sub_units / 1000).quantize(step, rounding=ROUND_UP)
    if service.flat_price:
        return service.rate
    units = fields.get("quantity") or len(
        (fields.get("comments") or fields["usernames"]).splitlines()
    )
    return (service.rate * int(units) / 1000).quantize(step, rounding=ROUND_UP)


ALL_TYPES = [*ServiceType, "Custom Data", "Web Traffic Geo"]


@pytest.mark.parametrize("kind", ALL_TYPES, ids=str)
async def test_add_every_type_spends_its_cost(
    sim: ProviderSimulator, api: Client, kind: ServiceType | str
) -> None:
    service = sim.find_service(kind)
    fields = valid_fields(service)
    before = sim.balance
    reply = await api("add", service=service.service_id, **fields)
    assert isinstance(reply["order"], int)
    order = sim.orders[str(reply["order"])]
    assert order.cost == expected_cost(service, fields)
    assert sim.balance == before - order.cost
    assert order.fields["service"] == str(service.service_id)


@pytest.mark.parametrize("kind", list(ServiceType), ids=str)
async def test_add_refuses_each_missing_field(
    sim: ProviderSimulator, api: Client, kind: ServiceType
) -> None:
    service = sim.find_service(kind)
    fields = valid_fields(service)
    optional = {"posts"}
    for name in set(fields) - optional:
        partial = {k: v for k, v in fields.items() if k != name}
        reply = await api("add", service=service.service_id, **partial)
        assert reply == {"error": "Incorrect request"}, name
    assert sim.orders == {}


async def test_order_ids_ascend_from_a_realistic_start(sim: ProviderSimulator, api: Client) -> None:
    service = sim.find_service(T.DEFAULT)
    fields = valid_fields(service)
    ids = [(await api("add", service=service.service_id, **fields))["order"] for _ in range(3)]
    assert ids == [23501, 23502, 23503]


@pytest.mark.parametrize(
    "link",
    [
        "https://www.tiktok.com/@user/video/1",
        "http://example.org",
        "t.me/channel",
        "@some_handle",
        "instagram.com/p/abc",
    ],
)
async def test_add_accepts_link_forms(sim: ProviderSimulator, api: Client, link: str) -> None:
    service = sim.find_service(T.DEFAULT)
    reply = await api("add", service=service.service_id, link=link, quantity=service.min)
    assert "order" in reply


@pytest.mark.parametrize(
    "link", ["hello world", "not a link", "https://", "ftp://example.org/x", "@", "javascript:1"]
)
async def test_add_refuses_garbage_links(sim: ProviderSimulator, api: Client, link: str) -> None:
    service = sim.find_service(T.DEFAULT)
    reply = await api("add", service=service.service_id, link=link, quantity=service.min)
    assert reply == {"error": "Incorrect link"}


async def test_add_quantity_limits_and_service_errors(sim: ProviderSimulator, api: Client) -> None:
    service = sim.find_service(T.DEFAULT)
    sid = service.service_id
    assert await api("add", service=sid, link=LINK, quantity=service.min - 1) == {
        "error": f"Quantity less than minimal {service.min}"
    }
    assert await api("add", service=sid, link=LINK, quantity=service.max + 1) == {
        "error": f"Quantity more than maximum {service.max}"
    }
    assert await api("add", service=sid, link=LINK, quantity="ten") == {
        "error": "Incorrect request"
    }
    assert await api("add", service=99999, link=LINK, quantity=100) == {
        "error": "Incorrect service ID"
    }
    assert await api("add", link=LINK, quantity=100) == {"error": "Incorrect request"}
    assert sim.orders == {}


async def test_custom_comments_quantity_is_the_number_of_lines(
    sim: ProviderSimulator, api: Client
) -> None:
    service = sim.find_service(T.CUSTOM_COMMENTS)
    comments = "\r\n".join(f"Great post {i}!" for i in range(12)) + "\r\n\r\n"
    reply = await api("add", service=service.service_id, link=LINK, comments=comments)
    order = sim.orders[str(reply["order"])]
    assert order.quantity == 12
    assert order.cost == (service.rate * 12 / 1000).quantize(Decimal("0.00001"), ROUND_UP)
    few = "\n".join(["nice"] * (service.min - 1))
    assert await api("add", service=service.service_id, link=LINK, comments=few) == {
        "error": f"Quantity less than minimal {service.min}"
    }


async def test_subscriptions_validation(sim: ProviderSimulator, api: Client) -> None:
    service = sim.find_service(T.SUBSCRIPTIONS)
    base = valid_fields(service)

    async def add(**changes: str) -> Any:
        return await api("add", service=service.service_id, **(base | changes))

    assert await add(delay="7") == {"error": "Incorrect delay"}
    assert await add(min=str(service.min - 1)) == {
        "error": f"Quantity less than minimal {service.min}"
    }
    assert await add(max=str(service.max + 1)) == {
        "error": f"Quantity more than maximum {service.max}"
    }
    assert await add(min=str(service.max), max=str(service.min)) == {"error": "Incorrect request"}
    assert await add(expiry="2026-12-31") == {"error": "Incorrect expiry date"}
    assert await add(expiry="31/12/2020") == {"error": "Incorrect expiry date"}
    assert "order" in await add(expiry="31/12/2026", old_posts="3")
    unlimited = {k: v for k, v in base.items() if k != "posts"}
    reply = await api("add", service=service.service_id, **unlimited)
    assert sim.orders[str(reply["order"])].cost == expected_cost(service, unlimited)


async def test_dripfeed_runs_multiply_the_quantity(sim: ProviderSimulator, api: Client) -> None:
    drip = sim.find_service(T.DEFAULT, dripfeed=True)
    reply = await api(
        "add", service=drip.service_id, link=LINK, quantity=drip.min, runs=5, interval=30
    )
    order = sim.orders[str(reply["order"])]
    assert order.quantity == drip.min * 5
    assert order.cost == (drip.rate * drip.min * 5 / 1000).quantize(Decimal("0.00001"), ROUND_UP)
    assert await api("add", service=drip.service_id, link=LINK, quantity=drip.min, runs=5) == {
        "error": "Incorrect request"
    }
    plain = sim.find_service(T.DEFAULT, dripfeed=False)
    reply = await api(
        "add", service=plain.service_id, link=LINK, quantity=plain.min, runs=5, interval=30
    )
    assert reply == {"error": "Drip-feed is disabled for this service"}


async def test_funds_are_checked_against_the_cost(sim: ProviderSimulator, api: Client) -> None:
    service = sim.find_service(T.DEFAULT)
    cost = expected_cost(service, {"quantity": str(service.max)})
    sim.balance = cost - Decimal("0.00001")
    reply = await api("add", service=service.service_id, link=LINK, quantity=service.max)
    assert reply == {"error": "Not enough funds on balance"}
    assert sim.orders == {} and sim.balance == cost - Decimal("0.00001")
    sim.balance = cost
    assert "order" in await api("add", service=service.service_id, link=LINK, quantity=service.max)
    assert sim.balance == 0
    assert await api("balance") == {"balance": "0.00000", "currency": "USD"}


async def test_key_and_action_are_checked(sim: ProviderSimulator, api: Client) -> None:
    assert await api("balance", key="wrong") == {"error": "Invalid API key"}
    assert await api("launch") == {"error": "Incorrect request"}
    assert await api("") == {"error": "Incorrect request"}
    assert await api("balance") == {"balance": "1000.00000", "currency": "USD"}
    assert sim.calls["balance"] == 2 and sim.calls["launch"] == 1


async def test_json_body_is_accepted(sim: ProviderSimulator, api: Client) -> None:
    service = sim.find_service(T.DEFAULT)
    body = {
        "key": KEY,
        "action": "add",
        "service": service.service_id,
        "link": LINK,
        "quantity": service.min,
    }
    async with api.session.post(api.url, json=body) as response:
        reply = await response.json()
    assert reply == {"order": 23501}
    async with api.session.post(
        api.url, json={"key": KEY, "action": "status", "orders": [23501, 1]}
    ) as response:
        statuses = await response.json()
    assert statuses["23501"]["status"] == "Pending"
    assert statuses["1"] == {"error": "Incorrect order ID"}
