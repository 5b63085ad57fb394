"""Shared arrangements of the handler tests: an app with an admin and an operators' chat,
customers, orders in chosen states, and readers of what the bot wrote to the database.
The fixtures built from them (`app`, `admin`, `alice`) are in conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.provider.models import ServiceType
from bot.provider.requests import PreparedAdd
from bot.shop.orders.models import OrderDTO
from bot.shop.placement import Outcome
from db.models import AuditEntry, LedgerEntry, OutboxMessage, Payment, User
from tests.harness import Customer, ShopApp, catalog_id, running_shop

ADMIN = 9001
OPERATORS = -100_777
LINK = "https://instagram.com/p/abc123"


@asynccontextmanager
async def admin_shop(engine: AsyncEngine, **kwargs: Any) -> AsyncIterator[ShopApp]:
    async with running_shop(engine, admin_ids=frozenset({ADMIN}), **kwargs) as app:
        app.deps.settings.operator_chat_id = OPERATORS
        yield app


async def customer(app: ShopApp, telegram_id: int, **kwargs: Any) -> Customer:
    someone = app.customer(telegram_id, **kwargs)
    await someone.send("/start")
    return someone


async def user_id(app: ShopApp, someone: Customer) -> int:
    async with app.deps.session_factory() as session, session.begin():
        found = await session.scalar(select(User.id).where(User.telegram_id == someone.user.id))
        assert found is not None
        return found


async def default_service(app: ShopApp) -> tuple[int, int]:
    """(shop id, minimum) of a plain service: link + quantity, no drip-feed."""
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    return await catalog_id(app, service.service_id), service.min


async def place(app: ShopApp, someone: Customer) -> OrderDTO:
    """An order placed with the panel (active), paid from the customer's wallet."""
    sid, minimum = await default_service(app)
    uid = await user_id(app, someone)
    async with app.shop() as shop:
        draft = await shop.orders.quote(uid, sid, {"link": LINK, "quantity": minimum})
        placement = await shop.placement.place(draft)
    assert placement.outcome is Outcome.PLACED, placement
    return placement.order


async def unknown_order(app: ShopApp, someone: Customer) -> tuple[OrderDTO, str]:
    """An order whose `add` answer was lost: `unknown` here, but the panel has it.
    Returns the order and the panel's id of it."""
    sid, minimum = await default_service(app)
    uid = await user_id(app, someone)
    async with app.shop() as shop:
        draft = await shop.orders.quote(uid, sid, {"link": LINK, "quantity": minimum})
        result = await shop.orders.checkout(draft)
        order = await shop.orders.mark_unknown(result.order.id, error="read timeout")
    placed = await app.deps.provider.add(PreparedAdd.of(order.fields))
    return order, placed.order_id


async def audit(app: ShopApp) -> list[AuditEntry]:
    async with app.deps.session_factory() as session, session.begin():
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def outbox(app: ShopApp, chat_id: int | None = None) -> list[OutboxMessage]:
    async with app.deps.session_factory() as session, session.begin():
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if chat_id is not None:
            stmt = stmt.where(OutboxMessage.chat_id == chat_id)
        return list(await session.scalars(stmt))


async def ledger(app: ShopApp) -> list[LedgerEntry]:
    async with app.deps.session_factory() as session, session.begin():
        return list(await session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)))


async def count(app: ShopApp, model: Any) -> int:
    async with app.deps.session_factory() as session, session.begin():
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def ledger_entry(app: ShopApp, reference: str) -> LedgerEntry | None:
    async with app.deps.session_factory() as session, session.begin():
        return await session.scalar(select(LedgerEntry).where(LedgerEntry.reference == reference))


async def payment(app: ShopApp, charge_id: str) -> Payment:
    async with app.deps.session_factory() as session, session.begin():
        row = await session.scalar(select(Payment).where(Payment.charge_id == charge_id))
        assert row is not None
        return row


async def books_balance(app: ShopApp) -> None:
    """Σ ledger = balance, for every customer."""
    async with app.deps.session_factory() as session, session.begin():
        sums = dict(
            (
                await session.execute(
                    select(LedgerEntry.user_id, func.sum(LedgerEntry.amount)).group_by(
                        LedgerEntry.user_id
                    )
                )
            ).all()
        )
        balances = dict((await session.execute(select(User.id, User.balance))).all())
    for user_id, balance in balances.items():
        assert sums.get(user_id, 0) == balance, (user_id, sums.get(user_id), balance)
