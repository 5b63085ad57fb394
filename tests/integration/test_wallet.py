"""The wallet on SQLite and PostgreSQL: idempotent credits, conditional debits, a ledger
that always sums to the balance, and refusals that change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import FakeClock
from bot.shop.enums import LedgerKind
from bot.shop.errors import InsufficientFunds, InvalidAmount, NotFound, ReferenceConflict
from bot.shop.wallet import WalletService
from db.models import LedgerEntry, User
from db.repositories.ledger import LedgerRepo
from db.repositories.users import UserRepo

T = TypeVar("T")
Factory = async_sessionmaker[AsyncSession]
USD = 1_000_000


async def in_tx(
    factory: Factory, clock: FakeClock, work: Callable[[WalletService], Awaitable[T]]
) -> T:
    """One unit of work in its own session and transaction, as a handler would run."""
    async with factory() as session, session.begin():
        return await work(WalletService.from_session(session, clock))


async def new_user(factory: Factory, clock: FakeClock, telegram_id: int = 1001) -> int:
    async with factory() as session, session.begin():
        user, _ = await UserRepo(session).get_or_create(
            telegram_id, username=None, first_name="Alice", language="en", now=clock.now()
        )
        return user.id


async def state(factory: Factory, user_id: int) -> tuple[int, int, int]:
    """(balance, ledger sum, ledger rows) as committed."""
    async with factory() as session:
        balance = await UserRepo(session).balance(user_id)
        ledger = LedgerRepo(session)
        assert balance is not None
        return balance, await ledger.total(user_id), await ledger.count(user_id)


async def test_credit_then_debit(session_factory: Factory, clock: FakeClock) -> None:
    uid = await new_user(session_factory, clock)
    entry = await in_tx(
        session_factory, clock, lambda w: w.credit(uid, 10 * USD, LedgerKind.TOPUP, "pay:1")
    )
    assert (entry.amount, entry.balance_after, entry.kind) == (10 * USD, 10 * USD, "topup")
    assert entry.created_at == clock.now()
    debit = await in_tx(
        session_factory, clock, lambda w: w.debit(uid, 3 * USD, LedgerKind.CHARGE, "checkout:a")
    )
    assert (debit.amount, debit.balance_after) == (-3 * USD, 7 * USD)
    assert await state(session_factory, uid) == (7 * USD, 7 * USD, 2)


async def test_credit_is_idempotent_on_reference(
    session_factory: Factory, clock: FakeClock
) -> None:
    uid = await new_user(session_factory, clock)
    first = await in_tx(
        session_factory, clock, lambda w: w.credit(uid, 5 * USD, LedgerKind.TOPUP, "pay:x")
    )
    clock.advance(60)
    second = await in_tx(
        session_factory, clock, lambda w: w.credit(uid, 5 * USD, LedgerKind.TOPUP, "pay:x")
    )
    assert second == first
    assert await state(session_factory, uid) == (5 * USD, 5 * USD, 1)


async def test_reference_reused_for_something_else_is_refused(
    session_factory: Factory, clock: FakeClock
) -> None:
    uid = await new_user(session_factory, clock)
    other = await new_user(session_factory, clock, telegram_id=2002)
    await in_tx(session_factory, clock, lambda w: w.credit(uid, 5 * USD, LedgerKind.TOPUP, "p:1"))
    for work in (
        lambda w: w.credit(uid, 6 * USD, LedgerKind.TOPUP, "p:1"),
        lambda w: w.credit(other, 5 * USD, LedgerKind.TOPUP, "p:1"),
        lambda w: w.credit(uid, 5 * USD, LedgerKind.PROMO, "p:1"),
        lambda w: w.debit(uid, 5 * USD, LedgerKind.CHARGE, "p:1"),
    ):
        with pytest.raises(ReferenceConflict):
            await in_tx(session_factory, clock, work)
    assert await state(session_factory, uid) == (5 * USD, 5 * USD, 1)
    assert await state(session_factory, other) == (0, 0, 0)


async def test_debit_is_idempotent_even_when_the_balance_is_gone(
    session_factory: Factory, clock: FakeClock
) -> None:
    uid = await new_user(session_factory, clock)
    await in_tx(session_factory, clock, lambda w: w.credit(uid, 2 * USD, LedgerKind.TOPUP, "p"))
    first = await in_tx(
        session_factory, clock, lambda w: w.debit(uid, 2 * USD, LedgerKind.CHARGE, "c")
    )
    again = await in_tx(
        session_factory, clock, lambda w: w.debit(uid, 2 * USD, LedgerKind.CHARGE, "c")
    )
    assert again == first
    assert await state(session_factory, uid) == (0, 0, 2)


async def test_insufficient_funds_changes_nothing_even_if_the_caller_commits(
    session_factory: Factory, clock: FakeClock
) -> None:
    uid = await new_user(session_factory, clock)
    await in_tx(session_factory, clock, lambda w: w.credit(uid, 1 * USD, LedgerKind.TOPUP, "p"))
    async with session_factory() as session, session.begin():  # commits at the end
        wallet = WalletService.from_session(session, clock)
        with pytest.raises(InsufficientFunds) as caught:
            await wallet.debit(uid, 1 * USD + 1, LedgerKind.CHARGE, "c")
        # The transaction is still usable after the refusal.
        assert await wallet.balance(uid) == 1 * USD
    assert (caught.value.needed, caught.value.available, caught.value.missing) == (
        1 * USD + 1,
        1 * USD,
        1,
    )
    assert await state(session_factory, uid) == (1 * USD, 1 * USD, 1)


@pytest.mark.parametrize(
    "amount", [0, -1, -5 * USD, Decimal("1.5"), Decimal("0.0000001"), 1.0, True, "1"]
)
async def test_bad_amounts_are_refused(
    session_factory: Factory, clock: FakeClock, amount: object
) -> None:
    uid = await new_user(session_factory, clock)
    with pytest.raises(InvalidAmount):
        await in_tx(session_factory, clock, lambda w: w.credit(uid, amount, LedgerKind.TOPUP, "p"))  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        await in_tx(session_factory, clock, lambda w: w.debit(uid, amount, LedgerKind.CHARGE, "c"))  # type: ignore[arg-type]
    assert await state(session_factory, uid) == (0, 0, 0)


async def test_unknown_user(session_factory: Factory, clock: FakeClock) -> None:
    with pytest.raises(NotFound):
        await in_tx(session_factory, clock, lambda w: w.credit(999, USD, LedgerKind.TOPUP, "p"))
    with pytest.raises(NotFound):
        await in_tx(session_factory, clock, lambda w: w.debit(999, USD, LedgerKind.CHARGE, "c"))
    with pytest.raises(NotFound):
        await in_tx(session_factory, clock, lambda w: w.balance(999))
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


async def test_kind_must_match_the_direction(session_factory: Factory, clock: FakeClock) -> None:
    uid = await new_user(session_factory, clock)
    with pytest.raises(ValueError):
        await in_tx(session_factory, clock, lambda w: w.credit(uid, USD, LedgerKind.CHARGE, "x"))
    with pytest.raises(ValueError):
        await in_tx(session_factory, clock, lambda w: w.debit(uid, USD, LedgerKind.TOPUP, "y"))


async def test_history_is_paged_newest_first(session_factory: Factory, clock: FakeClock) -> None:
    uid = await new_user(session_factory, clock)
    for n in range(1, 26):
        clock.advance(1)
        await in_tx(
            session_factory,
            clock,
            lambda w, n=n: w.credit(uid, n * USD, LedgerKind.TOPUP, f"p:{n}"),
        )
    pages = [
        await in_tx(session_factory, clock, lambda w, p=p: w.history(uid, page=p, per_page=10))
        for p in range(3)
    ]
    assert [len(p.entries) for p in pages] == [10, 10, 5]
    assert [p.has_next for p in pages] == [True, True, False]
    assert [p.has_prev for p in pages] == [False, True, True]
    assert pages[0].total == 25 and pages[0].pages == 3
    refs = [e.reference for p in pages for e in p.entries]
    assert refs == [f"p:{n}" for n in range(25, 0, -1)]
    # Each row records the balance right after it: a running sum.
    assert pages[0].entries[0].balance_after == sum(range(1, 26)) * USD


async def test_a_repeated_reference_is_undone_cleanly(
    session_factory: Factory, clock: FakeClock
) -> None:
    """The ON CONFLICT path: the balance change is given back and the outer transaction
    stays usable (on PostgreSQL a failed INSERT would have poisoned it)."""
    uid = await new_user(session_factory, clock)
    first = await in_tx(
        session_factory, clock, lambda w: w.credit(uid, 3 * USD, LedgerKind.TOPUP, "pay:race")
    )
    async with session_factory() as session, session.begin():
        wallet = WalletService.from_session(session, clock)
        again = await wallet.credit(uid, 3 * USD, LedgerKind.TOPUP, "pay:race")
        assert again == first
        assert await wallet.balance(uid) == 3 * USD
        user = await session.get(User, uid)  # a loaded User follows the balance
        assert user is not None and user.balance == 3 * USD
        await wallet.debit(uid, 1 * USD, LedgerKind.CHARGE, "after")
        assert user.balance == 2 * USD
    assert await state(session_factory, uid) == (2 * USD, 2 * USD, 2)


async def test_100_concurrent_debits_of_one_against_ten(
    session_factory: Factory, clock: FakeClock
) -> None:
    uid = await new_user(session_factory, clock)
    await in_tx(session_factory, clock, lambda w: w.credit(uid, 10 * USD, LedgerKind.TOPUP, "p"))

    async def debit(n: int) -> bool:
        try:
            await in_tx(
                session_factory, clock, lambda w: w.debit(uid, 1 * USD, LedgerKind.CHARGE, f"c:{n}")
            )
        except InsufficientFunds:
            return False
        return True

    results = await asyncio.gather(*(debit(n) for n in range(100)))
    assert results.count(True) == 10
    assert await state(session_factory, uid) == (0, 0, 11)
    async with session_factory() as session:
        assert await WalletService.from_session(session, clock).mismatches() == []


async def test_concurrent_credits_of_one_reference_credit_once(
    session_factory: Factory, clock: FakeClock
) -> None:
    uid = await new_user(session_factory, clock)
    entries = await asyncio.gather(
        *(
            in_tx(
                session_factory, clock, lambda w: w.credit(uid, 4 * USD, LedgerKind.TOPUP, "pay:1")
            )
            for _ in range(30)
        )
    )
    assert len({e.id for e in entries}) == 1
    assert await state(session_factory, uid) == (4 * USD, 4 * USD, 1)


async def test_balance_checked_against_the_ledger(
    session_factory: Factory, clock: FakeClock
) -> None:
    uid = await new_user(session_factory, clock)
    await in_tx(session_factory, clock, lambda w: w.credit(uid, 2 * USD, LedgerKind.TOPUP, "p"))
    async with session_factory() as session:
        assert await WalletService.from_session(session, clock).mismatches() == []
    async with session_factory() as session, session.begin():
        # A bug writing the balance behind the ledger's back is found.
        user = await session.get(User, uid)
        assert user is not None
        user.balance += 1
    async with session_factory() as session:
        [mismatch] = await WalletService.from_session(session, clock).mismatches()
    assert (mismatch.user_id, mismatch.balance, mismatch.ledger_total) == (
        uid,
        2 * USD + 1,
        2 * USD,
    )
