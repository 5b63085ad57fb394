"""/export: orders, the ledger or customers of a date window as a CSV file.

The file is UTF-8 with a byte-order mark (so spreadsheet programs read Cyrillic names
right), one header row of fixed column names (scripts may rely on them), ISO 8601 UTC
times, amounts in their currency with its decimals ("12.50"; debits negative). Rows are
read `PAGE` at a time by id, each page in its own short read, and written to the caller's
file as they come: a big shop is never loaded at once.

Text that people typed (names, links, notes, references) is escaped against formula
injection: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading `'`, so a spreadsheet shows it as text instead of running it. Numbers the shop
writes itself (amounts, ids) are left as they are: "-2.50" stays a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import IO, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.money import format_amount
from db.repositories.audit import AuditRepo
from db.repositories.exports import ExportRepo
from db.uow import reads, writes

PAGE = 500
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_RISKY = ("=", "+", "-", "@", "\t", "\r")


class ExportKind(StrEnum):
    ORDERS = "orders"
    LEDGER = "ledger"
    CUSTOMERS = "customers"


COLUMNS: dict[ExportKind, tuple[str, ...]] = {
    ExportKind.ORDERS: (
        "id",
        "created_at",
        "customer_telegram_id",
        "customer_username",
        "service_id",
        "service",
        "category",
        "link",
        "quantity",
        "state",
        "charge",
        "refunded",
        "cost",
        "currency",
        "panel_order_id",
        "finished_at",
    ),
    ExportKind.LEDGER: (
        "id",
        "created_at",
        "customer_telegram_id",
        "customer_username",
        "kind",
        "amount",
        "balance_after",
        "currency",
        "reference",
        "order_id",
        "admin_id",
        "note",
    ),
    ExportKind.CUSTOMERS: (
        "id",
        "joined_at",
        "telegram_id",
        "username",
        "first_name",
        "language",
        "balance",
        "currency",
        "banned",
        "unreachable_since",
    ),
}


@dataclass(frozen=True, slots=True)
class Window:
    """Days from `first` to `last`, both included, in UTC; None: open on that side."""

    first: date | None = None
    last: date | None = None

    @property
    def start(self) -> datetime | None:
        return None if self.first is None else datetime.combine(self.first, time(), UTC)

    @property
    def end(self) -> datetime | None:
        if self.last is None:
            return None
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)


def parse_day(text: str) -> date | None:
    """A YYYY-MM-DD date in ASCII digits, or None."""
    if not _DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_export(words: Sequence[str]) -> tuple[ExportKind, Window] | None:
    """`orders|ledger|customers [from] [to]`; None for anything else (the usage line)."""
    if not 1 <= len(words) <= 3:
        return None
    try:
        kind = ExportKind(words[0].lower())
    except ValueError:
        return None
    days = [parse_day(word) for word in words[1:]]
    if any(day is None for day in days):
        return None
    first = days[0] if days else None
    last = days[1] if len(days) == 2 else None
    if first is not None and last is not None and last < first:
        return None
    return kind, Window(first, last)


def safe(value: str | None) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(_RISKY) else value


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class ExportResult:
    kind: ExportKind
    window: Window
    rows: int
    filename: str


Page = Callable[..., Awaitable[Sequence[Any]]]


class ExportService:
    def __init__(self, session: AsyncSession, clock: Clock, currency: str) -> None:
        self.session = session
        self.clock = clock
        self.currency = currency
        self.repo = ExportRepo(session)
        self.audit = AuditRepo(session)

    async def write(
        self, actor_id: int, kind: ExportKind, window: Window, sink: IO[bytes]
    ) -> ExportResult:
        """Write the CSV to `sink` (a binary file), page by page; one audit row at the end."""
        text = io.TextIOWrapper(sink, encoding="utf-8-sig", newline="", write_through=True)
        try:
            writer = csv.writer(text)
            writer.writerow(COLUMNS[kind])
            rows = 0
            after = 0
            while page := await self._page(kind, after, window):
                writer.writerows(self._cells(kind, row) for row in page)
                rows += len(page)
                after = page[-1].id
            text.flush()
        finally:
            text.detach()  # the caller's file stays open
        await self._record(actor_id, kind, window, rows)
        return ExportResult(kind, window, rows, filename(kind, window, self.clock.now()))

    @reads
    async def _page(self, kind: ExportKind, after: int, window: Window) -> Sequence[Any]:
        read: Page = {
            ExportKind.ORDERS: self.repo.orders,
            ExportKind.LEDGER: self.repo.ledger,
            ExportKind.CUSTOMERS: self.repo.customers,
        }[kind]
        return await read(after_id=after, limit=PAGE, start=window.start, end=window.end)

    def _cells(self, kind: ExportKind, r: Any) -> list[object]:
        match kind:
            case ExportKind.ORDERS:
                return [
                    r.id,
                    iso(r.created_at),
                    r.telegram_id,
                    safe(r.username),
                    "" if r.service_id is None else r.service_id,
                    safe(r.service_name),
                    safe(r.category),
                    safe(r.link),
                    r.quantity,
                    str(r.state),
                    format_amount(r.charge, r.currency),
                    format_amount(r.refunded, r.currency),
                    format_amount(r.cost, r.currency),
                    r.currency,
                    safe(r.provider_order_id),
                    iso(r.finished_at),
                ]
            case ExportKind.LEDGER:
                return [
                    r.id,
                    iso(r.created_at),
                    r.telegram_id,
                    safe(r.username),
                    str(r.kind),
                    format_amount(r.amount, self.currency),
                    format_amount(r.balance_after, self.currency),
                    self.currency,
                    safe(r.reference),
                    "" if r.order_id is None else r.order_id,
                    "" if r.actor_id is None else r.actor_id,
                    safe(r.note),
                ]
        return [
            r.id,
            iso(r.created_at),
            r.telegram_id,
            safe(r.username),
            safe(r.first_name),
            safe(r.language),
            format_amount(r.balance, self.currency),
            self.currency,
            "yes" if r.banned else "no",
            iso(r.unreachable_since),
        ]

    @writes
    async def _record(self, actor_id: int, kind: ExportKind, window: Window, rows: int) -> None:
        await self.audit.record(
            actor_id,
            "export",
            now=self.clock.now(),
            target_type="export",
            target_id=str(kind),
            details={
                "from": window.first.isoformat() if window.first else None,
                "to": window.last.isoformat() if window.last else None,
                "rows": rows,
            },
        )


def filename(kind: ExportKind, window: Window, now: datetime) -> str:
    first = window.first.isoformat() if window.first else "start"
    last = window.last.isoformat() if window.last else now.date().isoformat()
    return f"{kind}_{first}_{last}.csv"


__all__ = [
    "COLUMNS",
    "ExportKind",
    "ExportResult",
    "ExportService",
    "Window",
    "parse_export",
    "safe",
]
