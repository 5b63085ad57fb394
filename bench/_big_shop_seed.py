"""A big shop in an SQLite file, fast, for bench/big_shop.py: customers, two panels with
their services, orders over about three years in every state, and the wallet's ledger
(a top-up per customer, a charge per paid order, a refund per refunded one).

The schema comes from the migrations; the rows go in with the sqlite3 module directly
(executemany in a few big transactions, journal and sync off): the ORM would take many
minutes for a million orders. Values are what the application itself stores: datetimes
as SQLAlchemy writes them on SQLite (naive UTC text), enums as their values, and every
balance equal to the sum of its customer's ledger rows.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.shop.enums import LedgerKind, OrderState

SPAN = timedelta(days=3 * 365)
BATCH = 50_000
SERVICES_PER_PANEL = 120
PANELS = ("main", "backup")
HEAVY_ORDERS = 20_000  # the first customer's orders: a reseller with a long history
ACTIVE_DAYS = 10  # orders younger than this are mostly still running
CURRENCY = "USD"

# The share of each state among orders older than ACTIVE_DAYS (the rest: active ones).
OLD_STATES = (
    (OrderState.COMPLETED, 0.80),
    (OrderState.PARTIAL, 0.06),
    (OrderState.CANCELED, 0.06),
    (OrderState.FAILED, 0.05),
    (OrderState.UNKNOWN, 0.002),
    (OrderState.ACTIVE, 0.028),
)
YOUNG_STATES = (
    (OrderState.ACTIVE, 0.55),
    (OrderState.COMPLETED, 0.35),
    (OrderState.PARTIAL, 0.03),
    (OrderState.CANCELED, 0.03),
    (OrderState.FAILED, 0.02),
    (OrderState.SUBMITTING, 0.01),
    (OrderState.UNKNOWN, 0.01),
)


@dataclass(frozen=True, slots=True)
class Seeded:
    customers: int
    orders: int
    ledger: int
    now: datetime
    heavy_user_id: int  # the customer with the most orders


def stamp(value: datetime) -> str:
    """A datetime as SQLAlchemy's SQLite dialect stores it (naive UTC)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _pick(rng: random.Random, table: tuple[tuple[OrderState, float], ...]) -> OrderState:
    x = rng.random()
    for state, share in table:
        x -= share
        if x < 0:
            return state
    return table[-1][0]


def _batches(rows: Iterator[tuple[object, ...]]) -> Iterator[list[tuple[object, ...]]]:
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(path: Path, *, customers: int, orders: int, now: datetime, seed: int = 7) -> Seeded:
    """Fill the (migrated, empty) database at `path`."""
    rng = random.Random(seed)
    start = now - SPAN
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-200000")
        db.execute("BEGIN")
        services = _panels_and_services(db, rng, start)
        user_created = _users(db, rng, customers, start)
        charges, refunds = _orders(db, rng, orders, services, user_created, start, now)
        ledger = _ledger(db, rng, user_created, charges, refunds)
        db.execute("COMMIT")
    finally:
        db.close()
    return Seeded(customers, orders, ledger, now, heavy_user_id=1)


def _panels_and_services(
    db: sqlite3.Connection, rng: random.Random, start: datetime
) -> list[tuple[int, int, str, str, str, int]]:
    """(service id, provider id, provider service id, name, category, rate) of each."""
    services: list[tuple[int, int, str, str, str, int]] = []
    seen = (stamp(start), stamp(start))
    for pid, name in enumerate(PANELS, start=1):
        db.execute(
            "INSERT INTO providers (id, name, url, currency, enabled, created_at) "
            "VALUES (?, ?, ?, ?, 1, ?)",
            (pid, name, f"https://{name}.example/api/v2", CURRENCY, stamp(start)),
        )
        for n in range(SERVICES_PER_PANEL):
            sid = len(services) + 1
            platform = ("instagram", "youtube", "tiktok", "telegram")[n % 4]
            category = f"{platform.title()} {('Followers', 'Likes', 'Views')[n % 3]}"
            rate = rng.randrange(100_000, 20_000_000)
            services.append((sid, pid, str(1000 + n), f"{category} #{n}", category, rate))
            db.execute(
                "INSERT INTO services (id, provider_id, provider_service_id, type, name, "
                "category, platform, rate, min, max, refill, cancel, dripfeed, description, "
                "hidden, first_seen_at, last_seen_at) VALUES "
                "(?, ?, ?, 'Default', ?, ?, ?, ?, 10, 100000, 1, 1, 0, '', 0, ?, ?)",
                (sid, pid, str(1000 + n), f"{category} #{n}", category, platform, rate, *seen),
            )
    return services


def _users(
    db: sqlite3.Connection, rng: random.Random, customers: int, start: datetime
) -> list[datetime]:
    """Customers joining steadily over the span (id order is join order)."""
    step = SPAN / max(customers, 1)
    created = [start + step * i for i in range(customers)]

    def rows() -> Iterator[tuple[object, ...]]:
        for i, at in enumerate(created, start=1):
            referrer = rng.randrange(1, i) if i > 1 and rng.random() < 0.1 else None
            unreachable = stamp(at + timedelta(days=30)) if rng.random() < 0.03 else None
            yield (
                i,
                5_000_000_000 + i,
                f"cust{i}" if rng.random() < 0.7 else None,
                f"Customer {i}",
                "ru" if i % 2 else "en",
                1 if rng.random() < 0.005 else 0,
                unreachable,
                referrer,
                stamp(at),
            )

    for batch in _batches(rows()):
        db.executemany(
            "INSERT INTO users (id, telegram_id, username, first_name, language, banned, "
            "unreachable_since, referrer_id, balance, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
            batch,
        )
    return created


def _orders(
    db: sqlite3.Connection,
    rng: random.Random,
    count: int,
    services: list[tuple[int, int, str, str, str, int]],
    user_created: list[datetime],
    start: datetime,
    now: datetime,
) -> tuple[list[list[tuple[int, int, str]]], list[list[tuple[int, int, str]]]]:
    """Orders in time order (id order is placing order), each by a customer who had
    joined by then; the first customer places HEAVY_ORDERS of them. Returns per customer
    their charges and refunds as (order id, amount, at)."""
    customers = len(user_created)
    charges: list[list[tuple[int, int, str]]] = [[] for _ in range(customers + 1)]
    refunds: list[list[tuple[int, int, str]]] = [[] for _ in range(customers + 1)]
    heavy_every = max(count // min(HEAVY_ORDERS, max(count // 10, 1)), 1)
    span = (now - start).total_seconds()
    young = now - timedelta(days=ACTIVE_DAYS)
    step = span / max(count, 1)

    def rows() -> Iterator[tuple[object, ...]]:
        for oid in range(1, count + 1):
            at = start + timedelta(seconds=step * (oid - 1) + rng.random() * step)
            if oid % heavy_every == 0:
                uid = 1
            else:
                # Joined by then: customers are numbered in joining order.
                joined = int(customers * (at - start) / SPAN) + 1
                uid = rng.randrange(1, min(max(joined, 2), customers) + 1)
            sid, pid, psid, name, category, rate = services[rng.randrange(len(services))]
            state = _pick(rng, YOUNG_STATES if at >= young else OLD_STATES)
            quantity = rng.choice((100, 250, 500, 1000, 2500, 5000))
            cost = rate * quantity // 1000
            charge = cost + cost // 4
            refunded = 0
            finished = None
            provider_charge = None
            remains = None
            if state in (OrderState.CANCELED, OrderState.FAILED):
                refunded = charge
            elif state is OrderState.PARTIAL:
                remains = quantity // rng.randrange(2, 10)
                refunded = charge * remains // quantity
            if state.finished:
                finished = stamp(at + timedelta(minutes=rng.randrange(5, 3000)))
                if state in (OrderState.COMPLETED, OrderState.PARTIAL) and rng.random() < 0.7:
                    provider_charge = cost
            has_panel_id = state not in (OrderState.SUBMITTING, OrderState.UNKNOWN)
            if state is OrderState.FAILED and rng.random() < 0.5:
                has_panel_id = False
            checked = (
                stamp(min(at + timedelta(minutes=rng.randrange(1, 600)), now))
                if state is OrderState.ACTIVE and rng.random() < 0.9
                else finished
            )
            placed = stamp(at)
            charges[uid].append((oid, charge, placed))
            if refunded:
                refunds[uid].append((oid, refunded, finished or placed))
            link = f"https://example.com/p/{oid}"
            yield (
                oid,
                uid,
                f"seed-{oid}",
                sid,
                pid,
                psid,
                name,
                "Default",
                category,
                rate,
                link,
                json.dumps({"service": psid, "link": link, "quantity": str(quantity)}),
                quantity,
                charge,
                cost,
                CURRENCY,
                25_000_000,
                refunded,
                state.value,
                str(oid) if has_panel_id else None,
                None if state is OrderState.SUBMITTING else state.value.title(),
                provider_charge,
                CURRENCY if provider_charge is not None else None,
                rng.randrange(0, 10_000),
                remains,
                placed,
                finished or checked or placed,
                finished,
                checked,
            )

    for batch in _batches(rows()):
        db.executemany(
            "INSERT INTO orders (id, user_id, checkout_token, service_id, provider_id, "
            "provider_service_id, service_name, service_type, category, rate, link, fields, "
            "quantity, charge, cost, currency, markup, refunded, state, provider_order_id, "
            "provider_status, provider_charge, provider_currency, start_count, remains, "
            "created_at, updated_at, finished_at, last_checked_at, poll_errors) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, 0)",
            batch,
        )
    return charges, refunds


def _ledger(
    db: sqlite3.Connection,
    rng: random.Random,
    user_created: list[datetime],
    charges: list[list[tuple[int, int, str]]],
    refunds: list[list[tuple[int, int, str]]],
) -> int:
    """Per customer a top-up on joining that pays for all their orders (and leaves some
    on the wallet), then a charge per order and a refund per refunded one; the balance
    column ends equal to the sum of the rows."""
    balances: list[int] = [0] * len(charges)

    def rows() -> Iterator[tuple[object, ...]]:
        for uid in range(1, len(charges)):
            spent = sum(amount for _, amount, _ in charges[uid])
            back = sum(amount for _, amount, _ in refunds[uid])
            left = rng.choice((0, 0, 1_000_000, 5_000_000, 20_000_000))
            topup = spent - back + left
            if topup <= 0:
                continue
            balance = topup
            at = stamp(user_created[uid - 1])
            yield (uid, LedgerKind.TOPUP.value, topup, balance, f"seed:topup:{uid}", None, at)
            for oid, amount, placed in charges[uid]:
                balance -= amount
                yield (uid, LedgerKind.CHARGE.value, -amount, balance, f"order:{oid}", oid, placed)
            for oid, amount, when in refunds[uid]:
                balance += amount
                ref = f"order:{oid}:refund"
                yield (uid, LedgerKind.REFUND.value, amount, balance, ref, oid, when)
            balances[uid] = balance

    written = 0
    for batch in _batches(rows()):
        written += len(batch)
        db.executemany(
            "INSERT INTO ledger (user_id, kind, amount, balance_after, reference, order_id, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            batch,
        )
    db.executemany(
        "UPDATE users SET balance = ? WHERE id = ?",
        ((b, uid) for uid, b in enumerate(balances) if b),
    )
    return written


__all__ = ["Seeded", "seed", "stamp"]
