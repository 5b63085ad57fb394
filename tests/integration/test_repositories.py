"""Repositories on SQLite and PostgreSQL: the SQL behaves the same on both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.shop.enums import LedgerKind, MarkupScope, OrderState
from db.models import Base, ServiceRow, User
from db.repositories import (
    AuditRepo,
    CatalogRepo,
    LedgerRepo,
    MarkupRepo,
    OrderRepo,
    ProviderRepo,
    RefillRepo,
    SettingsRepo,
    UserRepo,
)
from db.repositories.outbox import OutboxRepo
from db.session import create_engine, create_session_factory
from db.sqlite_inline import InlineConnection

Factory = async_sessionmaker[AsyncSession]


async def _user(session: AsyncSession, now: datetime, telegram_id: int = 10) -> int:
    user, _ = await UserRepo(session).get_or_create(
        telegram_id, username="Alice_1", first_name="Alice", language="de", now=now
    )
    return user.id


def _service(now: datetime, **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "type": "Default",
        "name": "Followers",
        "category": "IG",
        "rate": 900_000,
        "min": 10,
        "max": 1000,
        "refill": True,
        "cancel": False,
        "dripfeed": False,
        "description": "d",
        "platform": "instagram",
        "now": now,
    }
    values.update(kw)
    return values


async def _order(session: AsyncSession, user_id: int, now: datetime, token: str) -> int:
    order = await OrderRepo(session).insert_new(
        user_id=user_id,
        checkout_token=token,
        provider_service_id="1",
        service_name="S",
        service_type="Default",
        category="IG",
        rate=1,
        fields={"link": "x"},
        quantity=10,
        charge=100,
        cost=50,
        currency="USD",
        markup=0,
        refunded=0,
        state=OrderState.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    assert order is not None
    assert order.checkout_token == token and order.state is OrderState.ACTIVE
    return int(order.id)


async def test_users(session: AsyncSession, clock: FakeClock) -> None:
    now = clock.now()
    async with session.begin():
        users = UserRepo(session)
        alice, created = await users.get_or_create(
            10, username="Alice_1", first_name="Alice", language="de", now=now
        )
        assert created and alice.balance == 0 and not alice.banned
        assert alice.created_at == now and alice.created_at.tzinfo is not None
        bob, _ = await users.get_or_create(
            11, username=None, first_name="Bob", language=None, now=now, referrer_id=alice.id
        )
        assert bob.referrer_id == alice.id
        again, created = await users.get_or_create(
            10, username="alice_new", first_name="Al", language="en", now=now, referrer_id=bob.id
        )
        assert not created and again.id == alice.id
        assert (again.username, again.first_name, again.language, again.referrer_id) == (
            "alice_new",
            "Al",
            "de",
            None,
        )  # language and referrer only on creation
        assert (await users.by_username("@ALICE_NEW")) is not None
        assert (await users.by_telegram_id(11)) is not None
        assert await users.by_username("nobody") is None
        assert await users.set_banned(alice.id, True)
        # The outbox sender marks a customer who blocked the bot (by their chat id).
        assert await OutboxRepo(session).mark_chat_unreachable(10, now=now)
        assert await users.set_language(alice.id, "ru")
        assert not await users.set_banned(999, True)
        assert await users.count() == 2
    async with session.begin():
        fresh = await UserRepo(session).get(alice.id)
        assert fresh is not None
        await session.refresh(fresh)
        assert (fresh.banned, fresh.unreachable_since, fresh.language) == (True, now, "ru")


async def test_balance_updates_are_conditional(session: AsyncSession, clock: FakeClock) -> None:
    async with session.begin():
        uid = await _user(session, clock.now())
        users = UserRepo(session)
        assert await users.add_balance(uid, 500) == 500
        assert await users.take_balance(uid, 501) is None
        assert await users.take_balance(uid, 200) == 300
        assert await users.balance(uid) == 300
        assert await users.add_balance(999, 1) is None
        assert await users.take_balance(999, 1) is None


async def test_a_negative_balance_is_impossible(session: AsyncSession, clock: FakeClock) -> None:
    async with session.begin():
        uid = await _user(session, clock.now())
    with pytest.raises(IntegrityError):
        async with session.begin():
            await session.execute(update(User).where(User.id == uid).values(balance=-1))


async def test_ledger_reference_is_unique(session: AsyncSession, clock: FakeClock) -> None:
    async with session.begin():
        uid = await _user(session, clock.now())
        ledger = LedgerRepo(session)
        row = await ledger.insert(
            user_id=uid,
            kind=LedgerKind.TOPUP,
            amount=5,
            balance_after=5,
            reference="r",
            now=clock.now(),
        )
        assert row is not None and row.kind is LedgerKind.TOPUP
        assert (
            await ledger.insert(
                user_id=uid,
                kind=LedgerKind.TOPUP,
                amount=7,
                balance_after=12,
                reference="r",
                now=clock.now(),
            )
            is None
        )
        assert await ledger.count(uid) == 1 and await ledger.total(uid) == 5


async def test_timestamps_are_aware_utc(session: AsyncSession) -> None:
    plus_three = datetime(2026, 3, 1, 15, 0, tzinfo=timezone(timedelta(hours=3)))
    async with session.begin():
        uid = await _user(session, plus_three)
    session.expunge_all()
    async with session.begin():
        user = await UserRepo(session).get(uid)
        assert user is not None
        assert user.created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        assert user.created_at.utcoffset() == timedelta(0)
    with pytest.raises(StatementError):
        async with session.begin():
            await _user(session, datetime(2026, 1, 1), telegram_id=99)  # naive: a bug


async def test_providers(session: AsyncSession, clock: FakeClock) -> None:
    async with session.begin():
        providers = ProviderRepo(session)
        first = await providers.ensure("main", "https://a.test/api/v2", now=clock.now())
        again = await providers.ensure("main", "https://b.test/api/v2", now=clock.now())
        assert again.id == first.id and again.url == "https://b.test/api/v2" and again.enabled
        await providers.set_balance(first.id, 100_840_000, "USD", now=clock.now())
        await session.refresh(first)
        assert (first.balance, first.currency, first.balance_checked_at) == (
            100_840_000,
            "USD",
            clock.now(),
        )
        assert [p.name for p in await providers.all()] == ["main"]


async def test_catalog_sync_keeps_admin_settings(session: AsyncSession, clock: FakeClock) -> None:
    async with session.begin():
        provider = await ProviderRepo(session).ensure("main", "u", now=clock.now())
        catalog = CatalogRepo(session)
        sid = await catalog.upsert(provider.id, "1", **_service(clock.now()))
        cheap = await catalog.upsert(provider.id, "2", **_service(clock.now(), rate=100))
        other = await catalog.upsert(provider.id, "3", **_service(clock.now(), category="TG"))
        await catalog.set_hidden(other, True)
        # No use case sets an override yet: the admin's column is written directly.
        await session.execute(
            update(ServiceRow).where(ServiceRow.id == sid).values(price_override=2_000_000)
        )
    sync_start = clock.advance(3600)
    async with session.begin():
        catalog = CatalogRepo(session)
        same = await catalog.upsert(
            provider.id, "1", **_service(sync_start, rate=950_000, name="Followers v2")
        )
        assert same == sid
        await catalog.upsert(provider.id, "3", **_service(sync_start, category="TG"))
        assert (
            await catalog.mark_removed(provider.id, seen_before=sync_start, now=sync_start) == 1
        )  # "2" was not listed
    session.expunge_all()
    async with session.begin():
        catalog = CatalogRepo(session)
        service = await catalog.get(sid)
        assert service is not None
        assert (service.rate, service.name, service.price_override, service.hidden) == (
            950_000,
            "Followers v2",
            2_000_000,
            False,
        )
        assert (service.first_seen_at, service.last_seen_at) == (
            sync_start - timedelta(hours=1),
            sync_start,
        )
        hidden = await catalog.by_provider_service_id(provider.id, "3")
        assert hidden is not None and hidden.hidden  # the admin's flag survives a sync
        removed = await catalog.get(cheap)
        assert removed is not None and removed.removed_at == sync_start
        assert await catalog.categories() == ["IG"]
        assert await catalog.categories(include_hidden=True) == ["IG", "TG"]
        assert await catalog.categories(platform="telegram") == []
        assert [s.id for s in await catalog.in_category("IG")] == [sid]
    async with session.begin():  # listed again: back
        await CatalogRepo(session).upsert(provider.id, "2", **_service(clock.now(), rate=100))
        assert [s.provider_service_id for s in await CatalogRepo(session).in_category("IG")] == [
            "2",
            "1",
        ]  # cheapest first


async def test_markups(session: AsyncSession, clock: FakeClock) -> None:
    async with session.begin():
        provider = await ProviderRepo(session).ensure("main", "u", now=clock.now())
        sid = await CatalogRepo(session).upsert(provider.id, "1", **_service(clock.now()))
        markups = MarkupRepo(session)
        assert await markups.lookup(service_id=sid, category="IG") == (None, None, None)
        await markups.set(MarkupScope.GLOBAL, 30_000_000, now=clock.now())
        await markups.set(MarkupScope.GLOBAL, 25_000_000, now=clock.now(), actor_id=7)
        await markups.set(MarkupScope.CATEGORY, 10_000_000, category="IG", now=clock.now())
        await markups.set(MarkupScope.CATEGORY, 99_000_000, category="TG", now=clock.now())
        await markups.set(MarkupScope.SERVICE, 5_500_000, service_id=sid, now=clock.now())
        assert await markups.lookup(service_id=sid, category="IG") == (
            5_500_000,
            10_000_000,
            25_000_000,
        )
        assert await markups.clear(MarkupScope.SERVICE, service_id=sid)
        assert not await markups.clear(MarkupScope.SERVICE, service_id=sid)
        assert await markups.lookup(service_id=sid, category="IG") == (None, 10_000_000, 25_000_000)
        assert len(await markups.all()) == 3
        with pytest.raises(ValueError):
            await markups.set(MarkupScope.CATEGORY, 1, now=clock.now())


async def test_settings(session: AsyncSession, clock: FakeClock) -> None:
    async with session.begin():
        settings = SettingsRepo(session)
        assert await settings.get("maintenance") is None
        assert await settings.get("maintenance", "0") == "0"
        assert not await settings.get_bool("maintenance")
        await settings.set_bool("maintenance", True, now=clock.now())
        assert await settings.get_bool("maintenance")
        await settings.set("maintenance", "off", now=clock.now())
        assert not await settings.get_bool("maintenance", default=True)
        await settings.set("welcome", "hi", now=clock.now())
        assert await settings.all() == {"maintenance": "off", "welcome": "hi"}
        assert await settings.delete("welcome") and not await settings.delete("welcome")


async def test_audit_log(session: AsyncSession, clock: FakeClock) -> None:
    async with session.begin():
        audit = AuditRepo(session)
        await audit.record(
            1,
            "credit",
            now=clock.now(),
            target_type="user",
            target_id=5,
            details={"amount": 1_000_000, "reason": "gift"},
        )
        clock.advance(1)
        await audit.record(2, "maintenance", now=clock.now(), details={"on": True})
        entries = await audit.page()
        assert [e.action for e in entries] == ["maintenance", "credit"]
        assert entries[1].target_id == "5" and entries[1].details["reason"] == "gift"
        assert [e.action for e in await audit.page(actor_id=1)] == ["credit"]


async def test_orders_due_for_check(session: AsyncSession, clock: FakeClock) -> None:
    now = clock.now()
    async with session.begin():
        uid = await _user(session, now)
        orders = OrderRepo(session)
        a, b, c = [await _order(session, uid, now, t) for t in "abc"]
        assert (
            await orders.insert_new(
                user_id=uid,
                checkout_token="a",
                provider_service_id="1",
                service_name="S",
                service_type="Default",
                category="IG",
                rate=1,
                fields={},
                quantity=1,
                charge=1,
                cost=1,
                currency="USD",
                markup=0,
                refunded=0,
                state=OrderState.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            is None
        )  # the token is taken
        for order_id in (a, b, c):
            await orders.update(order_id, provider_order_id=f"p{order_id}")
        await orders.update(a, last_checked_at=now - timedelta(minutes=10))
        await orders.update(b, last_checked_at=now)
        due = await orders.poll_due(checked_before=now - timedelta(minutes=1), limit=100)
        assert [order_id for order_id, _ in due] == [c, a]  # never checked first, then the oldest
        assert await orders.transition(
            b, from_state=OrderState.ACTIVE, to_state=OrderState.COMPLETED, updated_at=now
        )
        assert not await orders.transition(
            b, from_state=OrderState.ACTIVE, to_state=OrderState.CANCELED, updated_at=now
        )
        assert (await orders.count_by_state())[OrderState.COMPLETED] == 1
        assert (await orders.get(b, lock=True)).state is OrderState.COMPLETED  # type: ignore[union-attr]
        assert await orders.count_for_user(uid) == 3
        assert (await orders.by_token("c")).id == c  # type: ignore[union-attr]


async def test_refills(session: AsyncSession, clock: FakeClock) -> None:
    now = clock.now()
    async with session.begin():
        uid = await _user(session, now)
        oid = await _order(session, uid, now, "t")
        refills = RefillRepo(session)
        r1 = await refills.add(oid, status="pending", provider_refill_id="55", now=now)
        await refills.add(oid, status="rejected", error="Refill not found", now=now)
        assert [r.id for r in await refills.for_order(oid)] == [r1.id, r1.id + 1]
        due = await refills.in_status(["pending"], checked_before=now)
        assert [r.id for r in due] == [r1.id]
        clock.advance(60)
        assert await refills.transition(
            r1.id,
            from_status="pending",
            to_status="completed",
            provider_status="Completed",
            now=clock.now(),
        )
        (refill,) = await refills.many([r1.id])  # read fresh, as the poller does
        assert (refill.status, refill.last_checked_at) == ("completed", clock.now())
        assert await refills.in_status(["pending"], checked_before=clock.now()) == []


# ---------------------------------------------------------------------------- engines


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_sqlite_engine_is_tuned(engine: Any) -> None:
    async with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert (await pragma("PRAGMA journal_mode")).scalar() == "wal"
        assert (await pragma("PRAGMA foreign_keys")).scalar() == 1
        # The statements run in the event loop's thread: SQLite must never sleep on a
        # lock there; the wait happens in asyncio (db/sqlite_inline.py).
        assert (await pragma("PRAGMA busy_timeout")).scalar() == 0
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection)


async def test_sqlite_file_directory_is_created_and_memory_works(tmp_path: Path) -> None:
    file_engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'a' / 'b' / 'bot.sqlite3'}")
    memory_engine = create_engine("sqlite+aiosqlite://")
    try:
        for engine in (file_engine, memory_engine):
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
            factory: Factory = create_session_factory(engine)
            async with factory() as session, session.begin():
                await _user(session, datetime(2026, 1, 1, tzinfo=UTC))
            # Savepoints work inside our own BEGIN (not the sqlite3 driver's).
            async with factory() as session, session.begin():
                assert await UserRepo(session).count() == 1
                with pytest.raises(IntegrityError):
                    async with session.begin_nested():
                        await session.execute(text("INSERT INTO settings (key) VALUES ('x')"))
                assert await UserRepo(session).count() == 1
        assert (tmp_path / "a" / "b" / "bot.sqlite3").exists()
    finally:
        await file_engine.dispose()
        await memory_engine.dispose()
