"""The order state machine and its refunds:

    checkout (debit + insert, one transaction)            -> submitting
    submitting -> active | failed (full refund) | unknown
    unknown    -> active (an admin links the provider's id) | failed (full refund)
    active     -> completed | partial (remains share back) | canceled (full refund)

Each transition happens at most once (the order row is locked and the UPDATE names the
state it leaves) and its refund is written in the same transaction. Each public method
works inside a SAVEPOINT: a domain error leaves the database as it was, even when the
caller goes on using its transaction. Sending `add` to the provider is not done here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.provider.models import ItemError
from bot.provider.models import OrderState as ProviderOrderState
from bot.provider.models import OrderStatus as ProviderStatus
from bot.shop import settlement
from bot.shop.enums import LedgerKind, OrderState
from bot.shop.errors import (
    AlreadyRefunded,
    InvalidOrderField,
    NotFound,
    ProviderOrderIdTaken,
    RefundNotAllowed,
    RefundTooLarge,
    TransitionNotAllowed,
)
from bot.shop.money import Micro, check_positive
from bot.shop.orders.base import OrderServiceBase
from bot.shop.orders.models import OrderChange, OrderDTO
from bot.shop.pricing import refund_share
from db.models import Order
from db.uow import writes

log = logging.getLogger(__name__)

ALLOWED: Mapping[OrderState, frozenset[OrderState]] = {
    OrderState.SUBMITTING: frozenset({OrderState.ACTIVE, OrderState.FAILED, OrderState.UNKNOWN}),
    OrderState.UNKNOWN: frozenset({OrderState.ACTIVE, OrderState.FAILED}),
    OrderState.ACTIVE: frozenset({OrderState.COMPLETED, OrderState.PARTIAL, OrderState.CANCELED}),
}
# Orders whose fate is open: a manual refund must go through a transition instead.
_UNSETTLED = frozenset({OrderState.SUBMITTING, OrderState.UNKNOWN})
_PROVIDER_TEXT_MAX = 64


def refund_reference(order_id: int) -> str:
    """The ledger reference of the refund that ends an order: every path that refunds
    one (a transition, the poller's bulk settlement) writes this one, so it happens once."""
    return f"order:{order_id}:refund"


class OrderTransitions(OrderServiceBase):
    """`OrderService`'s transitions (`mark_*`, `apply_provider_state`) and refunds."""

    @writes
    async def mark_active(
        self,
        order_id: int,
        provider_order_id: str,
        *,
        provider_status: str | None = None,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> OrderDTO:
        """The provider accepted it (from submitting), or an admin linked it (from unknown).

        ProviderOrderIdTaken when another order of the same panel holds that id already:
        the unique (panel, panel order id) refuses the move, whether that order came
        long before or a moment ago, and the savepoint undoes it.
        """
        provider_order_id = str(provider_order_id).strip()
        if not provider_order_id or len(provider_order_id) > _PROVIDER_TEXT_MAX:
            raise InvalidOrderField("provider_order_id", "invalid")

        provider_id: int | None = None

        async def check(order: Order) -> None:
            nonlocal provider_id
            provider_id = order.provider_id

        try:
            change = await self._transition(
                order_id,
                OrderState.ACTIVE,
                values={
                    "provider_order_id": provider_order_id,
                    "provider_status": _clip(provider_status),
                    "error": None,
                },
                check=check,
                actor_id=actor_id,
                note=note,
            )
        except IntegrityError:
            # Another order holds the id (the unique index refused ours, no statement
            # spent asking first on every placement); the savepoint undid the move.
            other = (
                None
                if provider_id is None
                else await self.orders.by_provider_order_id(provider_id, provider_order_id)
            )
            if other is None or other.id == order_id:
                raise
            raise ProviderOrderIdTaken(order_id, provider_order_id, other.id) from None
        return change.order

    @writes
    async def mark_failed(
        self, order_id: int, *, error: str | None = None, actor_id: int | None = None
    ) -> OrderDTO:
        """The provider refused it, or an admin found an unknown one was never placed:
        the full charge goes back."""
        change = await self._transition(
            order_id,
            OrderState.FAILED,
            values={"error": error},
            refund=_full,
            actor_id=actor_id,
            note=error,
        )
        return change.order

    @writes
    async def mark_unknown(self, order_id: int, *, error: str | None = None) -> OrderDTO:
        """`add` was sent but its answer was lost: never retried, an admin decides."""
        change = await self._transition(
            order_id, OrderState.UNKNOWN, values={"error": error}, note=error
        )
        return change.order

    @writes
    async def mark_completed(self, order_id: int, **progress: Any) -> OrderDTO:
        """Delivered. `progress`: provider_status, start_count, remains, provider_charge,
        provider_currency, last_checked_at (None values are ignored)."""
        change = await self._transition(order_id, OrderState.COMPLETED, values=_progress(progress))
        return change.order

    @writes
    async def mark_partial(
        self, order_id: int, *, remains: int | None, **progress: Any
    ) -> OrderDTO:
        """Delivered but for `remains` units: their share of the charge goes back, rounded
        down, never more than was charged whatever the provider says."""
        change = await self._partial(order_id, remains, progress)
        return change.order

    @writes
    async def mark_canceled(
        self,
        order_id: int,
        *,
        actor_id: int | None = None,
        note: str | None = None,
        **progress: Any,
    ) -> OrderDTO:
        """Canceled (or refunded, or failed) at the provider: the full charge goes back."""
        change = await self._canceled(order_id, progress, actor_id=actor_id, note=note)
        return change.order

    async def _partial(
        self, order_id: int, remains: int | None, progress: Mapping[str, Any]
    ) -> OrderChange:
        def share(order: Order) -> Micro:
            return refund_share(order.charge, remains, order.quantity, order.currency)

        values = _progress({**progress, "remains": remains})
        return await self._transition(order_id, OrderState.PARTIAL, values=values, refund=share)

    async def _canceled(
        self,
        order_id: int,
        progress: Mapping[str, Any],
        *,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> OrderChange:
        return await self._transition(
            order_id,
            OrderState.CANCELED,
            values=_progress(progress),
            refund=_full,
            actor_id=actor_id,
            note=note,
        )

    @writes
    async def apply_provider_state(
        self, order_id: int, reply: ProviderOrderState | ItemError
    ) -> OrderChange:
        """Apply one `status` reply (as the validator left it) to an order: the one place
        that decides an order's fate from the panel's word (the poller, the customer's
        Refresh, the admin's refresh and link all come here).

        An item error, or a reply that cannot be true for this order (see
        `settlement.judge`), changes nothing but the order's poll error count (the poller
        flags the order after a few in a row) and comes back with `rejected` set. A
        finished status settles the order: transition and refund together, at most once
        (`settlement.ending`). Any other status, known or not, records the progress and
        the order keeps being polled. An order that is not active is left alone.
        """
        order = await self.orders.get(order_id)
        if order is None:
            raise NotFound("order", order_id)
        if order.state is not OrderState.ACTIVE:
            return OrderChange(OrderDTO.of(order), previous=order.state)
        facts = settlement.OrderFacts.of(order)
        problem = self.judge(facts, reply)
        if problem is not None:
            return await self.reject_reply(order_id, problem)
        assert isinstance(reply, ProviderOrderState)
        now = self.clock.now()
        values = _progress({**settlement.progress(facts, reply), "last_checked_at": now})
        end = settlement.ending(facts, reply, self.pricing.rate_of(order.provider_id))
        if end is None:
            if reply.status is ProviderStatus.UNRECOGNISED:
                log.warning("order %s: unrecognised provider status %r", order_id, reply.raw_status)
            await self.orders.record_progress([{"order_id": order_id, **values}], now=now)
            return OrderChange(await self._dto(order_id), previous=OrderState.ACTIVE)
        amount = end.refund
        try:
            return await self._transition(
                order_id,
                end.state,
                values=values,
                refund=(lambda _order: amount) if amount else None,
            )
        except TransitionNotAllowed:
            # A concurrent poll finished it first; this reply changes nothing.
            dto = await self._dto(order_id)
            return OrderChange(dto, previous=dto.state)

    def judge(
        self, order: settlement.OrderFacts, reply: ProviderOrderState | ItemError
    ) -> str | None:
        """Why the reply cannot be applied to the order, or None (for the poller, which
        records running orders' progress in bulk)."""
        if isinstance(reply, ItemError):
            return reply.message or "error"
        return settlement.judge(order, reply, self.pricing.rate_of(order.provider_id))

    @writes
    async def reject_reply(self, order_id: int, problem: str) -> OrderChange:
        """Count a reply that was not trusted as one more poll error in a row."""
        errors, _flagged = await self.orders.record_poll_error(
            order_id, problem, now=self.clock.now()
        )
        log.info("order %s: panel reply not applied (%d in a row): %s", order_id, errors, problem)
        dto = await self._dto(order_id)
        return OrderChange(dto, previous=dto.state, rejected=problem, poll_errors=errors)

    async def _transition(
        self,
        order_id: int,
        to_state: OrderState,
        *,
        values: Mapping[str, Any],
        refund: Any = None,
        check: Any = None,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> OrderChange:
        async with self.orders.savepoint():
            order = await self.orders.get(order_id, lock=True)
            if order is None:
                raise NotFound("order", order_id)
            from_state = order.state
            if to_state not in ALLOWED.get(from_state, frozenset()):
                raise TransitionNotAllowed(order_id, from_state, to_state)
            if check is not None:
                await check(order)
            amount = 0
            if refund is not None:
                # Whatever the provider reports, never give back more than is left.
                amount = max(0, min(int(refund(order)), order.charge - order.refunded))
            now = self.clock.now()
            changes = {**values, "updated_at": now, "refunded": order.refunded + amount}
            if to_state.finished:
                changes["finished_at"] = now
            moved = await self.orders.transition(
                order_id, from_state=from_state, to_state=to_state, **changes
            )
            if not moved:  # cannot happen under the row lock; kept as the last guard
                raise TransitionNotAllowed(order_id, from_state, to_state)
            reference = refund_reference(order_id)
            if amount and await self.wallet.entry(reference) is not None:
                # Only one transition ever refunds an order: this is a second one.
                raise AlreadyRefunded(order_id)
            if amount:
                await self.wallet.credit(
                    order.user_id,
                    amount,
                    LedgerKind.REFUND,
                    reference,
                    order_id=order_id,
                    actor_id=actor_id,
                    note=note,
                )
            await self.orders.add_event(
                order_id,
                from_state=from_state,
                to_state=to_state,
                at=now,
                refund=amount,
                note=note,
                actor_id=actor_id,
            )
        # The guarded UPDATE ("fetch") set its values on the locked row: it is the
        # order as it now is, with no second read.
        return OrderChange(OrderDTO.of(order), previous=from_state, refund=amount)

    # ------------------------------------------------------------------ manual refunds

    @writes
    async def refund(
        self,
        order_id: int,
        amount: Micro | None = None,
        *,
        actor_id: int,
        note: str | None = None,
    ) -> OrderDTO:
        """An admin gives back `amount` (all that is left when None) of a settled order.

        The state does not change; the refund is recorded in the order's history.
        Raises InvalidAmount, NotFound, RefundNotAllowed (submitting or unknown: resolve
        it instead), AlreadyRefunded, RefundTooLarge.
        """
        if amount is not None:
            check_positive(amount)
        async with self.orders.savepoint():
            order = await self.orders.get(order_id, lock=True)
            if order is None:
                raise NotFound("order", order_id)
            if order.state in _UNSETTLED:
                raise RefundNotAllowed(order_id, order.state)
            available = order.charge - order.refunded
            if available <= 0:
                raise AlreadyRefunded(order_id)
            give = available if amount is None else amount
            if give > available:
                raise RefundTooLarge(order_id, requested=give, available=available)
            total = order.refunded + give
            now = self.clock.now()
            await self.orders.update(order_id, refunded=total, updated_at=now)
            await self.wallet.credit(
                order.user_id,
                give,
                LedgerKind.REFUND,
                # The running total makes each manual refund's reference unique.
                f"order:{order_id}:refund:{total}",
                order_id=order_id,
                actor_id=actor_id,
                note=note,
            )
            await self.orders.add_event(
                order_id,
                from_state=order.state,
                to_state=order.state,
                at=now,
                refund=give,
                note=note,
                actor_id=actor_id,
            )
        return await self._dto(order_id)


# ---------------------------------------------------------------------- helpers


def _full(order: Order) -> Micro:
    return order.charge


def _clip(text: str | None) -> str | None:
    return None if text is None else str(text)[:_PROVIDER_TEXT_MAX]


_PROGRESS_FIELDS = frozenset(
    {
        "provider_status",
        "start_count",
        "remains",
        "provider_charge",
        "provider_currency",
        "last_checked_at",
    }
)


def _progress(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - _PROGRESS_FIELDS
    if unknown:
        raise TypeError(f"unexpected progress fields {sorted(unknown)}")
    out = {k: v for k, v in values.items() if v is not None}
    if "provider_status" in out:
        out["provider_status"] = _clip(out["provider_status"])
    return out


__all__ = ["ALLOWED", "OrderTransitions", "refund_reference"]
