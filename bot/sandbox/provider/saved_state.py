"""The simulated panel's books in a JSON file, so a panel that restarts keeps its orders.

What is kept: the balance, every order and refill with its drawn timeline, the next ids,
and the panel clock's time (a scaled clock resumes from it, so timelines stay where they
were). What is not: the fault switches (a restart starts well-behaved), the call counts,
the catalogue (drawn again from the seed; each order holds its service as it was).

The file is replaced atomically (a temporary file beside it, then os.replace), so a crash
while writing leaves the previous version whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .catalog import SimService
from .panel import Panel
from .state import Outcome, Scripted, SimOrder, SimRefill

log = logging.getLogger(__name__)

VERSION = 1


class StateFileError(Exception):
    """The state file is missing or cannot be read as a panel's books."""


@dataclass(frozen=True, slots=True)
class PanelBooks:
    saved_at: datetime  # the panel clock's time when saved
    balance: Decimal
    next_order_id: int
    next_refill_id: int
    orders: tuple[SimOrder, ...]
    refills: tuple[SimRefill, ...]


def books_of(panel: Panel) -> PanelBooks:
    now = panel.clock.now()
    book = panel.book
    book.settle(now)
    return PanelBooks(
        saved_at=now,
        balance=book.balance,
        next_order_id=book.next_order_id,
        next_refill_id=book.next_refill_id,
        orders=tuple(book.orders.values()),
        refills=tuple(book.refills.values()),
    )


def restore(panel: Panel, books: PanelBooks) -> None:
    panel.book.restore(
        books.orders,
        books.refills,
        balance=books.balance,
        next_order_id=books.next_order_id,
        next_refill_id=books.next_refill_id,
    )


# -- JSON ---------------------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"a time without a zone: {value!r}")
    return parsed


def _service_json(service: SimService) -> dict[str, Any]:
    out = asdict(service)
    out["rate"] = str(service.rate)
    return out


def _order_json(order: SimOrder) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "service": _service_json(order.service),
        "link": order.link,
        "quantity": order.quantity,
        "cost": str(order.cost),
        "created_at": _time(order.created_at),
        "started_at": _time(order.started_at),
        "ends_at": _time(order.ends_at),
        "outcome": order.outcome.value,
        "final_remains": order.final_remains,
        "start_count": order.start_count,
        "fields": order.fields,
        "refunded": str(order.refunded),
        "scripted": asdict(order.scripted) if order.scripted is not None else None,
        "keeps_delivered": order.keeps_delivered,
        "posts": order.posts,
        "delay": order.delay,
        "expires_at": _time(order.expires_at),
        "raw": order.raw,
    }


def _refill_json(refill: SimRefill) -> dict[str, Any]:
    return {
        "refill_id": refill.refill_id,
        "order_id": refill.order_id,
        "created_at": _time(refill.created_at),
        "started_at": _time(refill.started_at),
        "ends_at": _time(refill.ends_at),
        "outcome": refill.outcome,
        "scripted": refill.scripted,
    }


def to_json(books: PanelBooks) -> dict[str, Any]:
    return {
        "version": VERSION,
        "saved_at": _time(books.saved_at),
        "balance": str(books.balance),
        "next_order_id": books.next_order_id,
        "next_refill_id": books.next_refill_id,
        "orders": [_order_json(o) for o in books.orders],
        "refills": [_refill_json(r) for r in books.refills],
    }


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not a whole number: {value!r}")
    return value


def _order(data: dict[str, Any]) -> SimOrder:
    service = dict(data["service"])
    service["rate"] = Decimal(service["rate"])
    scripted = data["scripted"]
    started_at, created_at = _parse_time(data["started_at"]), _parse_time(data["created_at"])
    if started_at is None or created_at is None:
        raise ValueError("an order without its times")
    return SimOrder(
        order_id=_whole(data["order_id"]),
        service=SimService(**service),
        link=str(data["link"]),
        quantity=_whole(data["quantity"]),
        cost=Decimal(data["cost"]),
        created_at=created_at,
        started_at=started_at,
        ends_at=_parse_time(data["ends_at"]),
        outcome=Outcome(data["outcome"]),
        final_remains=_whole(data["final_remains"]),
        start_count=_whole(data["start_count"]),
        fields={str(k): str(v) for k, v in dict(data["fields"]).items()},
        refunded=Decimal(data["refunded"]),
        scripted=Scripted(**scripted) if scripted is not None else None,
        keeps_delivered=bool(data["keeps_delivered"]),
        posts=data["posts"] if data["posts"] is None else _whole(data["posts"]),
        delay=_whole(data["delay"]),
        expires_at=_parse_time(data["expires_at"]),
        raw=dict(data["raw"]) if data["raw"] is not None else None,
    )


def _refill(data: dict[str, Any]) -> SimRefill:
    times = [_parse_time(data[k]) for k in ("created_at", "started_at", "ends_at")]
    created_at, started_at, ends_at = times
    if created_at is None or started_at is None or ends_at is None:
        raise ValueError("a refill without its times")
    scripted = data["scripted"]
    return SimRefill(
        refill_id=_whole(data["refill_id"]),
        order_id=_whole(data["order_id"]),
        created_at=created_at,
        started_at=started_at,
        ends_at=ends_at,
        outcome=str(data["outcome"]),
        scripted=str(scripted) if scripted is not None else None,
    )


def from_json(data: Any) -> PanelBooks:
    """The books in a parsed file; StateFileError when it is not one this version wrote."""
    try:
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("not a panel state of version 1")
        saved_at = _parse_time(data["saved_at"])
        if saved_at is None:
            raise ValueError("no saved_at")
        return PanelBooks(
            saved_at=saved_at,
            balance=Decimal(data["balance"]),
            next_order_id=_whole(data["next_order_id"]),
            next_refill_id=_whole(data["next_refill_id"]),
            orders=tuple(_order(o) for o in data["orders"]),
            refills=tuple(_refill(r) for r in data["refills"]),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        raise StateFileError(f"{type(error).__name__}: {error}"[:200]) from None


# -- the file -----------------------------------------------------------------------


def read_books(path: Path) -> PanelBooks:
    """Raises StateFileError saying why there is nothing to restore."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StateFileError("no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StateFileError(f"unreadable: {error}"[:200]) from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise StateFileError(f"not JSON: {error}"[:200]) from None
    return from_json(data)


def write_text_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp's 0600 is for secrets; this is none
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class StateKeeper:
    """Writes the panel's books to `path` when they changed (looked at every `every`
    seconds) and on stop; at most that much is lost if the process is killed."""

    def __init__(self, panel: Panel, path: Path, *, every: float = 1.0) -> None:
        self.panel = panel
        self.path = path
        self.every = every
        self._written: str | None = None  # the books last written, without their time
        self._task: asyncio.Task[None] | None = None

    def save(self, *, force: bool = False) -> bool:
        """Write the books if they changed since the last write (or `force`); True if
        written."""
        data = to_json(books_of(self.panel))
        saved_at = data.pop("saved_at")
        body = json.dumps(data, sort_keys=True)
        if body == self._written and not force:
            return False
        data["saved_at"] = saved_at
        write_text_atomically(self.path, json.dumps(data, sort_keys=True, indent=1) + "\n")
        self._written = body
        return True

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                self.save()
            except OSError:
                log.exception("panel simulator: could not write %s", self.path)

    async def stop(self) -> None:
        """Stop the periodic writes and write the books one last time."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.save(force=True)
