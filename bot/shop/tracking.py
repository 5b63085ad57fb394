"""What a customer can do with a placed order: look, refresh, refill, cancel.

Calls to the panel happen with no transaction open: each step that touches the database
is a use case of its own (a read before the call, a write after it), so no lock is held
while the panel answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.provider.client import ProviderClient
from bot.provider.errors import ProviderError, ProviderUnavailable
from bot.provider.models import RefillStatus
from bot.provider.panels import PanelRegistry
from bot.shop.enums import OrderState
from bot.shop.errors import ShopError
from bot.shop.orders.models import OrderDTO
from bot.shop.orders.service import OrderService
from bot.shop.usual_time import SAMPLE, UsualTime, usual_time
from db.models import Refill, ServiceRow
from db.repositories.catalog import CatalogRepo
from db.repositories.orders import OrderRepo
from db.repositories.refills import RefillRepo
from db.uow import reads, writes

REFRESH_EVERY = timedelta(seconds=30)
OPEN_REFILL = (RefillStatus.PENDING.value, RefillStatus.IN_PROGRESS.value)


class ActionNotAvailable(ShopError):
    """The order or its service does not allow this action now."""

    def __init__(self, action: str, order_id: int) -> None:
        super().__init__(action=action, order_id=order_id)
        self.action = action
        self.order_id = order_id


class PanelDeclined(ShopError):
    def __init__(self, text: str) -> None:
        super().__init__(text=text)
        self.text = text


class PanelUnavailable(ShopError):
    pass


class CancelAlreadyRequested(ShopError):
    """The customer asked to cancel this order already; the panel's answer is awaited."""

    def __init__(self, order_id: int) -> None:
        super().__init__(order_id=order_id)
        self.order_id = order_id


# A customer's cancel request is kept in the order's history: one row when it is sent,
# one more when the panel declines it (the order may be asked to cancel again then).
CANCEL_REQUESTED = "cancel requested by the customer"
CANCEL_DECLINED = "cancel request declined by the panel"


def _declined(error: ProviderError) -> ShopError:
    """A refusal about the shop's own account (key, IP, funds) is not the customer's
    business: to them the panel is just unavailable for now."""
    if error.account_issue is not None:
        return PanelUnavailable()
    return PanelDeclined(error.text)


@dataclass(frozen=True, slots=True)
class RefillView:
    id: int
    status: str
    created_at: object

    @classmethod
    def of(cls, row: Refill) -> RefillView:
        return cls(row.id, row.status, row.created_at)


@dataclass(frozen=True, slots=True)
class OrderView:
    order: OrderDTO
    refills: list[RefillView]
    can_refill: bool
    can_cancel: bool
    can_refresh: bool
    usual: UsualTime | None = None  # how long the service usually takes
    cancel_requested: bool = False  # asked, the panel's answer not seen yet


class OrderTracking:
    def __init__(
        self, session: AsyncSession, orders: OrderService, panels: PanelRegistry, clock: Clock
    ) -> None:
        self.session = session
        self.orders = orders
        self.panels = panels
        self.clock = clock
        self.catalog = CatalogRepo(session)
        self.refills = RefillRepo(session)
        self.order_rows = OrderRepo(session)

    def _client(self, order: OrderDTO) -> ProviderClient:
        """The order's own panel (orders keep their panel for life)."""
        client = self.panels.client_for(order.provider_id)
        if client is None:  # its panel is no longer configured
            raise PanelUnavailable()
        return client

    @reads
    async def view(self, user_id: int, order_id: int) -> OrderView:
        """The customer's own order (NotFound / NotYours otherwise) with what it allows."""
        order = await self.orders.get_for_user(user_id, order_id)
        refills = [RefillView.of(r) for r in await self.refills.for_order(order_id)]
        service = await self.catalog.get(order.service_id) if order.service_id else None
        open_refill = any(r.status in OPEN_REFILL for r in refills)
        requested = order.state is OrderState.ACTIVE and await self._cancel_pending(order_id)
        return OrderView(
            order=order,
            refills=refills,
            can_refill=bool(service and service.refill)
            and order.state is OrderState.COMPLETED
            and not open_refill,
            can_cancel=bool(service and service.cancel)
            and order.state is OrderState.ACTIVE
            and not requested,
            can_refresh=order.provider_order_id is not None and not order.state.finished,
            usual=await self._usual_time(order, service),
            cancel_requested=requested,
        )

    async def _cancel_pending(self, order_id: int) -> bool:
        notes = [
            e.note
            for e in await self.order_rows.events(order_id)
            if e.note in (CANCEL_REQUESTED, CANCEL_DECLINED)
        ]
        return bool(notes) and notes[-1] == CANCEL_REQUESTED

    async def _usual_time(self, order: OrderDTO, service: ServiceRow | None) -> UsualTime | None:
        if order.service_id is None:
            return None
        spans = await self.order_rows.completion_spans(order.service_id, limit=SAMPLE)
        return usual_time(spans, service.average_minutes if service is not None else None)

    async def refresh(self, user_id: int, order_id: int) -> tuple[OrderView, int]:
        """Ask the panel about the order, at most once per 30 s; (view, seconds to wait)."""
        view = await self.view(user_id, order_id)
        order = view.order
        if not view.can_refresh or order.provider_order_id is None:
            return view, 0
        now = self.clock.now()
        if order.last_checked_at and now - order.last_checked_at < REFRESH_EVERY:
            wait = REFRESH_EVERY - (now - order.last_checked_at)
            return view, max(1, int(wait.total_seconds()))
        try:
            reply = await self._client(order).order_status(order.provider_order_id)
        except ProviderError as exc:
            raise _declined(exc) from None
        except ProviderUnavailable:
            raise PanelUnavailable() from None
        # The state machine judges the reply: one it does not trust only counts as a
        # poll error, exactly as when the poller reads it.
        await self.orders.apply_provider_state(order_id, reply)
        return await self.view(user_id, order_id), 0

    async def refill(self, user_id: int, order_id: int) -> RefillView:
        view = await self.view(user_id, order_id)
        if not view.can_refill or view.order.provider_order_id is None:
            raise ActionNotAvailable("refill", order_id)
        try:
            created = await self._client(view.order).refill(view.order.provider_order_id)
        except ProviderError as exc:
            raise _declined(exc) from None
        except ProviderUnavailable:
            raise PanelUnavailable() from None
        return await self._record_refill(order_id, created.refill_id)

    @writes
    async def _record_refill(self, order_id: int, provider_refill_id: str | None) -> RefillView:
        row = await self.refills.add(
            order_id,
            status=RefillStatus.PENDING.value,
            now=self.clock.now(),
            provider_refill_id=provider_refill_id,
        )
        return RefillView.of(row)

    async def cancel(self, user_id: int, order_id: int) -> None:
        """Ask the panel to cancel, once; the refund follows when it reports Canceled or
        Partial. A second request while the first stands is CancelAlreadyRequested."""
        await self._claim_cancel(user_id, order_id)
        try:
            await self._send_cancel(user_id, order_id)
        except ShopError:
            await self._note_cancel(order_id, CANCEL_DECLINED)
            raise

    @writes
    async def _claim_cancel(self, user_id: int, order_id: int) -> None:
        await self.order_rows.get(order_id, lock=True)  # two taps at once: one waits here
        view = await self.view(user_id, order_id)
        if view.cancel_requested:
            raise CancelAlreadyRequested(order_id)
        if not view.can_cancel or view.order.provider_order_id is None:
            raise ActionNotAvailable("cancel", order_id)
        await self._note_cancel(order_id, CANCEL_REQUESTED)

    @writes
    async def _note_cancel(self, order_id: int, note: str) -> None:
        await self.order_rows.add_event(
            order_id,
            from_state=OrderState.ACTIVE,
            to_state=OrderState.ACTIVE,
            at=self.clock.now(),
            note=note,
        )

    async def _send_cancel(self, user_id: int, order_id: int) -> None:
        order = await self.orders.get_for_user(user_id, order_id)
        assert order.provider_order_id is not None
        try:
            results = await self._client(order).cancel([order.provider_order_id])
        except ProviderError as exc:
            raise _declined(exc) from None
        except ProviderUnavailable:
            raise PanelUnavailable() from None
        result = results.get(order.provider_order_id)
        if result is None or not result.accepted:
            raise PanelDeclined(result.error if result and result.error else "")
