"""DAILY_REPORT_HOUR: the daily summary's figures from a seeded database, the window it
covers, and "once per window" across runs and restarts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.jobs.daily_report import send_daily_report
from bot.shop.daily_report import due_window
from bot.shop.money import round_up
from bot.texts.format import money
from tests.handlers.arrange import ADMIN, OPERATORS, customer, outbox, place, user_id
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("admin", alice="100")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hour", "now", "window"),
    [
        (9, at(2, 9, 30), (at(1, 9), at(2, 9))),
        (9, at(2, 9), (at(1, 9), at(2, 9))),
        (9, at(2, 8, 59), (datetime(2025, 12, 31, 9, tzinfo=UTC), at(1, 9))),
        (0, at(2, 0, 5), (at(1, 0), at(2, 0))),
        (23, at(2, 22), (datetime(2025, 12, 31, 23, tzinfo=UTC), at(1, 23))),
    ],
)
def test_the_window_is_the_24_hours_up_to_the_hour(
    hour: int, now: datetime, window: tuple[datetime, datetime]
) -> None:
    assert due_window(hour, now) == window


async def _reports(app: ShopApp) -> list[str]:
    return [row.text for row in await outbox(app, OPERATORS) if "Daily report" in row.text]


async def test_the_report_figures_from_a_seeded_shop(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    app.deps.settings.daily_report_hour = 9
    app.clock.set(at(1, 8))  # before the window
    early = await place(app, alice)
    app.clock.set(at(1, 13))
    completed = await place(app, alice)
    partial = await place(app, alice)
    canceled = await place(app, alice)
    active = await place(app, alice)
    async with app.shop() as shop:
        completed = await shop.orders.mark_completed(completed.id, provider_charge=123_456)
        partial = await shop.orders.mark_partial(partial.id, remains=partial.quantity // 2)
        canceled = await shop.orders.mark_canceled(canceled.id)
    app.clock.set(at(1, 14))
    await customer(app, 1002, first_name="Bob")
    app.clock.set(at(2, 8, 59))
    await admin.send(f"/refund {early.id}")  # a refund in the window, of an older order
    await admin.click("Yes, refund")
    app.clock.set(at(2, 9))
    after = await place(app, alice)  # the next window's

    # Support tickets: one open, one answered, one closed (two are still someone's).
    uid = await user_id(app, alice)
    async with app.shop() as shop:
        tickets = [
            (await shop.support.open(uid, order_id=None, text=f"help {n}", photo=None)).view
            for n in range(3)
        ]
        await shop.support.answered(
            tickets[1].ticket.id,
            operator_id=ADMIN,
            text="on it",
            photo=None,
            chat_id=OPERATORS,
            operator_message_id=1,
        )
        await shop.support.close(tickets[2].ticket.id, actor_id=ADMIN)

    app.clock.set(at(2, 9, 5))
    assert await send_daily_report(app.deps) is True
    [text] = await _reports(app)
    usd = lambda amount: money(amount, "USD")  # noqa: E731
    revenue = completed.charge + (partial.charge - partial.refunded)
    cost = round_up(123_456 + partial.cost, "USD")
    assert text.splitlines() == [
        "📊 <b>Daily report</b>, 2026-01-01 09:00 UTC – 2026-01-02 09:00 UTC",
        f"Orders placed: 4 (3 settled, 1 open for {usd(active.charge)})",
        f"Settled orders: revenue {usd(revenue)}, cost {usd(cost)}, "
        f"profit <b>{usd(revenue - cost)}</b>",
        f"Refunds: 3 for {usd(partial.refunded + canceled.charge + early.charge)}",
        "Stars refunds: 0 (0 ⭐, 0.00 USD taken back)",
        "Top-ups: 0.00 USD",
        "New customers: 3",  # Ada and Alice (at 12:00) and Bob
        "Open support tickets: 2 (/tickets)",
        "Top services:",
        f"1. {completed.service_name}: 3 orders, {usd(revenue + active.charge)}",
    ]
    # Once per window: a second run, a restart (nothing is held in memory), later the
    # same day.
    assert await send_daily_report(app.deps) is False
    app.clock.set(at(3, 8, 59))
    assert await send_daily_report(app.deps) is False
    assert len(await _reports(app)) == 1
    app.clock.set(at(3, 9))
    assert await send_daily_report(app.deps) is True
    second = (await _reports(app))[-1]
    assert "2026-01-02 09:00 UTC – 2026-01-03 09:00 UTC" in second
    assert f"Orders placed: 1 (0 settled, 1 open for {usd(after.charge)})" in second


async def test_no_hour_or_no_operators_chat_means_no_report(app: ShopApp) -> None:
    assert app.deps.settings.daily_report_hour is None
    assert await send_daily_report(app.deps) is False
    app.deps.settings.daily_report_hour = 9
    app.deps.settings.operator_chat_id = None
    assert await send_daily_report(app.deps) is False
    assert await outbox(app) == []


async def test_the_report_is_in_the_shops_language(app: ShopApp) -> None:
    app.deps.settings.daily_report_hour = 0
    app.deps.settings.default_locale = "ru"
    app.deps.i18n.default_locale = "ru"
    app.clock.set(at(2, 0, 1))
    assert await send_daily_report(app.deps) is True
    [row] = await outbox(app, OPERATORS)
    assert row.text.startswith("📊 <b>Ежедневный отчёт</b>")


async def test_the_job_is_scheduled_only_with_an_hour(app: ShopApp) -> None:
    from bot.app import add_admin_jobs
    from bot.jobs import create_jobs

    def periodic() -> list[str]:
        jobs = create_jobs(app.deps, app.bot)
        add_admin_jobs(jobs, app.deps, app.dp)
        return [job_id for job_id, *_ in jobs._periodic]

    assert "admin.daily_report" not in periodic()
    app.deps.settings.daily_report_hour = 7
    assert "admin.daily_report" in periodic()
