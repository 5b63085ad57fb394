"""Operators' alerts: provider faults seen by the jobs reach the operators' chat and show
in /provider; unexpected errors are rate limited (a storm: one alert, one summary)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from aiogram.types import ErrorEvent, Update

from bot.clock import FakeClock
from bot.jobs.balance import BalanceWatch
from bot.jobs.orders import StatusPoller
from bot.shop.admin_alerts import ErrorAlerts
from bot.shop.placement import Outcome
from handlers.admin_alerts import error_alerts, flush_error_alerts, report_unexpected
from tests.handlers.arrange import (
    LINK,
    OPERATORS,
    customer,
    default_service,
    outbox,
    place,
    user_id,
)
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("admin")


async def _alerts(app: ShopApp) -> list[str]:
    return [row.text for row in await outbox(app, OPERATORS)]


async def test_panel_down_and_back_reach_operators_and_provider(
    app: ShopApp, admin: Customer
) -> None:
    alice = await customer(app, 1001)
    await app.credit(alice, "50")
    order = await place(app, alice)
    poller = StatusPoller(app.deps, alert_after=2)
    app.sim.faults.html = True  # the panel's CDN answers a challenge page
    for _ in range(3):
        app.clock.advance(minutes=5)
        await poller.run_cycle()
    [down] = await _alerts(app)
    assert "The panel has not been answering since" in down
    await admin.send("/provider")
    assert "Balance unknown: the panel did not answer" in admin.last_text
    assert "Unreachable since" in admin.last_text

    app.sim.faults.html = False
    app.clock.advance(hours=1)
    await poller.run_cycle()
    assert "The panel answers again" in (await _alerts(app))[-1]
    await admin.send("/provider")
    assert "Unreachable since" not in admin.last_text
    assert f"Balance: <b>{app.sim.balance:f} USD</b>" in admin.last_text
    assert "Last successful poll: 2026-01-01 13:15 UTC" in admin.last_text
    await admin.send(f"/order {order.id}")
    assert "last checked 2026-01-01 13:15 UTC" in admin.last_text


async def test_low_balance_and_refused_order_reach_operators_and_provider(
    app: ShopApp, admin: Customer
) -> None:
    app.deps.settings.provider_balance_alert = Decimal(200_000)
    await BalanceWatch(app.deps).run()
    [low] = await _alerts(app)
    assert "The panel balance is low" in low
    await admin.send("/provider")
    assert "The panel's balance is low" in admin.last_text

    app.sim.balance = Decimal(0)  # the panel refuses orders for lack of funds
    alice = await customer(app, 1001)
    await app.credit(alice, "50")
    sid, minimum = await default_service(app)
    uid = await user_id(app, alice)
    async with app.shop() as shop:
        draft = await shop.orders.quote(uid, sid, {"link": LINK, "quantity": minimum})
        placement = await shop.placement.place(draft)
    assert placement.outcome is Outcome.REFUSED
    await BalanceWatch(app.deps).run()
    assert "The panel refused an order for lack of funds" in (await _alerts(app))[-1]
    await admin.send("/provider")
    assert "Ordering paused since" in admin.last_text
    await admin.send(f"/order {placement.order.id}")
    assert "— failed" in admin.last_text and "Error: " in admin.last_text


def test_error_alerts_storm_sends_one_alert_and_one_summary() -> None:
    clock = FakeClock()
    alerts = ErrorAlerts(clock, window=timedelta(minutes=5))
    first = alerts.record(KeyError("x"), update_id=1)
    assert first is not None and first.error == "KeyError: 'x'" and first.held_back == 0
    for n in range(999):
        clock.advance(0.1)
        error = ValueError("bad") if n % 3 else KeyError("y")
        assert alerts.record(error, update_id=n + 2) is None
    assert alerts.flush() is None  # the window is still open
    clock.advance(minutes=5)
    summary = alerts.flush()
    assert summary is not None and summary.error is None and summary.held_back == 999
    assert dict(summary.kinds) == {"ValueError": 666, "KeyError": 333}
    assert alerts.flush() is None
    assert alerts.record(RuntimeError("again")) is None  # within the summary's window
    clock.advance(minutes=6)
    late = alerts.record(RuntimeError("later"))
    assert late is not None and late.error == "RuntimeError: later" and late.held_back == 1


async def test_unexpected_errors_alert_operators_rate_limited(app: ShopApp) -> None:
    for n in range(50):
        event = ErrorEvent(update=Update(update_id=n + 1), exception=RuntimeError(f"boom {n}"))
        async with app.deps.session_factory() as session, session.begin():
            await report_unexpected(event, app.deps, app.dp, session)
    [first] = await _alerts(app)
    assert "Unexpected error (update 1)" in first and "RuntimeError: boom 0" in first
    assert error_alerts(app.dp, app.deps).held_back == 49
    assert not await flush_error_alerts(app.deps, app.dp)
    app.clock.advance(minutes=5)
    assert await flush_error_alerts(app.deps, app.dp)
    summary = (await _alerts(app))[-1]
    assert "49 more unexpected errors since" in summary and "RuntimeError ×49" in summary
    assert len(await _alerts(app)) == 2
