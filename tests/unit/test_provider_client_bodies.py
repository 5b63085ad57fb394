"""Whatever a panel sends back, the client answers with its own results or its own errors."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.provider.client import ProviderClient
from bot.provider.errors import OrderOutcomeUnknown, ProviderFailure, ProviderUnavailable
from bot.provider.models import (
    AddResult,
    Balance,
    CancelResult,
    ItemError,
    OrderState,
    RefillCreated,
    RefillState,
    Service,
    ServiceListing,
)
from bot.provider.requests import DefaultAdd

SECRET = "sk_live_9f8e7d6c5b4a"


class ScriptedPanel:
    """An HTTP server that answers every call with the body a test sets."""

    def __init__(self) -> None:
        self.status = 200
        self.body: bytes = b"{}"
        self.content_type = "application/json"
        self.seen_user_agents: list[str] = []
        self.seen_forms: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.seen_user_agents.append(request.headers.get("User-Agent", ""))
        self.seen_forms.append(dict(await request.post()))  # type: ignore[arg-type]
        return web.Response(status=self.status, body=self.body, content_type=self.content_type)


@pytest.fixture(scope="module")
def panel_loop() -> Iterator[tuple[asyncio.AbstractEventLoop, ScriptedPanel, ProviderClient]]:
    loop = asyncio.new_event_loop()
    panel = ScriptedPanel()
    app = web.Application()
    app.router.add_post("/api/v2", panel.handle)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]

    async def no_sleep(_: float) -> None:
        return None

    client = ProviderClient(
        f"http://127.0.0.1:{port}/api/v2", SECRET, timeout=5, retries=1, sleep=no_sleep
    )
    yield loop, panel, client
    loop.run_until_complete(client.close())
    loop.run_until_complete(runner.cleanup())
    loop.close()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["Completed", "abc", "0.90", "Incorrect order ID"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "1",
                    "2",
                    "error",
                    "status",
                    "order",
                    "refill",
                    "cancel",
                    "charge",
                    "remains",
                    "balance",
                    "service",
                    "rate",
                    "min",
                    "max",
                    "data",
                    "type",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=60),
    st.sampled_from(
        [
            b"<html><body>Checking your browser...</body></html>",
            b'{"order": 1',
            b"",
            b"null",
            b'[{"service": 1, "rate": "abc"}]',
            b'{"1": {"status": "Partial", "remains": "1e400000"}, "2": {"status": "Completed"}}',
            b'{"status": "Completed", "start_count": "99999999999999999999"}',
            b'{"balance": 1e400000, "currency": "USD"}',
            b'{"order": 777001, "error": null}',
            b'Deprecated: x in /var/www/api.php on line 3\n{"order": 23501}\n<!-- -->',
            b'{"status": "error", "message": "Too many requests"}',
            b'{"cancel": {"status": "Success"}}',
            b"[" * 5000,
        ]
    ),
)

RESULT_TYPES = (
    Service,
    OrderState,
    ItemError,
    RefillCreated,
    RefillState,
    CancelResult,
    Balance,
    AddResult,
)


def _check(value: Any) -> None:
    if isinstance(value, ServiceListing):
        assert all(isinstance(v, Service) for v in value)
    elif isinstance(value, dict):
        assert all(isinstance(v, RESULT_TYPES) for v in value.values())
    else:
        assert isinstance(value, RESULT_TYPES)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies, status=st.sampled_from([200, 200, 200, 403, 500, 502]))
def test_arbitrary_bodies_give_results_or_client_errors(
    panel_loop: tuple[asyncio.AbstractEventLoop, ScriptedPanel, ProviderClient],
    body: bytes,
    status: int,
) -> None:
    loop, panel, client = panel_loop
    panel.body, panel.status = body, status
    calls = [
        client.services(),
        client.status("1"),
        client.statuses(["1", "2"]),
        client.refill("1"),
        client.refills(["1", "2"]),
        client.refill_status("1"),
        client.refill_statuses(["1"]),
        client.cancel(["1", "2"]),
        client.balance(),
        client.add(DefaultAdd("1", link="https://instagram.com/p/x", quantity=100)),
    ]
    for call in calls:
        try:
            _check(loop.run_until_complete(call))
        except ProviderFailure as exc:
            assert SECRET not in str(exc)


def test_html_page_is_unavailable_and_add_is_unknown(
    panel_loop: tuple[asyncio.AbstractEventLoop, ScriptedPanel, ProviderClient],
) -> None:
    loop, panel, client = panel_loop
    panel.status, panel.body = 503, b"<!DOCTYPE html><title>Just a moment...</title>"
    with pytest.raises(ProviderUnavailable) as info:
        loop.run_until_complete(client.balance())
    assert "HTTP 503" in str(info.value)
    with pytest.raises(OrderOutcomeUnknown):
        loop.run_until_complete(client.add(DefaultAdd("1", link="https://a.b/c", quantity=10)))


def test_key_never_in_logs_errors_or_repr(
    panel_loop: tuple[asyncio.AbstractEventLoop, ScriptedPanel, ProviderClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop, panel, client = panel_loop
    caplog.set_level(logging.DEBUG)
    texts: list[str] = [repr(client)]
    # A panel that echoes the request back, key included, in an error page.
    panel.status, panel.body = 500, f"<html>key={SECRET}</html>".encode()
    for call in (client.balance(), client.add(DefaultAdd("1", link="https://a.b/c", quantity=1))):
        try:
            loop.run_until_complete(call)
        except ProviderFailure as exc:
            texts += [str(exc), repr(exc)]
    panel.status, panel.body = 200, f"not json {SECRET}".encode()
    try:
        loop.run_until_complete(client.services())
    except ProviderFailure as exc:
        texts += [str(exc), repr(exc)]
    texts += [record.getMessage() for record in caplog.records]
    assert texts and all(SECRET not in text for text in texts)
    assert panel.seen_forms[-1]["key"] == SECRET  # it was sent, just never shown


def test_browser_user_agent_and_form_encoding(
    panel_loop: tuple[asyncio.AbstractEventLoop, ScriptedPanel, ProviderClient],
) -> None:
    loop, panel, client = panel_loop
    panel.status, panel.body = 200, b'{"balance": "12.5", "currency": "USD"}'
    assert loop.run_until_complete(client.balance()).currency == "USD"
    assert panel.seen_user_agents[-1].startswith("Mozilla/5.0")
    assert panel.seen_forms[-1]["action"] == "balance"


def test_connection_refused_add_is_unavailable_not_unknown() -> None:
    async def go() -> None:
        async def no_sleep(_: float) -> None:
            return None

        async with ProviderClient(
            "http://127.0.0.1:9/api/v2", SECRET, retries=0, sleep=no_sleep
        ) as client:
            with pytest.raises(ProviderUnavailable) as info:
                await client.add(DefaultAdd("1", link="https://a.b/c", quantity=10))
            assert SECRET not in str(info.value)

    asyncio.run(go())
