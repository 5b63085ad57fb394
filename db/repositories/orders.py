"""Orders and their state history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    String,
    bindparam,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql

from bot.shop.enums import OrderState
from db.models import Order, OrderEvent, ServiceRow, User, table_of
from db.repositories.base import Repo
from db.repositories.rowsets import (
    BIGINT,
    TEXT,
    constant_params,
    insert_from_rowset,
    per_dialect,
    rowset,
    rowset_param,
)


def one_of(column: Any, ids: Sequence[int | None]) -> ColumnElement[bool]:
    """`column` is one of `ids` (None in them: or NULL)."""
    known = [i for i in ids if i is not None]
    clauses: list[ColumnElement[bool]] = [column.in_(known)] if known else []
    if None in ids:
        clauses.append(column.is_(None))
    return or_(*clauses) if clauses else false()


_orders = table_of(Order)
_users = table_of(User)
_services = table_of(ServiceRow)
_PAGE_FOR_USER = (
    select(_orders).where(_orders.c.user_id == bindparam("uid")).order_by(_orders.c.id.desc())
)
# One history row: a Core insert, not an ORM object and its unit of work.
_ADD_EVENT = insert(table_of(OrderEvent))
_FOR_POLL = (
    select(
        _orders,
        _users.c.telegram_id.label("chat_id"),
        _users.c.language.label("language"),
        func.coalesce(_services.c.refill, false()).label("refillable"),
    )
    .outerjoin(_users, _users.c.id == _orders.c.user_id)
    .outerjoin(_services, _services.c.id == _orders.c.service_id)
    .order_by(_orders.c.id)
)

# What add_events writes per row (`at` is the same for all of them).
_EVENT_COLUMNS = (
    ("order_id", BIGINT),
    ("from_state", TEXT),
    ("to_state", TEXT),
    ("refund", BIGINT),
    ("note", TEXT),
    ("actor_id", BIGINT),
)

# The values finish_many sets per order (see rowsets.py).
_FINISH_COLUMNS = (
    ("v_id", BIGINT),
    ("v_from", TEXT),
    ("v_state", TEXT),
    ("v_before", BIGINT),
    ("v_refunded", BIGINT),
    ("v_status", TEXT),
    ("v_start", BIGINT),
    ("v_remains", BIGINT),
    ("v_charge", BIGINT),
    ("v_currency", TEXT),
)


@per_dialect
def _finish_statement(dialect: str) -> Any:
    """finish_many's UPDATE ... FROM a rowset ... RETURNING (`rows`, `v_now`)."""
    return _finish_update(dialect, rowset(dialect, "v", _FINISH_COLUMNS, "rows"))


def _finish_update(dialect: str, given: Any) -> Any:
    """The UPDATE of the orders `given` (a rowset of _FINISH_COLUMNS) ... RETURNING id."""
    now = bindparam("v_now", type_=_orders.c.updated_at.type)
    # The state it leaves comes with each row, not as a constant: on SQLite a constant
    # would lead the planner through the index of all active orders, reading the rows'
    # JSON once for each of them. On PostgreSQL even a per-row `=` is an index condition
    # on (state, ..., refunded) of ix_orders_stats, which the planner may prefer to the
    # primary key (a fresh table without statistics, many active orders): each row then
    # walks every active order's entry. IS NOT DISTINCT FROM is never an index condition
    # there, so the primary key finds each row; both sides are never NULL (NOT NULL
    # columns, values the caller always gives), so it means `=`.
    if dialect == "postgresql":
        guards = (
            _orders.c.state.is_not_distinct_from(given.c.v_from),
            _orders.c.refunded.is_not_distinct_from(given.c.v_before),
        )
    else:
        guards = (_orders.c.state == given.c.v_from, _orders.c.refunded == given.c.v_before)
    return (
        update(_orders)
        .where(_orders.c.id == given.c.v_id, *guards)
        .values(
            state=given.c.v_state,
            refunded=given.c.v_refunded,
            provider_status=given.c.v_status,
            start_count=func.coalesce(given.c.v_start, _orders.c.start_count),
            remains=func.coalesce(given.c.v_remains, _orders.c.remains),
            provider_charge=func.coalesce(given.c.v_charge, _orders.c.provider_charge),
            provider_currency=func.coalesce(given.c.v_currency, _orders.c.provider_currency),
            last_checked_at=now,
            updated_at=now,
            finished_at=now,
        )
        .returning(_orders.c.id)
    )


# The values record_progress sets per order on PostgreSQL (see rowsets.py).
_PROGRESS_COLUMNS = (
    ("p_id", BIGINT),
    ("p_status", TEXT),
    ("p_start", BIGINT),
    ("p_remains", BIGINT),
    ("p_charge", BIGINT),
    ("p_currency", TEXT),
)


@per_dialect
def _progress_statement(dialect: str) -> Any:
    """record_progress's UPDATE ... FROM a rowset (`rows`, `p_now`), for PostgreSQL."""
    given = rowset(dialect, "p", _PROGRESS_COLUMNS, "rows")
    now = bindparam("p_now", type_=_orders.c.updated_at.type)
    return (
        update(_orders)
        .where(
            _orders.c.id == given.c.p_id,
            # Not an index condition (see _finish_statement): the primary key finds them.
            _orders.c.state.is_not_distinct_from(OrderState.ACTIVE.value),
        )
        .values(
            provider_status=given.c.p_status,
            start_count=func.coalesce(given.c.p_start, _orders.c.start_count),
            remains=func.coalesce(given.c.p_remains, _orders.c.remains),
            provider_charge=func.coalesce(given.c.p_charge, _orders.c.provider_charge),
            provider_currency=func.coalesce(given.c.p_currency, _orders.c.provider_currency),
            poll_errors=0,
            poll_error=None,
            flagged_at=None,
            last_checked_at=now,
            updated_at=now,
        )
    )


@per_dialect
def _finish_with_history_statement(dialect: str) -> Any:
    """finish_many's UPDATE and the history rows of the orders it moved, in one
    statement (PostgreSQL: a data-modifying WITH); the moved orders' ids come back."""
    given = rowset(dialect, "v", _FINISH_COLUMNS, "rows")
    moved = (
        _finish_update(dialect, given)
        .returning(
            _orders.c.state.label("to_state"),
            (_orders.c.refunded - given.c.v_before).label("refund"),
        )
        .cte("moved")
    )
    events = table_of(OrderEvent)
    return (
        postgresql.insert(events)
        .from_select(
            ["order_id", "from_state", "to_state", "refund", "at"],
            select(
                moved.c.id,
                literal_column(f"'{OrderState.ACTIVE.value}'"),
                moved.c.to_state,
                moved.c.refund,
                bindparam("v_now", type_=events.c.at.type),
            ),
        )
        .returning(events.c.order_id)
    )


# record_checked's UPDATE, built once (building it again for every chunk cost more than
# running it): the ids are bound as an expanding list.
_CHECKED = (
    update(_orders)
    .where(
        _orders.c.id.in_(bindparam("ids", expanding=True)),
        # `state || ''`: an expression no index holds. A plain `state = 'active'` beside
        # a list of a few ids leads SQLite through the index of all active orders
        # (thousands of entries walked for each statement) instead of taking each id
        # from the primary key.
        _orders.c.state.concat(literal_column("''")) == OrderState.ACTIVE.value,
    )
    .values(
        poll_errors=0,
        poll_error=None,
        flagged_at=None,
        last_checked_at=bindparam("c_now", type_=_orders.c.last_checked_at.type),
    )
)


@per_dialect
def _events_statement(dialect: str) -> Any:
    """add_events' INSERT from a rowset (`rows`, and `at` for all of them)."""
    return insert_from_rowset(dialect, table_of(OrderEvent), _EVENT_COLUMNS, ("at",), "rows")


class OrderRepo(Repo):
    async def insert_new(self, **values: Any) -> Row[Any] | None:
        """Insert an order; the row as written (every column, defaults included), or None
        when its checkout token is taken already.

        Under concurrency on PostgreSQL, a second insert of the same token waits for the
        first transaction and then does nothing (or inserts, if the first rolled back).
        """
        stmt = (
            self.insert_stmt(Order)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[Order.checkout_token])
            .returning(*_orders.c)
        )
        return (await self.session.execute(stmt)).one_or_none()

    async def get(self, order_id: int, *, lock: bool = False) -> Order | None:
        """The order; with `lock`, its row is locked until the transaction ends.

        (SQLite has no row locks: there BEGIN IMMEDIATE already serializes writers.)
        """
        stmt = select(Order).where(Order.id == order_id)
        if lock:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt, execution_options={"populate_existing": True})

    async def by_token(self, checkout_token: str) -> Order | None:
        return await self.session.scalar(
            select(Order).where(Order.checkout_token == checkout_token),
            execution_options={"populate_existing": True},
        )

    async def by_provider_order_id(self, provider_id: int, provider_order_id: str) -> Order | None:
        stmt = select(Order).where(
            Order.provider_id == provider_id, Order.provider_order_id == provider_order_id
        )
        return await self.session.scalar(stmt)

    async def completion_spans(
        self, service_id: int, *, limit: int
    ) -> list[tuple[datetime, datetime]]:
        """(placed, finished) of the service's latest completed orders, newest first; at
        most `limit` (the index on service, state and finish keeps it a short range read)."""
        stmt = (
            select(Order.created_at, Order.finished_at)
            .where(
                Order.service_id == service_id,
                Order.state == OrderState.COMPLETED,
                Order.finished_at.is_not(None),
            )
            .order_by(Order.finished_at.desc())
            .limit(limit)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(placed, finished) for placed, finished in rows if finished is not None]

    async def page_for_user(
        self, user_id: int, *, limit: int, offset: int = 0
    ) -> Sequence[Row[Any]]:
        """Newest first, as read-only rows (a page is shown, never changed: no ORM objects)."""
        stmt = _PAGE_FOR_USER.limit(limit).offset(offset)
        return (await self.session.execute(stmt, {"uid": user_id})).all()

    async def count_for_user(self, user_id: int) -> int:
        stmt = select(func.count()).select_from(Order).where(Order.user_id == user_id)
        return await self.session.scalar(stmt) or 0

    async def transition(
        self, order_id: int, *, from_state: OrderState, to_state: OrderState, **values: Any
    ) -> bool:
        """Move the order from `from_state` to `to_state` with `values`, if it is still there.

        The state in the WHERE clause makes each transition happen at most once, whatever
        runs concurrently; False when the order was not in `from_state`.
        """
        stmt = (
            update(Order)
            .where(Order.id == order_id, Order.state == from_state)
            .values(state=to_state, **values)
            .execution_options(synchronize_session="fetch")
        )
        result = await self.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def update(self, order_id: int, **values: Any) -> None:
        await self.session.execute(
            update(Order)
            .where(Order.id == order_id)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )

    async def add_event(
        self,
        order_id: int,
        *,
        from_state: OrderState | None,
        to_state: OrderState,
        at: datetime,
        refund: int = 0,
        note: str | None = None,
        actor_id: int | None = None,
    ) -> None:
        # What the session holds pending is written first, as an ORM flush would have.
        await self.session.flush()
        await self.session.execute(
            _ADD_EVENT,
            {
                "order_id": order_id,
                "from_state": from_state,
                "to_state": to_state,
                "refund": refund,
                "note": note,
                "actor_id": actor_id,
                "at": at,
            },
        )

    async def move_to_panel(
        self,
        order_id: int,
        *,
        provider_id: int,
        provider_service_id: str,
        rate: int,
        cost: int,
        fields: dict[str, Any],
        now: datetime,
    ) -> None:
        """A `submitting` order that a backup's panel takes: it is that panel's now."""
        await self.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.state == OrderState.SUBMITTING)
            .values(
                provider_id=provider_id,
                provider_service_id=provider_service_id,
                rate=rate,
                cost=cost,
                fields=fields,
                updated_at=now,
            )
        )

    async def events(self, order_id: int) -> list[OrderEvent]:
        stmt = select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        return list(await self.session.scalars(stmt))

    async def count_by_state(self) -> dict[OrderState, int]:
        stmt = select(Order.state, func.count()).group_by(Order.state)
        return {state: int(count) for state, count in await self.session.execute(stmt)}

    # --- status polling (bot/jobs/orders.py) ---------------------------------------

    async def poll_due(
        self,
        *,
        checked_before: datetime,
        limit: int,
        provider_ids: Sequence[int | None] | None = None,
    ) -> list[tuple[int, str]]:
        """(id, provider order id) of active orders the panel knows, not checked since
        `checked_before`: never-checked first, then least recently checked. With
        `provider_ids`, only the orders of those panels (None: orders without one)."""
        stmt = (
            select(Order.id, Order.provider_order_id)
            .where(
                Order.state == OrderState.ACTIVE,
                Order.provider_order_id.is_not(None),
                or_(Order.last_checked_at.is_(None), Order.last_checked_at < checked_before),
                *([] if provider_ids is None else [one_of(Order.provider_id, provider_ids)]),
            )
            .order_by(Order.last_checked_at.is_not(None), Order.last_checked_at, Order.id)
            .limit(limit)
        )
        return [(row[0], str(row[1])) for row in await self.session.execute(stmt)]

    async def many(self, order_ids: Iterable[int]) -> list[Order]:
        """The orders with these ids, freshly read."""
        ids = list(order_ids)
        if not ids:
            return []
        stmt = select(Order).where(Order.id.in_(ids)).order_by(Order.id)
        return list(await self.session.scalars(stmt, execution_options={"populate_existing": True}))

    async def record_progress(self, rows: list[dict[str, Any]], *, now: datetime) -> None:
        """A poll's news for orders that stay active, in one statement.

        Each row: order_id, provider_status, and start_count / remains / provider_charge /
        provider_currency (None keeps the stored value). Clears the poll error count; an
        order that is no longer active is left alone.
        """
        if not rows:
            return
        data = [
            {
                "p_id": row["order_id"],
                "p_status": row["provider_status"],
                "p_start": row.get("start_count"),
                "p_remains": row.get("remains"),
                "p_charge": row.get("provider_charge"),
                "p_currency": row.get("provider_currency"),
            }
            for row in rows
        ]
        if self.dialect == "postgresql":
            # One statement for the chunk: an executemany is one execution per row there
            # (each bound, run and answered on its own), most of the chunk's time.
            await self.session.execute(
                _progress_statement(self.dialect), {"rows": rowset_param(data), "p_now": now}
            )
            return
        # SQLite steps one prepared statement over the rows (no round trips).
        table = table_of(Order)
        stmt = (
            update(table)
            .where(table.c.id == bindparam("p_id"), table.c.state == OrderState.ACTIVE.value)
            .values(
                provider_status=bindparam("p_status"),
                start_count=func.coalesce(
                    bindparam("p_start", type_=BigInteger), table.c.start_count
                ),
                remains=func.coalesce(bindparam("p_remains", type_=BigInteger), table.c.remains),
                provider_charge=func.coalesce(
                    bindparam("p_charge", type_=BigInteger), table.c.provider_charge
                ),
                provider_currency=func.coalesce(
                    bindparam("p_currency", type_=String), table.c.provider_currency
                ),
                poll_errors=0,
                poll_error=None,
                flagged_at=None,
                last_checked_at=now,
                updated_at=now,
            )
        )
        await self.session.execute(stmt, data)

    async def for_poll(self, order_ids: Iterable[int], *, lock: bool = False) -> list[Row[Any]]:
        """The orders with these ids as plain rows (their columns as attributes), by id,
        each with its customer's `chat_id` and `language` and whether its service allows
        refills (`refillable`): what the poller needs for a chunk, in one query.

        With `lock` (PostgreSQL; SQLite's writers are serialized anyway) the orders stay
        locked until the transaction ends, taken in id order so that two pollers applying
        overlapping chunks queue instead of deadlocking: the second then reads the orders
        as the first left them.
        """
        ids = sorted(set(order_ids))
        if not ids:
            return []
        stmt = _FOR_POLL.where(_orders.c.id.in_(ids))
        if lock:
            stmt = stmt.with_for_update(of=_orders)
        return list(await self.session.execute(stmt))

    async def record_checked(self, order_ids: Sequence[int], *, now: datetime) -> None:
        """Orders still active whose reply said nothing new: only when they were checked,
        and their poll error count cleared, in one statement."""
        if not order_ids:
            return
        await self.session.execute(_CHECKED, {"ids": list(order_ids), "c_now": now})

    async def finish_many(
        self, rows: Sequence[Mapping[str, Any]], *, now: datetime, history: bool = False
    ) -> list[int]:
        """Finish many active orders in one statement; the ids of those it moved, sorted.
        With `history`, each moved order's history row too (from active, the refund it
        got, at `now`): on PostgreSQL in the same statement (one round trip less per
        chunk), on SQLite in a second one.

        Each row: order_id, state (where it ends), refunded_before (as read), refunded
        (after the refund), provider_status, and start_count / remains / provider_charge /
        provider_currency (None keeps the stored value). The WHERE clause names the state
        the order leaves and the refunded amount it was read with, so an order finishes
        once whatever runs concurrently (another poller, a refresh, an admin's refund):
        the orders missing from the answer were changed meanwhile and stay as they are.
        """
        if not rows:
            return []
        data = rowset_param(
            [
                {
                    "v_id": row["order_id"],
                    "v_from": OrderState.ACTIVE.value,
                    "v_state": OrderState(row["state"]).value,
                    "v_before": row["refunded_before"],
                    "v_refunded": row["refunded"],
                    "v_status": row["provider_status"],
                    "v_start": row.get("start_count"),
                    "v_remains": row.get("remains"),
                    "v_charge": row.get("provider_charge"),
                    "v_currency": row.get("provider_currency"),
                }
                for row in rows
            ]
        )
        params = {"rows": data, "v_now": now}
        if history and self.dialect == "postgresql":
            result = await self.session.execute(
                _finish_with_history_statement(self.dialect), params
            )
            return sorted(int(i) for i in result.scalars())
        result = await self.session.execute(_finish_statement(self.dialect), params)
        moved = sorted(int(i) for i in result.scalars())
        if history and moved:
            planned = {int(row["order_id"]): row for row in rows}
            await self.add_events(
                [
                    {
                        "order_id": order_id,
                        "from_state": OrderState.ACTIVE,
                        "to_state": planned[order_id]["state"],
                        "refund": int(planned[order_id]["refunded"])
                        - int(planned[order_id]["refunded_before"]),
                    }
                    for order_id in moved
                ],
                at=now,
            )
        return moved

    async def add_events(self, rows: Sequence[Mapping[str, Any]], *, at: datetime) -> None:
        """Many history rows at `at` in one statement (each: order_id, from_state,
        to_state, and optionally refund, note, actor_id)."""
        if not rows:
            return
        data = [
            {
                "order_id": row["order_id"],
                "from_state": None if row["from_state"] is None else row["from_state"].value,
                "to_state": OrderState(row["to_state"]).value,
                "refund": row.get("refund", 0),
                "note": row.get("note"),
                "actor_id": row.get("actor_id"),
            }
            for row in rows
        ]
        await self.session.execute(
            _events_statement(self.dialect), {"rows": rowset_param(data), **constant_params(at=at)}
        )

    async def record_poll_error(
        self, order_id: int, error: str, *, now: datetime
    ) -> tuple[int, datetime | None]:
        """One more poll error in a row for the order: (errors in a row, flagged_at)."""
        table = table_of(Order)
        await self.session.execute(
            update(table)
            .where(table.c.id == order_id)
            .values(
                poll_errors=table.c.poll_errors + 1,
                poll_error=error[:500],
                last_checked_at=now,
            )
        )
        row = (
            await self.session.execute(
                select(table.c.poll_errors, table.c.flagged_at).where(table.c.id == order_id)
            )
        ).one()
        return int(row[0]), row[1]

    async def flag(self, order_id: int, *, now: datetime) -> bool:
        """Flag the order for operators; False when it was flagged already."""
        table = table_of(Order)
        result = await self.session.execute(
            update(table)
            .where(table.c.id == order_id, table.c.flagged_at.is_(None))
            .values(flagged_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def flagged(self, *, limit: int = 50) -> list[Order]:
        """Orders flagged for operators, oldest flag first."""
        stmt = (
            select(Order)
            .where(Order.flagged_at.is_not(None), Order.state == OrderState.ACTIVE)
            .order_by(Order.flagged_at, Order.id)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))

    async def stale_submitting(self, *, created_before: datetime, limit: int = 100) -> list[int]:
        """Ids of orders still `submitting` that were created before `created_before`."""
        stmt = (
            select(Order.id)
            .where(Order.state == OrderState.SUBMITTING, Order.created_at < created_before)
            .order_by(Order.id)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))
