"""Placing a confirmed order: pay, make it durable, then send `add` exactly once.

The debit and the order row are committed (the checkout use case) before the panel hears
of the order, and no transaction is open while `add` waits, so a crash after `add` can
never lose track of money: the order stays `submitting` and is
picked up by recovery. `add` is sent only by the checkout that created the order (a
double confirm finds the existing order) and is never retried.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.provider.client import ProviderClient
from bot.provider.errors import (
    AccountIssue,
    OrderOutcomeUnknown,
    ProviderError,
    ProviderUnavailable,
)
from bot.provider.requests import PreparedAdd
from bot.shop.errors import ProviderDown, ProviderOrderIdTaken, ProviderPaused
from bot.shop.orders.models import Draft, OrderDTO
from bot.shop.orders.service import OrderService
from bot.shop.shop_settings import OrderingHold, ShopSettings
from db.uow import writes

log = logging.getLogger(__name__)


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
    async def paused(self) -> None: ...


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

    async def paused(self) -> None:
        return None


class PlacementService:
    def __init__(
        self,
        session: AsyncSession,
        orders: OrderService,
        provider: ProviderClient,
        alerts: PlacementAlerts | None = None,
    ) -> None:
        self.session = session
        self.orders = orders
        self.provider = provider
        self.alerts = alerts or _NoAlerts()

    async def place(self, draft: Draft) -> Placement:
        """Raises the checkout's domain errors (InsufficientFunds, PriceChanged ...)
        before anything is paid; afterwards every outcome is a Placement.

        ProviderPaused, before checkout, while the panel cannot take orders (it refused
        the shop's account: funds, key, IP, API; no balance check has answered normally
        since); ProviderDown while it is known not to answer (operators were told it is
        down): each order would be charged only to end `unknown` or refunded.
        """
        settings = ShopSettings.from_session(self.session, self.orders.clock)
        hold = await settings.ordering_hold()
        if hold in (OrderingHold.PAUSED, OrderingHold.OFF):
            raise ProviderPaused()
        if hold is OrderingHold.DOWN:
            raise ProviderDown()
        result = await self.orders.checkout(draft)  # committed before the panel hears
        if not result.created:
            return Placement(result.order, Outcome.ALREADY)
        # The outcome (and its refund) is committed by its own use case before anyone is
        # told: a reply that then fails to reach Telegram cannot undo it.
        return await self._send(result.order, settings)

    async def _send(self, order: OrderDTO, settings: ShopSettings) -> Placement:
        """`add`, exactly once, with no transaction open; then the order's new state."""
        request = PreparedAdd.of(order.fields)
        try:
            placed = await self.provider.add(request)
        except ProviderError as exc:
            return await self._refused(order, exc, settings)
        except ProviderUnavailable as exc:
            # The connection was never made: the panel cannot have the order.
            return await self._unreachable(order, exc.reason)
        except OrderOutcomeUnknown as exc:
            log.warning("order %s: outcome of add unknown: %s", order.id, exc.reason)
            return await self._unknown(order, exc.reason)
        except BaseException:
            # Anything else (a bug, a cancellation) leaves the order `submitting`:
            # recovery turns it `unknown` for an admin; it is never re-sent.
            log.exception("order %s: add interrupted", order.id)
            raise
        return await self._placed(order, placed.order_id)

    @writes
    async def _refused(
        self, order: OrderDTO, exc: ProviderError, settings: ShopSettings
    ) -> Placement:
        failed = await self.orders.mark_failed(order.id, error=exc.text)
        issue = exc.account_issue
        if issue is not None:
            # About the shop's account, not this order: every order would be charged
            # and refused until it is fixed. Ordering pauses for everyone with one
            # alert naming the cause; the balance watch lifts it.
            need = order.cost if issue is AccountIssue.NO_FUNDS else None
            await settings.pause_panel(exc.text, need=need, cause=issue)
            await self.alerts.paused()
            return Placement(failed, Outcome.REFUSED, exc.text, account_issue=issue)
        await self.alerts.refused(failed, exc.text)
        return Placement(failed, Outcome.REFUSED, exc.text)

    @writes
    async def _unreachable(self, order: OrderDTO, reason: str | None) -> Placement:
        failed = await self.orders.mark_failed(order.id, error=reason)
        await self.alerts.unreachable(failed, reason)
        return Placement(failed, Outcome.UNAVAILABLE, reason)

    @writes
    async def _unknown(self, order: OrderDTO, reason: str | None) -> Placement:
        unknown = await self.orders.mark_unknown(order.id, error=reason)
        await self.alerts.unknown(unknown, reason)
        return Placement(unknown, Outcome.UNKNOWN, reason)

    @writes
    async def _placed(self, order: OrderDTO, provider_order_id: str) -> Placement:
        try:
            active = await self.orders.mark_active(order.id, provider_order_id)
        except ProviderOrderIdTaken as taken:
            # The panel has an order for this one, under an id another of our orders
            # holds (a panel that reset its numbering): neither can be trusted to be
            # ours, so an admin decides, told which two orders clash.
            reason = f"panel order id {provider_order_id} is held by order #{taken.other_id}"
            log.warning("order %s: %s", order.id, reason)
            unknown = await self.orders.mark_unknown(order.id, error=reason)
            await self.alerts.id_taken(unknown, provider_order_id, taken.other_id)
            return Placement(unknown, Outcome.UNKNOWN, reason)
        await self.alerts.placed(active)
        return Placement(active, Outcome.PLACED)
