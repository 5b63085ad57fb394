"""The API v2 actions: form in, JSON-ready reply out, panel-shaped errors as ApiError."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.clock import Clock

from . import errors
from .add_form import parse_add
from .book import OrderBook
from .catalog import Catalogue
from .dialects import Dialect, spell_order_status, spell_refill_status
from .errors import ApiError
from .faults import SimulatorFaults
from .state import SimOrder
from .wire import Wire

MAX_IDS = 100
EMPTY_CATALOGUE = {"status": "success", "data": "Empty Data"}

Form = Mapping[str, str]


class Api:
    """Answers one action at the clock's current time."""

    def __init__(
        self,
        catalogue: Catalogue,
        book: OrderBook,
        clock: Clock,
        currency: str,
        dialects: frozenset[Dialect] = frozenset(),
    ) -> None:
        self.catalogue = catalogue
        self.book = book
        self.clock = clock
        self.currency = currency
        self.dialects = dialects
        self._actions: dict[str, Callable[[Form, Wire, SimulatorFaults], Any]] = {
            "services": self.services,
            "add": self.add,
            "status": self.status,
            "refill": self.refill,
            "refill_status": self.refill_status,
            "cancel": self.cancel,
            "balance": self.balance,
        }

    def handle(self, action: str, form: Form, faults: SimulatorFaults) -> Any:
        handler = self._actions.get(action)
        if handler is None:
            raise ApiError(errors.INCORRECT_REQUEST)
        if action == "refill_status" and Dialect.NO_REFILL_STATUS in self.dialects:
            raise ApiError(errors.INCORRECT_REQUEST)  # an API without the action
        self.book.settle(self.clock.now())
        numbers = False if Dialect.STRING_IDS in self.dialects else faults.ids_as_numbers
        wire = Wire(numbers, faults.bare_string_item_errors)
        return handler(form, wire, faults)

    def _flat_single(self, faults: SimulatorFaults) -> bool:
        return faults.single_id_flat or Dialect.FLAT_SINGLE in self.dialects

    # -- actions ----------------------------------------------------------------

    def services(self, form: Form, wire: Wire, faults: SimulatorFaults) -> Any:
        if faults.empty_catalogue_object:
            return dict(EMPTY_CATALOGUE)
        return [service.to_wire(wire) for service in self.catalogue]

    def add(self, form: Form, wire: Wire, faults: SimulatorFaults) -> Any:
        now = self.clock.now()
        plan = parse_add(form, self.catalogue, now.date())
        order = self.book.create(plan, form, now, reject_duplicates=faults.reject_duplicate_links)
        return {"order": wire.number(order.order_id, default_number=True)}

    def status(self, form: Form, wire: Wire, faults: SimulatorFaults) -> Any:
        if "orders" in form:
            ids = _ids(form["orders"])
            if len(ids) == 1 and faults.flat_status_error:
                return {"status": "error", "message": faults.flat_status_error}
            if len(ids) == 1 and self._flat_single(faults):
                order = self.book.order(ids[0])
                if order is None and Dialect.FLAT_SINGLE in self.dialects:
                    # The flat error object some panels answer for one unknown id.
                    return {"status": "error", "message": errors.INCORRECT_ORDER}
                return self._order_status(self._order(ids[0]), wire)
            out: dict[str, Any] = {}
            for raw in ids:
                order = self.book.order(raw)
                out[raw] = (
                    self._order_status(order, wire)
                    if order is not None
                    else wire.item_error(errors.INCORRECT_ORDER)
                )
            return out
        return self._order_status(self._order(_single(form, "order")), wire)

    def refill(self, form: Form, wire: Wire, faults: SimulatorFaults) -> Any:
        now = self.clock.now()
        if "orders" in form:
            items = []
            for raw in _ids(form["orders"]):
                try:
                    refill = self.book.request_refill(self._order(raw), now)
                    result = wire.number(refill.refill_id, default_number=True)
                except ApiError as error:
                    result = wire.item_error(error.text)
                items.append({"order": _echo(raw, wire), "refill": result})
            return items
        refill = self.book.request_refill(self._order(_single(form, "order")), now)
        return {"refill": wire.number(refill.refill_id)}

    def refill_status(self, form: Form, wire: Wire, faults: SimulatorFaults) -> Any:
        now = self.clock.now()
        if "refills" in form:
            items = []
            for raw in _ids(form["refills"]):
                refill = self.book.refill(raw)
                status = (
                    self._refill_word(refill.status(now))
                    if refill is not None
                    else wire.item_error(errors.REFILL_NOT_FOUND)
                )
                items.append({"refill": _echo(raw, wire), "status": status})
            return items
        refill = self.book.refill(_single(form, "refill"))
        if refill is None:
            raise ApiError(errors.REFILL_NOT_FOUND)
        return {"status": self._refill_word(refill.status(now))}

    def cancel(self, form: Form, wire: Wire, faults: SimulatorFaults) -> Any:
        now = self.clock.now()
        if "orders" in form:
            ids = _ids(form["orders"])
            items = []
            for raw in ids:
                try:
                    self.book.cancel(self._order(raw), now)
                    result = self._cancel_taken(wire)
                except ApiError as error:
                    result = wire.item_error(error.text)
                items.append({"order": _echo(raw, wire), "cancel": result})
            if len(ids) == 1 and Dialect.CANCEL_OBJECT in self.dialects:
                return {"cancel": items[0]["cancel"]}  # the flat answer for one id
            return items
        # Not in the protocol table, but some panels take a single `order` too.
        self.book.cancel(self._order(_single(form, "order")), now)
        return {"cancel": self._cancel_taken(wire)}

    def balance(self, form: Form, wire: Wire, faults: SimulatorFaults) -> Any:
        amount = faults.balance_text or wire.amount(self.book.balance)
        return {"balance": amount, "currency": self.currency}

    # -- helpers ----------------------------------------------------------------

    def _order(self, raw: str) -> SimOrder:
        order = self.book.order(raw)
        if order is None:
            raise ApiError(errors.INCORRECT_ORDER)
        return order

    def _order_status(self, order: SimOrder, wire: Wire) -> dict[str, Any]:
        view = order.view(self.clock.now())
        status = view.status
        if Dialect.SPELLINGS in self.dialects:
            status = spell_order_status(status)
        reply: dict[str, Any] = {
            "charge": wire.amount(view.charge),
            "start_count": wire.number(view.start_count),
            "status": status,
            "remains": wire.number(view.remains),
            "currency": self.currency,
        }
        if Dialect.SUBSCRIPTION_POSTS in self.dialects and view.posts is not None:
            reply["posts"] = wire.number(view.posts)
        if order.raw:
            reply.update(order.raw)
            reply = {key: value for key, value in reply.items() if value is not None}
        return reply

    def _refill_word(self, status: str) -> str:
        return spell_refill_status(status) if Dialect.SPELLINGS in self.dialects else status

    def _cancel_taken(self, wire: Wire) -> Any:
        if Dialect.CANCEL_OBJECT in self.dialects:
            return {"status": "Success"}
        return wire.number(1, default_number=True)


def _single(form: Form, name: str) -> str:
    value = str(form.get(name, "")).strip()
    if not value:
        raise ApiError(errors.INCORRECT_REQUEST)
    return value


def _ids(text: str) -> list[str]:
    """Ids of a multi call, in the order asked, without repeats; at most MAX_IDS."""
    ids = list(dict.fromkeys(part.strip() for part in str(text).split(",") if part.strip()))
    if not ids:
        raise ApiError(errors.INCORRECT_REQUEST)
    if len(ids) > MAX_IDS:
        raise ApiError(errors.TOO_MANY_IDS)
    return ids


def _echo(raw: str, wire: Wire) -> int | str:
    """An id the client sent, given back as panels do: a number when it is one."""
    return wire.number(int(raw), default_number=True) if raw.isascii() and raw.isdigit() else raw
