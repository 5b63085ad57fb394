"""How the shop is doing over a period: customers, orders, money, from the database.

Money of orders is counted by the orders placed in the period, so the figures of one
period add up, and only by the settled ones (completed, partial, canceled, failed), whose
money is final: revenue is what customers paid less what went back to them (a canceled
order refunded in full earns nothing, a partial one what was kept). Open orders
(submitting, active, unknown) are shown by count and charge only. The provider cost is
the panel's own reported charge where it reported one (converted at CURRENCY_RATE), else
the cost computed at checkout; failed and canceled orders cost nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.enums import LedgerKind, OrderState
from bot.shop.money import Micro, round_up
from bot.shop.pricing import PricingConfig
from db.repositories.stats import OrderGroup, OrderMoney, StatsRepo, count_by_state
from db.uow import reads


class Period(StrEnum):
    TODAY = "today"
    WEEK = "7d"
    MONTH = "30d"
    ALL = "all"

    @classmethod
    def parse(cls, text: str | None) -> Period | None:
        """None for text that is not a period; no text at all is today."""
        if not text or not text.strip():
            return cls.TODAY
        try:
            return cls(text.strip().lower())
        except ValueError:
            return None

    def since(self, now: datetime) -> datetime | None:
        match self:
            case Period.TODAY:
                return now.replace(hour=0, minute=0, second=0, microsecond=0)
            case Period.WEEK:
                return now - timedelta(days=7)
            case Period.MONTH:
                return now - timedelta(days=30)
        return None


@dataclass(frozen=True, slots=True)
class TopService:
    service_id: int | None
    name: str
    orders: int
    revenue: Micro


@dataclass(frozen=True, slots=True)
class PanelMoney:
    """One panel's share of the period's orders (in the shop currency)."""

    name: str
    revenue: Micro  # of its settled orders, net of refunds
    cost: Micro
    open_orders: int = 0

    @property
    def profit(self) -> Micro:
        return self.revenue - self.cost


@dataclass(frozen=True, slots=True)
class Stats:
    period: Period
    since: datetime | None
    now: datetime
    currency: str
    customers: int
    new_customers: int
    active_customers: int  # placed an order in the period
    unreachable: int
    banned: int
    orders: dict[OrderState, int]
    charged: Micro  # settled orders' charges
    refunded: Micro  # what went back of them
    refunds: int  # settled orders with money refunded
    provider_cost: Micro
    top: tuple[TopService, ...]
    balances: Micro  # held on all wallets now
    holders: int  # customers with money on their wallet
    topups: Micro
    bonuses: Micro  # referral rewards and promo credits
    adjusted_in: Micro  # admins' credits
    adjusted_out: Micro  # admins' debits
    open_orders: int = 0  # submitting, active, unknown: not in the money yet
    open_charged: Micro = 0
    stars_refunds: int = 0  # payments Telegram refunded in the period
    stars_refunded: int = 0  # their Stars
    stars_taken_back: Micro = 0  # their credit, debited from wallets
    panels: tuple[PanelMoney, ...] = ()  # by panel, in a shop of several

    @property
    def revenue(self) -> Micro:
        """What customers paid for settled orders and kept paid: charges less refunds."""
        return self.charged - self.refunded

    @property
    def profit(self) -> Micro:
        return self.revenue - self.provider_cost

    @property
    def order_count(self) -> int:
        return sum(self.orders.values())

    @property
    def settled_orders(self) -> int:
        return sum(n for state, n in self.orders.items() if state.finished)


class StatsService:
    def __init__(
        self,
        repo: StatsRepo,
        clock: Clock,
        pricing: PricingConfig,
        panel_names: Mapping[int, str] | None = None,
    ) -> None:
        self.repo = repo
        self.clock = clock
        self.pricing = pricing
        self.panel_names = dict(panel_names or {})  # providers row id -> panel name

    @property
    def session(self) -> AsyncSession:
        return self.repo.session

    @classmethod
    def from_session(
        cls,
        session: AsyncSession,
        clock: Clock,
        pricing: PricingConfig,
        panel_names: Mapping[int, str] | None = None,
    ) -> StatsService:
        return cls(StatsRepo(session), clock, pricing, panel_names)

    def _by_panel(self, groups: list[OrderGroup]) -> tuple[PanelMoney, ...]:
        """Cost, revenue and profit per panel, when the shop has more than one."""
        if len(self.panel_names) < 2:
            return ()
        shares: list[PanelMoney] = []
        for provider_id, name in self.panel_names.items():
            got = OrderMoney.of_groups(g for g in groups if g.provider_id == provider_id)
            reported_shop = Decimal(got.reported) * self.pricing.rate_of(provider_id)
            cost = round_up(
                int(reported_shop.to_integral_value(rounding=ROUND_CEILING)) + got.expected,
                self.pricing.currency,
            )
            shares.append(PanelMoney(name, got.charged - got.refunded, cost, got.open_orders))
        return tuple(shares)

    @reads
    async def collect(self, period: Period) -> Stats:
        now = self.clock.now()
        since = period.since(now)
        total, new, active, unreachable, banned = await self.repo.customers(since)
        groups = await self.repo.order_groups(since)
        money = OrderMoney.of_groups(groups)
        stars_refunds, stars_refunded, stars_taken_back = await self.repo.stars_refunds(since)
        balances, holders = await self.repo.balances()
        ledger = await self.repo.ledger_by_kind(since)

        def credits(kind: LedgerKind) -> Micro:
            return ledger.get(kind, (0, 0))[0]

        return Stats(
            period=period,
            since=since,
            now=now,
            currency=self.pricing.currency,
            customers=total,
            new_customers=new,
            active_customers=active,
            unreachable=unreachable,
            banned=banned,
            orders=count_by_state(groups),
            charged=money.charged,
            refunded=money.refunded,
            refunds=money.refunds,
            # Shown in whole minor units, rounded up: a cost is never understated, and
            # revenue - cost = profit holds for the figures as shown.
            provider_cost=round_up(
                self._in_shop_currency(money.reported) + money.expected, self.pricing.currency
            ),
            top=tuple(TopService(*row) for row in await self.repo.top_services(since, groups)),
            balances=balances,
            holders=holders,
            topups=credits(LedgerKind.TOPUP),
            bonuses=credits(LedgerKind.REFERRAL) + credits(LedgerKind.PROMO),
            adjusted_in=credits(LedgerKind.ADJUSTMENT),
            adjusted_out=ledger.get(LedgerKind.ADJUSTMENT, (0, 0))[1],
            open_orders=money.open_orders,
            open_charged=money.open_charged,
            stars_refunds=stars_refunds,
            stars_refunded=stars_refunded,
            stars_taken_back=stars_taken_back,
            panels=self._by_panel(groups),
        )

    def _in_shop_currency(self, provider_amount: Micro) -> Micro:
        """A provider amount at CURRENCY_RATE, rounded up (a cost is never understated)."""
        value = Decimal(provider_amount) * self.pricing.currency_rate
        return int(value.to_integral_value(rounding=ROUND_CEILING)) if value else 0


__all__ = ["Period", "Stats", "StatsService", "TopService"]
