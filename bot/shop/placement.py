"""Placing a confirmed order: pay, make it durable, then send `add` exactly once.

The debit and the order row are committed (the checkout use case) before the panel hears
of the order, and no transaction is open while `add` waits, so a crash after `add` can
never lose track of money: the order stays `submitting` and is
picked up by recovery. `add` is sent only by the checkout that created the order (a
double confirm finds the existing order) and is never retried.

Failover: a storefront service may have backups, other panels' services of the same type
(`/backup`). When the panel refuses DEFINITELY for a reason about the panel (it could not
be reached before the request was sent; no funds, the key, the IP, the API; the service
disabled or its id incorrect), the same paid order goes to the next backup: no new
charge. A backup whose cost would exceed what the customer paid is skipped, and operators
are told. After an `unknown` outcome there is no failover, ever: the first panel may have
the order. A panel paused, down or switched off is passed over before anything is sent.
Each attempt is an order event; operators get one alert per failover.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.provider.errors import (
    AccountIssue,
    OrderOutcomeUnknown,
    ProviderError,
    ProviderUnavailable,
)
from bot.provider.panels import Panel, PanelRegistry
from bot.provider.requests import PreparedAdd
from bot.shop.enums import OrderState
from bot.shop.errors import ProviderDown, ProviderOrderIdTaken, ProviderPaused
from bot.shop.money import Micro
from bot.shop.orders.models import Draft, OrderDTO
from bot.shop.orders.service import OrderService
from bot.shop.pricing import PricingConfig
from bot.shop.shop_settings import OrderingHold, ShopSettings
from db.repositories.backups import BackupRepo
from db.repositories.catalog import CatalogRepo
from db.repositories.orders import OrderRepo
from db.uow import reads, writes

log = logging.getLogger(__name__)
MAX_COST = 2**62  # a cost no charge reaches


class Outcome(StrEnum):
    PLACED = "placed"  # the panel returned an order id
    ALREADY = "already"  # this confirmation was placed before: nothing new happened
    REFUSED = "refused"  # the panel said no: failed, fully refunded
    UNAVAILABLE = "unavailable"  # the panel was not reachable: failed, fully refunded
    UNKNOWN = "unknown"  # sent, no answer: an admin resolves it


@dataclass(frozen=True, slots=True)
class Placement:
    order: OrderDTO
    outcome: Outcome
    panel_text: str | None = None  # the panel's own words, for operators
    # A refusal about the shop's account, not this order: ordering is paused for everyone.
    account_issue: AccountIssue | None = None

    @property
    def lacks_funds(self) -> bool:
        return self.account_issue is AccountIssue.NO_FUNDS


class PlacementAlerts(Protocol):
    """Where placement tells operators what happened (the outbox, in the same transaction
    as the order's new state)."""

    async def placed(self, order: OrderDTO) -> None: ...
    async def refused(self, order: OrderDTO, panel_text: str | None) -> None: ...
    async def unreachable(self, order: OrderDTO, reason: str | None) -> None: ...
    async def unknown(self, order: OrderDTO, reason: str | None) -> None: ...
    async def id_taken(self, order: OrderDTO, provider_order_id: str, other_id: int) -> None: ...
    async def paused(self, panel: str, order: OrderDTO | None = None) -> None: ...
    async def failed_over(self, order: OrderDTO, attempts: Sequence[str], panel: str) -> None: ...
    async def backup_too_dear(self, order: OrderDTO, panel: str, cost: Micro) -> None: ...


class _NoAlerts:
    async def placed(self, order: OrderDTO) -> None:
        return None

    async def refused(self, order: OrderDTO, panel_text: str | None) -> None:
        return None

    async def unreachable(self, order: OrderDTO, reason: str | None) -> None:
        return None

    async def unknown(self, order: OrderDTO, reason: str | None) -> None:
        return None

    async def id_taken(self, order: OrderDTO, provider_order_id: str, other_id: int) -> None:
        return None

    async def paused(self, panel: str, order: OrderDTO | None = None) -> None:
        return None

    async def failed_over(self, order: OrderDTO, attempts: Sequence[str], panel: str) -> None:
        return None

    async def backup_too_dear(self, order: OrderDTO, panel: str, cost: Micro) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A panel's service that may take the order: the service's own, or a backup."""

    panel: Panel
    service_id: int  # the storefront row behind it
    provider_id: int
    provider_service_id: str
    rate: Micro  # micro-units of the panel's currency per 1000 (per order when flat)
    primary: bool
    # The service's own price (its rate x its panel's currency rate), which the checkout's
    # cost was figured at: a backup's cost is that cost scaled by the two prices.
    primary_price: Decimal


@dataclass(frozen=True, slots=True)
class Plan:
    """Where an order of the service may go now, read before checkout."""

    known: bool  # the service exists (else checkout says what is wrong with it)
    candidates: list[Candidate]
    skipped: list[str]  # panels passed over, and why
    hold: OrderingHold | None  # the hold of the service's own panel


class PlacementService:
    def __init__(
        self,
        session: AsyncSession,
        orders: OrderService,
        panels: PanelRegistry,
        alerts: PlacementAlerts | None = None,
        pricing: PricingConfig | None = None,
    ) -> None:
        self.session = session
        self.orders = orders
        self.panels = panels
        self.alerts = alerts or _NoAlerts()
        self.pricing = pricing or orders.pricing

    async def place(self, draft: Draft) -> Placement:
        """Raises the checkout's domain errors (InsufficientFunds, PriceChanged ...)
        before anything is paid; afterwards every outcome is a Placement.

        ProviderPaused, before checkout, while no panel that sells the service can take
        orders (it refused the shop's account: funds, key, IP, API; no balance check has
        answered normally since; or an admin switched it off); ProviderDown while it is
        known not to answer (operators were told it is down): each order would be
        charged only to end `unknown` or refunded.
        """
        settings = ShopSettings.from_session(self.session, self.orders.clock)
        plan = await self._plan(draft.service_id, settings)
        candidates = plan.candidates
        if candidates and not candidates[0].primary:
            # Its own panel cannot take orders now: only backups that do not sell below
            # cost, known before anyone pays.
            candidates = [c for c in candidates if self._scaled(draft.cost, c) <= draft.charge]
        if not candidates and plan.known:
            if plan.hold is OrderingHold.DOWN or plan.hold is None:
                raise ProviderDown()
            raise ProviderPaused()
        result = await self.orders.checkout(draft)  # committed before the panel hears
        if not result.created:
            return Placement(result.order, Outcome.ALREADY)
        # The outcome (and its refund) is committed by its own use case before anyone is
        # told: a reply that then fails to reach Telegram cannot undo it.
        return await self._send(result.order, settings, candidates, plan.skipped)

    @reads
    async def _plan(self, service_id: int, settings: ShopSettings) -> Plan:
        """The panels that may take the service's orders now, in order (its own first,
        then its backups); why the others were passed over; the hold of its own panel."""
        primary = await CatalogRepo(self.session).get(service_id)
        if primary is None:
            return Plan(known=False, candidates=[], skipped=[], hold=None)
        # What checkout priced the order at (the same read).
        primary_price = Decimal(primary.rate) * self.pricing.rate_of(primary.provider_id)
        rows = [primary, *await BackupRepo(self.session).of(service_id)]
        candidates: list[Candidate] = []
        skipped: list[str] = []
        first_hold: OrderingHold | None = None
        for number, row in enumerate(rows):
            panel = self.panels.panel_for(row.provider_id)
            if panel is None:
                continue  # no longer configured
            if number > 0 and row.removed_at is not None:
                continue  # the backup is gone from its panel's list (hidden ones still serve)
            hold = await settings.ordering_hold(panel.name)
            if number == 0:
                first_hold = hold
            if hold is not None:
                skipped.append(f"{panel.name}: {hold.value}, passed over")
                continue
            candidates.append(
                Candidate(
                    panel,
                    row.id,
                    row.provider_id,
                    row.provider_service_id,
                    row.rate,
                    number == 0,
                    primary_price,
                )
            )
        return Plan(known=True, candidates=candidates, skipped=skipped, hold=first_hold)

    def _cost(self, order: OrderDTO, candidate: Candidate) -> Micro:
        """What the order would cost at the candidate, in the shop currency."""
        return order.cost if candidate.primary else self._scaled(order.cost, candidate)

    def _scaled(self, cost: Micro, candidate: Candidate) -> Micro:
        """The checkout's cost scaled by the two panels' prices (rate x currency rate),
        rounded up."""
        if candidate.primary:
            return cost
        theirs = Decimal(candidate.rate) * self.pricing.rate_of(candidate.provider_id)
        ours = candidate.primary_price
        if ours <= 0:
            return cost if theirs <= 0 else MAX_COST  # cannot compare: too dear
        return int((Decimal(cost) * theirs / ours).to_integral_value(rounding=ROUND_CEILING))

    async def _send(
        self,
        order: OrderDTO,
        settings: ShopSettings,
        candidates: list[Candidate],
        skipped: list[str],
    ) -> Placement:
        """`add`, exactly once per panel tried, with no transaction open; then the order's
        new state. The next candidate is tried only after a definite refusal about the
        panel; never after an unknown outcome."""
        attempts = list(skipped)
        if skipped:
            await self._note(order, skipped)
        last_error: ProviderError | None = None
        last_reason: str | None = None
        for number, candidate in enumerate(candidates):
            more = number + 1 < len(candidates)
            cost = self._cost(order, candidate)
            if cost > order.charge:
                line = f"{candidate.panel.name}: would cost more than was paid, skipped"
                attempts.append(line)
                await self._too_dear(order, candidate, cost, line)
                continue
            form = dict(order.fields)
            form["service"] = candidate.provider_service_id
            try:
                placed = await candidate.panel.client.add(PreparedAdd.of(form))
            except ProviderError as exc:
                if not exc.about_the_panel:
                    return await self._refused(order, exc, settings, candidate.panel, attempts)
                line = f"{candidate.panel.name}: refused ({exc.text[:200]})"
                attempts.append(line)
                if not more:
                    return await self._refused(order, exc, settings, candidate.panel, attempts)
                await self._attempt_failed(order, candidate, exc, line, settings)
                last_error, last_reason = exc, None
                continue
            except ProviderUnavailable as exc:
                # The connection was never made: the panel cannot have the order.
                line = f"{candidate.panel.name}: unreachable ({exc.reason[:200]})"
                attempts.append(line)
                if not more:
                    return await self._unreachable(order, exc.reason, attempts)
                await self._note(order, [line])
                last_error, last_reason = None, exc.reason
                continue
            except OrderOutcomeUnknown as exc:
                log.warning("order %s: outcome of add unknown: %s", order.id, exc.reason)
                return await self._unknown(order, exc.reason)
            except BaseException:
                # Anything else (a bug, a cancellation) leaves the order `submitting`:
                # recovery turns it `unknown` for an admin; it is never re-sent.
                log.exception("order %s: add interrupted", order.id)
                raise
            return await self._placed(order, placed.order_id, candidate, cost, attempts)
        # Every panel left was too dear for what the customer paid (or refused before).
        if last_error is not None:
            return await self._refused(order, last_error, settings, None, attempts)
        return await self._unreachable(
            order, last_reason or "no panel could take it at the price paid", attempts
        )

    @writes
    async def _note(self, order: OrderDTO, lines: Sequence[str]) -> None:
        """Attempts (and panels passed over) are events of the order."""
        repo = OrderRepo(self.session)
        now = self.orders.clock.now()
        for line in lines:
            await repo.add_event(
                order.id,
                from_state=OrderState.SUBMITTING,
                to_state=OrderState.SUBMITTING,
                at=now,
                note=f"attempt · {line}"[:500],
            )

    @writes
    async def _too_dear(
        self, order: OrderDTO, candidate: Candidate, cost: Micro, line: str
    ) -> None:
        await self._note(order, [line])
        await self.alerts.backup_too_dear(order, candidate.panel.name, cost)

    @writes
    async def _attempt_failed(
        self,
        order: OrderDTO,
        candidate: Candidate,
        exc: ProviderError,
        line: str,
        settings: ShopSettings,
    ) -> None:
        """A refusal about the panel, with a backup left: an event, and the panel paused
        when its account was refused (announced with the failover, or the final refusal)."""
        await self._note(order, [line])
        issue = exc.account_issue
        if issue is not None:
            need = order.cost if issue is AccountIssue.NO_FUNDS else None
            await settings.pause_panel(exc.text, need=need, cause=issue, panel=candidate.panel.name)

    async def _announce_pauses(
        self, settings: ShopSettings, order: OrderDTO, but: str | None = None
    ) -> None:
        """`order`: the one being placed when the pauses were met, named in their alerts."""
        for panel in self.panels:
            if panel.name != but:
                await self.alerts.paused(panel.name, order)

    @writes
    async def _refused(
        self,
        order: OrderDTO,
        exc: ProviderError,
        settings: ShopSettings,
        panel: Panel | None,
        attempts: Sequence[str] = (),
    ) -> Placement:
        failed = await self.orders.mark_failed(order.id, error=exc.text)
        issue = exc.account_issue
        if issue is not None and panel is not None:
            # About the shop's account, not this order: every order would be charged
            # and refused until it is fixed. Ordering pauses for everyone with one
            # alert naming the cause; the balance watch lifts it.
            need = order.cost if issue is AccountIssue.NO_FUNDS else None
            await settings.pause_panel(exc.text, need=need, cause=issue, panel=panel.name)
        if attempts or issue is not None:
            await self._announce_pauses(settings, failed)
        if issue is not None:
            return Placement(failed, Outcome.REFUSED, exc.text, account_issue=issue)
        await self.alerts.refused(failed, exc.text)
        return Placement(failed, Outcome.REFUSED, exc.text)

    @writes
    async def _unreachable(
        self, order: OrderDTO, reason: str | None, attempts: Sequence[str] = ()
    ) -> Placement:
        failed = await self.orders.mark_failed(order.id, error=reason)
        if attempts:
            settings = ShopSettings.from_session(self.session, self.orders.clock)
            await self._announce_pauses(settings, failed)
        await self.alerts.unreachable(failed, reason)
        return Placement(failed, Outcome.UNAVAILABLE, reason)

    @writes
    async def _unknown(self, order: OrderDTO, reason: str | None) -> Placement:
        unknown = await self.orders.mark_unknown(order.id, error=reason)
        await self.alerts.unknown(unknown, reason)
        return Placement(unknown, Outcome.UNKNOWN, reason)

    @writes
    async def _placed(
        self,
        order: OrderDTO,
        provider_order_id: str,
        candidate: Candidate,
        cost: Micro,
        attempts: Sequence[str],
    ) -> Placement:
        if not candidate.primary:
            # The order now belongs to the backup's panel, for life: its polling, refills
            # and cancels go there; its cost is what that panel charges.
            fields = dict(order.fields)
            fields["service"] = candidate.provider_service_id
            await OrderRepo(self.session).move_to_panel(
                order.id,
                provider_id=candidate.provider_id,
                provider_service_id=candidate.provider_service_id,
                rate=candidate.rate,
                cost=cost,
                fields=fields,
                now=self.orders.clock.now(),
            )
        try:
            active = await self.orders.mark_active(
                order.id,
                provider_order_id,
                note=None if candidate.primary else f"placed at {candidate.panel.name}",
            )
        except ProviderOrderIdTaken as taken:
            # The panel has an order for this one, under an id another of our orders
            # holds (a panel that reset its numbering): neither can be trusted to be
            # ours, so an admin decides, told which two orders clash.
            reason = f"panel order id {provider_order_id} is held by order #{taken.other_id}"
            log.warning("order %s: %s", order.id, reason)
            unknown = await self.orders.mark_unknown(order.id, error=reason)
            await self.alerts.id_taken(unknown, provider_order_id, taken.other_id)
            return Placement(unknown, Outcome.UNKNOWN, reason)
        if attempts:
            # One alert per failover; a panel paused on the way is named in it.
            settings = ShopSettings.from_session(self.session, self.orders.clock)
            for panel in self.panels:
                if panel.name != candidate.panel.name and await settings.panel_pause(panel.name):
                    await settings.mark_panel_pause_announced(panel.name)
            await self.alerts.failed_over(active, attempts, candidate.panel.name)
        else:
            await self.alerts.placed(active)
        return Placement(active, Outcome.PLACED)
