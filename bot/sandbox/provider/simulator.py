"""ProviderSimulator: a local SMM panel speaking API v2, controllable from tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.provider.models import ServiceType

from .actions import Api
from .app import create_app
from .book import OrderBook
from .catalog import Catalogue, SimService
from .dialects import Dialect, NullErrors, parse_dialects
from .faults import SimulatorFaults
from .seeded_catalogue import build_catalogue
from .state import OrderView, SimOrder, SimRefill


class ProviderSimulator:
    """One simulated panel: catalogue, balance, orders and refills, served over HTTP.

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
        self.url: str | None = None
        self._runner: web.AppRunner | None = None
        self._release: asyncio.Event | None = None

    def __repr__(self) -> str:  # the key stays out of logs
        return f"<ProviderSimulator url={self.url} orders={len(self.book.orders)}>"

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

    # -- serving ------------------------------------------------------------------

    def app(self) -> web.Application:
        return create_app(self)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: any free port); returns the API v2 endpoint URL."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = f"http://{shown}:{bound_port}/api/v2"
        return self.url

    @property
    def base_url(self) -> str:
        """The server root (for /sandbox/* controls); the simulator must be started."""
        if self.url is None:
            raise RuntimeError("the simulator is not running")
        return self.url.removesuffix("/api/v2")

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        self.url = None

    # -- hanging replies ---------------------------------------------------------

    def hold_replies(self) -> None:
        self._release = asyncio.Event()

    def release_replies(self) -> None:
        if self._release is not None:
            self._release.set()

    async def pause(self, seconds: float) -> None:
        """Sleep for a fault, cut short when the server shuts down."""
        if self._release is None:
            self._release = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), seconds)
