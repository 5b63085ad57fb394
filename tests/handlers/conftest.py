"""The handler tests' fixtures: `app` (a running shop), `admin` and `alice`.

A module (or test) says which shop it needs with a marker; without one it gets a plain
storefront with no admins:

    pytestmark = pytest.mark.shop("admin")        # an admin and an operators' chat
    pytestmark = pytest.mark.shop("stars")        # that, plus Stars top-ups and referrals
    pytestmark = pytest.mark.shop("admin", alice="100")  # alice starts with 100 USD
    pytestmark = pytest.mark.shop("admin", panels=("backup",))  # a second panel

`alice` starts with 50 USD in the admin shop and an empty wallet elsewhere.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.handlers.arrange import ADMIN, admin_shop, customer
from tests.handlers.stars import stars_env
from tests.harness import Customer, ShopApp, running_shop

KINDS = ("plain", "admin", "stars")


def _shop_marker(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    marker = request.node.get_closest_marker("shop")
    if marker is None:
        return "plain", None
    kind = marker.args[0] if marker.args else "plain"
    if kind not in KINDS:
        raise pytest.UsageError(f"shop marker: unknown kind {kind!r}, expected one of {KINDS}")
    default = "50" if kind == "admin" else None
    return kind, marker.kwargs.get("alice", default)


@pytest.fixture
async def app(
    engine: AsyncEngine, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[ShopApp]:
    kind, _ = _shop_marker(request)
    marker = request.node.get_closest_marker("shop")
    panels = tuple(marker.kwargs.get("panels", ())) if marker is not None else ()
    opened: AbstractAsyncContextManager[ShopApp]
    if kind == "admin":
        opened = admin_shop(engine, panels=panels)
    elif kind == "stars":
        stars_env(monkeypatch)
        opened = running_shop(engine, admin_ids=frozenset({ADMIN}), panels=panels)
    else:
        opened = running_shop(engine, panels=panels)
    async with opened as shop:
        yield shop


@pytest.fixture
async def admin(app: ShopApp) -> Customer:
    return await customer(app, ADMIN, first_name="Ada")


@pytest.fixture
async def alice(app: ShopApp, request: pytest.FixtureRequest) -> Customer:
    _, credit = _shop_marker(request)
    someone = await customer(app, 1001, username="alice")
    if credit is not None:
        await app.credit(someone, credit)
    return someone
