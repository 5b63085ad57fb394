"""Panel: the simulated SMM panel itself, catalogue, balance, orders and refills, with no HTTP.

The HTTP face (app.py) serves a Panel; ProviderSimulator puts the two together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from bot.clock import Clock, SystemClock
from bot.provider.models import ServiceType

from .actions import Api
from .book import OrderBook
from .catalog import Catalogue, SimService
from .dialects import Dialect, NullErrors, parse_dialects
from .faults import SimulatorFaults
from .seeded_catalogue import build_catalogue
from .state import OrderView, SimOrder, SimRefill


class Panel:
    """One simulated panel: catalogue, balance, orders and refills, and the test controls.

    Everything moves with `clock` (a FakeClock in tests); outcomes are drawn from `seed`
    and the order id, so a seed replays the same story. `partial_share` and
    `cancel_share` are the odds that an order ends Partial or Canceled by itself.
    """

    def __init__(
        self,
        key: str = "sandbox-key",
        clock: Clock | None = None,
        seed: int = 1,
        balance: Decimal | str | int = Decimal("1000"),
        currency: str = "USD",
        *,
        faults: SimulatorFaults | None = None,
        catalogue: Iterable[SimService] | None = None,
        partial_share: float = 0.10,
        cancel_share: float = 0.05,
        reject_share: float = 0.15,
        first_order_id: int = 23501,
        dialects: Iterable[Dialect | str] = (),
    ) -> None:
        self.key = key
        self.clock: Clock = clock or SystemClock()
        self.seed = seed
        self.currency = currency
        self.faults = faults or SimulatorFaults()
        self.dialects = parse_dialects(dialects)
        self.null_errors = NullErrors()
        self.calls: Counter[str] = Counter()
        self.catalogue = Catalogue(build_catalogue(seed) if catalogue is None else catalogue)
        self.book = OrderBook(
            seed=seed,
            balance=Decimal(balance),
            first_order_id=first_order_id,
            partial_share=partial_share,
            cancel_share=cancel_share,
            reject_share=reject_share,
            keeps_delivered=Dialect.PARTIAL_CANCEL in self.dialects,
        )
        self.api = Api(self.catalogue, self.book, self.clock, currency, self.dialects)

    # -- money --------------------------------------------------------------------

    @property
    def balance(self) -> Decimal:
        self.book.settle(self.clock.now())
        return self.book.balance

    @balance.setter
    def balance(self, value: Decimal) -> None:
        self.book.balance = Decimal(value)

    # -- catalogue ----------------------------------------------------------------

    @property
    def services(self) -> list[SimService]:
        return list(self.catalogue)

    def service(self, service_id: int | str) -> SimService:
        service = self.catalogue.get(service_id)
        if service is None:
            raise KeyError(service_id)
        return service

    def find_service(
        self,
        type: ServiceType | str | None = None,
        *,
        refill: bool | None = None,
        cancel: bool | None = None,
        dripfeed: bool | None = None,
        category: str | None = None,
    ) -> SimService:
        return self.catalogue.find(
            type, refill=refill, cancel=cancel, dripfeed=dripfeed, category=category
        )

    def set_catalogue(self, services: Iterable[SimService]) -> None:
        self.catalogue.replace(services)

    def remove_service(self, service_id: int | str) -> None:
        self.catalogue.remove(service_id)

    def change_service(self, service_id: int | str, **changes: Any) -> SimService:
        """Change fields of a service (rate=Decimal(...), min=, max=, name=, refill=, ...)."""
        if "rate" in changes:
            changes["rate"] = Decimal(changes["rate"])
        return self.catalogue.change(service_id, **changes)

    # -- orders -------------------------------------------------------------------

    @property
    def orders(self) -> dict[str, SimOrder]:
        return self.book.orders

    @property
    def refills(self) -> dict[str, SimRefill]:
        return self.book.refills

    def order(self, order_id: int | str) -> SimOrder:
        order = self.book.order(order_id)
        if order is None:
            raise KeyError(order_id)
        return order

    def renumber(self, next_order_id: int) -> None:
        """Number new orders from `next_order_id` on, as a panel that reset its numbering:
        ids already handed out may come again."""
        self.book.renumber(next_order_id)

    def view(self, order_id: int | str) -> OrderView:
        """What `status` would report for the order now."""
        return self.order(order_id).view(self.clock.now())

    def script(
        self,
        order_id: int | str,
        status: str = "Partial",
        remains: int | None = None,
        *,
        posts: int | None = None,
    ) -> None:
        """Make the order report `status` from now on (until scripted again).

        `remains` defaults to half the quantity for Partial, all of it for Canceled /
        Refunded / Failed, 0 for Completed. The balance follows: a Partial credits the
        undelivered share back, a Canceled the whole charge (with the `partial-cancel`
        dialect, the share of `remains`). `posts`: a subscription's posts served.
        """
        self.book.script(self.order(order_id), status, remains, self.clock.now(), posts)

    def override(self, order_id: int | str, **fields: Any) -> None:
        """Lay raw fields over the order's `status` object from now on, exactly as given
        (`remains="1e400000"`, `status="Partial", remains=None` to drop remains); with no
        fields, stop."""
        self.order(order_id).raw = dict(fields) or None

    def script_refill(self, refill_id: int | str, status: str) -> None:
        refill = self.book.refill(refill_id)
        if refill is None:
            raise KeyError(refill_id)
        refill.scripted = status

    def state(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "calls_total": sum(self.calls.values()),
            "balance": f"{self.balance:f}",
            "currency": self.currency,
            "orders": len(self.book.orders),
            "refills": len(self.book.refills),
            "services": len(self.catalogue),
            "faults": self.faults.to_json(),
            "dialects": sorted(self.dialects),
        }
