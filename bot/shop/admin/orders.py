"""Admins and orders: an order with its history, refreshing it from the panel, a
refund, resolving an `unknown` one (failed, or linked to the provider's id)."""

from __future__ import annotations

from bot.provider.errors import ProviderError, ProviderUnavailable
from bot.provider.models import ItemError
from bot.provider.models import OrderState as ProviderOrderState
from bot.shop.admin.base import AdminServiceBase
from bot.shop.admin.parsing import parse_provider_order_id
from bot.shop.admin.values import AdminOrder, OrderExtras, OrderRefund
from bot.shop.enums import OrderState
from bot.shop.errors import NotFound, TransitionNotAllowed
from bot.shop.money import Micro, format_amount
from bot.shop.orders.models import OrderDTO
from bot.shop.tracking import PanelDeclined, PanelUnavailable
from bot.shop.users import UserDTO
from bot.shop.wallet import LedgerEntryDTO
from db.uow import writes


class AdminOrders(AdminServiceBase):
    """`AdminService`'s use cases about orders."""

    @writes
    async def order(
        self, actor_id: int, order_id: int, *, action: str = "order", note: str | None = None
    ) -> AdminOrder:
        row = await self.order_rows.get(order_id)
        if row is None:
            raise NotFound("order", order_id)
        order = OrderDTO.of(row)
        customer = await self.users.get(order.user_id)
        view = AdminOrder(
            order=order,
            extras=OrderExtras.of(row),
            events=tuple(await self.orders.events(order_id)),
            customer=UserDTO.of(customer) if customer else None,
            ledger=tuple(LedgerEntryDTO.of(r) for r in await self.ledger.for_order(order_id)),
            panel_note=note,
        )
        await self.record(actor_id, action, target_type="order", target_id=order_id)
        return view

    async def refresh_order(self, actor_id: int, order_id: int) -> AdminOrder:
        """Ask the panel about the order now (no waiting period for admins)."""
        order = await self.orders.get(order_id)
        note = None
        if order.provider_order_id is not None and order.state is OrderState.ACTIVE:
            try:
                reply = await self.client_for(order.provider_id).order_status(
                    order.provider_order_id
                )
            except ProviderError as exc:
                note = exc.text
            except ProviderUnavailable as exc:
                note = exc.reason
            else:
                change = await self.orders.apply_provider_state(order_id, reply)
                note = change.rejected
        return await self.order(actor_id, order_id, action="order.refresh", note=note)

    @writes
    async def refund(self, actor_id: int, order_id: int) -> OrderRefund:
        """All that has not been refunded yet, once (AlreadyRefunded after that); refused
        for `submitting` and `unknown` orders (RefundNotAllowed): resolve those instead."""
        async with self.session.begin_nested():
            order = await self.orders.refund(order_id, actor_id=actor_id, note="admin refund")
            amount = await self._record_refund(actor_id, "refund", order)
        return OrderRefund(order, amount, await self._customer(order))

    @writes
    async def resolve_failed(self, actor_id: int, order_id: int) -> OrderRefund:
        """An `unknown` order the panel does not have: failed, the full charge back."""
        async with self.session.begin_nested():
            current = await self.order_rows.get(order_id, lock=True)
            if current is None:
                raise NotFound("order", order_id)
            if current.state is not OrderState.UNKNOWN:
                raise TransitionNotAllowed(order_id, current.state, OrderState.FAILED)
            order = await self.orders.mark_failed(
                order_id, error="not placed (checked by an admin)", actor_id=actor_id
            )
            amount = await self._record_refund(actor_id, "order.fail", order)
        return OrderRefund(order, amount, await self._customer(order))

    async def link(self, actor_id: int, order_id: int, provider_order_id: str) -> AdminOrder:
        """Attach the panel's order id to an `unknown` order; the poller follows it from now.

        The panel is asked about that id first: an id it does not know is refused
        (PanelDeclined), and nothing is linked while it is unreachable (PanelUnavailable).
        """
        provider_order_id = parse_provider_order_id(provider_order_id)
        order = await self.orders.get(order_id)
        if order.state is not OrderState.UNKNOWN:
            raise TransitionNotAllowed(order_id, order.state, OrderState.ACTIVE)
        try:
            reply = await self.client_for(order.provider_id).order_status(provider_order_id)
        except ProviderError as exc:
            raise PanelDeclined(exc.text) from None
        except ProviderUnavailable:
            raise PanelUnavailable() from None
        if isinstance(reply, ItemError):
            raise PanelDeclined(reply.message)
        await self._link(actor_id, order_id, provider_order_id, reply)
        return await self.order(actor_id, order_id, action="order")

    @writes
    async def _link(
        self, actor_id: int, order_id: int, provider_order_id: str, reply: ProviderOrderState
    ) -> None:
        async with self.session.begin_nested():
            await self.orders.mark_active(
                order_id,
                provider_order_id,
                provider_status=reply.raw_status,
                actor_id=actor_id,
                note="linked by an admin",
            )
            # Judged like any status reply: one the state machine does not trust leaves
            # the order linked and active, with a poll error counted.
            await self.orders.apply_provider_state(order_id, reply)
            await self.record(
                actor_id,
                "order.link",
                target_type="order",
                target_id=order_id,
                provider_order_id=provider_order_id,
            )

    async def _record_refund(self, actor_id: int, action: str, order: OrderDTO) -> Micro:
        """The audit row of a refund just made (its amount from the order's history)."""
        amount = await self._last_refund(order.id)
        await self.record(
            actor_id,
            action,
            target_type="order",
            target_id=order.id,
            amount=format_amount(amount, order.currency),
            currency=order.currency,
        )
        return amount

    async def _last_refund(self, order_id: int) -> Micro:
        events = await self.orders.events(order_id)
        return events[-1].refund if events else 0

    async def _customer(self, order: OrderDTO) -> UserDTO:
        return UserDTO.of(await self._find(order.user_id))


__all__ = ["AdminOrders"]
