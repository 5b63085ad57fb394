"""The daily summary for the operators' chat (DAILY_REPORT_HOUR): the 24 hours up to that
hour, UTC. With the hour 0 that is the previous calendar day.

Figures of orders are those of the orders placed in the window. Revenue, cost and profit
count settled orders only (completed, partial, canceled, failed: refunds of those are
done), so later refunds cannot change them; open orders (submitting, active, unknown)
are shown by count and charge. Cost is the panel's reported charge at CURRENCY_RATE
where it reported one, else the cost computed at checkout, rounded up to the minor unit.
Refunds are the ledger's refund rows written in the window (for orders of any day);
Stars refunds are the payments Telegram refunded in the window. Open support tickets
(open or answered) are counted as they stand when the report is made.

"Once a day" comes from a settings row holding the end of the last window reported and
the outbox row's dedupe key (`daily-report:<date>`): a restart, a second replica or a
second run in the same hour queues nothing new. When the bot was down at the hour, the
report that fell due last is sent when it is up again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.enums import LedgerKind, OrderState
from bot.shop.money import Micro, round_up
from bot.shop.pricing import PricingConfig
from db.repositories.reports import ReportRepo
from db.repositories.settings import SettingsRepo
from db.repositories.tickets import TicketRepo
from db.uow import writes

LAST_KEY = "daily_report:last"  # the end of the last window reported, ISO 8601
TOP = 3
OPEN_STATES = (OrderState.SUBMITTING, OrderState.ACTIVE, OrderState.UNKNOWN)


def due_window(hour: int, now: datetime) -> tuple[datetime, datetime]:
    """The last window that has ended by `now`: 24 hours up to the latest `hour`:00 UTC."""
    now = now.astimezone(UTC)
    end = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if end > now:
        end -= timedelta(days=1)
    return end - timedelta(days=1), end


def dedupe_key(end: datetime) -> str:
    return f"daily-report:{end.astimezone(UTC):%Y-%m-%dT%H}"


@dataclass(frozen=True, slots=True)
class TopLine:
    name: str
    orders: int
    revenue: Micro


@dataclass(frozen=True, slots=True)
class DailyReport:
    start: datetime
    end: datetime
    currency: str
    orders: int  # placed in the window
    settled: int
    open: int
    open_charged: Micro
    failed: int  # failed or canceled (refunded in full)
    revenue: Micro  # of settled orders: charges less refunds
    cost: Micro
    refunds: int  # order refunds written in the window
    refunded: Micro
    stars_refunds: int
    stars: int  # Stars given back
    stars_refunded: Micro  # the credit taken back for them
    topups: Micro
    new_customers: int
    top: tuple[TopLine, ...]
    # Support tickets open or answered when the report is made (not a figure of the window).
    open_tickets: int = 0

    @property
    def profit(self) -> Micro:
        return self.revenue - self.cost


class DailyReportService:
    def __init__(self, session: AsyncSession, clock: Clock, pricing: PricingConfig) -> None:
        self.session = session
        self.clock = clock
        self.pricing = pricing
        self.repo = ReportRepo(session)
        self.settings = SettingsRepo(session)

    @writes
    async def take_due(self, hour: int) -> DailyReport | None:
        """The report that fell due last, if it was not reported yet; it counts as reported
        when this use case commits (the caller queues it in the same transaction)."""
        start, end = due_window(hour, self.clock.now())
        last = await self.settings.get(LAST_KEY)
        if last is not None and datetime.fromisoformat(last) >= end:
            return None
        await self.settings.set(LAST_KEY, end.isoformat(), now=self.clock.now())
        return await self.collect(start, end)

    async def collect(self, start: datetime, end: datetime) -> DailyReport:
        by_state = await self.repo.orders_by_state(start, end)
        moves = await self.repo.ledger_moves(start, end)
        settled = {s: v for s, v in by_state.items() if s.finished}
        opened = {s: v for s, v in by_state.items() if s in OPEN_STATES}
        reported = sum(v[3] for v in settled.values())
        expected = sum(v[4] for v in settled.values())
        refunds = moves.get((LedgerKind.REFUND, True), (0, 0))
        stars_refunds, stars, stars_refunded = await self.repo.stars_refunds(start, end)
        return DailyReport(
            start=start,
            end=end,
            currency=self.pricing.currency,
            orders=sum(v[0] for v in by_state.values()),
            settled=sum(v[0] for v in settled.values()),
            open=sum(v[0] for v in opened.values()),
            open_charged=sum(v[1] - v[2] for v in opened.values()),
            failed=sum(by_state.get(s, (0,))[0] for s in (OrderState.FAILED, OrderState.CANCELED)),
            revenue=sum(v[1] - v[2] for v in settled.values()),
            cost=round_up(self._in_shop_currency(reported) + expected, self.pricing.currency),
            refunds=refunds[0],
            refunded=refunds[1],
            stars_refunds=stars_refunds,
            stars=stars,
            stars_refunded=stars_refunded,
            topups=moves.get((LedgerKind.TOPUP, True), (0, 0))[1],
            new_customers=await self.repo.new_customers(start, end),
            top=tuple(TopLine(*row) for row in await self.repo.top_services(start, end, limit=TOP)),
            open_tickets=await TicketRepo(self.session).count_unclosed(),
        )

    def _in_shop_currency(self, provider_amount: Micro) -> Micro:
        value = Decimal(provider_amount) * self.pricing.currency_rate
        return int(value.to_integral_value(rounding=ROUND_CEILING)) if value else 0


__all__ = ["DailyReport", "DailyReportService", "TopLine", "dedupe_key", "due_window"]
