"""The wallet: balances that move only together with a ledger row.

Every change is a ledger row with a unique reference, written in the same transaction as
the balance, so the balance always equals the sum of the user's rows. A reference makes
the change idempotent: calling again with it returns the first result and changes
nothing. A debit is one conditional UPDATE (`balance >= amount`), never read-then-write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.shop.enums import LedgerKind
from bot.shop.errors import InsufficientFunds, NotFound, ReferenceConflict
from bot.shop.money import Micro, check_positive
from bot.shop.paging import Paging
from db.models import LedgerEntry
from db.repositories.ledger import LedgerRepo
from db.repositories.users import UserRepo
from db.uow import reads, writes

CREDIT_KINDS = frozenset(
    {
        LedgerKind.TOPUP,
        LedgerKind.REFUND,
        LedgerKind.ADJUSTMENT,
        LedgerKind.REFERRAL,
        LedgerKind.PROMO,
    }
)
DEBIT_KINDS = frozenset({LedgerKind.CHARGE, LedgerKind.ADJUSTMENT})
MAX_REFERENCE_LENGTH = 128
MAX_PER_PAGE = 100


@dataclass(frozen=True, slots=True)
class LedgerEntryDTO:
    id: int
    user_id: int
    kind: LedgerKind
    amount: Micro  # signed: credits > 0, debits < 0
    balance_after: Micro
    reference: str
    order_id: int | None
    actor_id: int | None
    note: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: LedgerEntry | Row[Any]) -> LedgerEntryDTO:
        return cls(
            id=row.id,
            user_id=row.user_id,
            kind=row.kind,
            amount=row.amount,
            balance_after=row.balance_after,
            reference=row.reference,
            order_id=row.order_id,
            actor_id=row.actor_id,
            note=row.note,
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True)
class LedgerPage(Paging):
    entries: tuple[LedgerEntryDTO, ...]  # newest first
    page: int  # from 0
    per_page: int
    total: int  # rows of the user in all

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, slots=True)
class BalanceMismatch:
    user_id: int
    balance: Micro
    ledger_total: Micro


class WalletService:
    def __init__(self, users: UserRepo, ledger: LedgerRepo, clock: Clock) -> None:
        self.users = users
        self.ledger = ledger
        self.clock = clock

    @property
    def session(self) -> AsyncSession:
        return self.users.session

    @classmethod
    def from_session(cls, session: AsyncSession, clock: Clock) -> WalletService:
        return cls(UserRepo(session), LedgerRepo(session), clock)

    @writes
    async def credit(
        self,
        user_id: int,
        amount: Micro,
        kind: LedgerKind,
        reference: str,
        *,
        order_id: int | None = None,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> LedgerEntryDTO:
        """Add `amount` to the balance; idempotent on `reference`.

        Raises InvalidAmount, NotFound (no such user), ReferenceConflict (the reference
        was used for another user, kind or amount).
        """
        if kind not in CREDIT_KINDS:
            raise ValueError(f"{kind} is not a credit")
        return await self._apply(
            user_id,
            check_positive(amount),
            kind,
            reference,
            order_id=order_id,
            actor_id=actor_id,
            note=note,
        )

    @writes
    async def debit(
        self,
        user_id: int,
        amount: Micro,
        kind: LedgerKind,
        reference: str,
        *,
        order_id: int | None = None,
        actor_id: int | None = None,
        note: str | None = None,
    ) -> LedgerEntryDTO:
        """Take `amount` from the balance if it covers it; idempotent on `reference`.

        Raises InvalidAmount, InsufficientFunds(needed, available), NotFound,
        ReferenceConflict. A refusal changes nothing.
        """
        if kind not in DEBIT_KINDS:
            raise ValueError(f"{kind} is not a debit")
        return await self._apply(
            user_id,
            -check_positive(amount),
            kind,
            reference,
            order_id=order_id,
            actor_id=actor_id,
            note=note,
        )

    async def _apply(
        self,
        user_id: int,
        signed: Micro,
        kind: LedgerKind,
        reference: str,
        *,
        order_id: int | None,
        actor_id: int | None,
        note: str | None,
    ) -> LedgerEntryDTO:
        if not reference or len(reference) > MAX_REFERENCE_LENGTH:
            raise ValueError(f"bad ledger reference {reference!r}")
        # Two statements on the happy path: the balance UPDATE (conditional for a debit)
        # and the ledger INSERT; the caller's transaction makes them one change.
        if signed < 0:
            balance = await self.users.take_balance(user_id, -signed)
            if balance is None:
                # Short of money, no such user, or this very debit happened already.
                existing = await self.ledger.by_reference(reference)
                if existing is not None:
                    return self._same(existing, user_id, kind, signed)
                available = await self.users.balance(user_id)
                if available is None:
                    raise NotFound("user", user_id)
                raise InsufficientFunds(needed=-signed, available=available)
        else:
            balance = await self.users.add_balance(user_id, signed)
            if balance is None:
                raise NotFound("user", user_id)
        row = await self.ledger.insert(
            user_id=user_id,
            kind=kind,
            amount=signed,
            balance_after=balance,
            reference=reference,
            order_id=order_id,
            actor_id=actor_id,
            note=note,
            now=self.clock.now(),
        )
        if row is None:
            # The reference exists: an earlier call, or a concurrent one that committed
            # first. Give the balance change back (the row is still ours: locked on
            # PostgreSQL, the database on SQLite) and answer with the first result.
            await self.users.add_balance(user_id, -signed)
            existing = await self.ledger.by_reference(reference)
            assert existing is not None
            return self._same(existing, user_id, kind, signed)
        return LedgerEntryDTO.of(row)

    @staticmethod
    def _same(
        row: LedgerEntry | Row[Any], user_id: int, kind: LedgerKind, signed: Micro
    ) -> LedgerEntryDTO:
        if (row.user_id, row.kind, row.amount) != (user_id, kind, signed):
            raise ReferenceConflict(row.reference)
        return LedgerEntryDTO.of(row)

    @reads
    async def balance(self, user_id: int) -> Micro:
        balance = await self.users.balance(user_id)
        if balance is None:
            raise NotFound("user", user_id)
        return balance

    @reads
    async def history(self, user_id: int, *, page: int = 0, per_page: int = 10) -> LedgerPage:
        """One page of the user's ledger, newest first; pages count from 0."""
        per_page = min(max(per_page, 1), MAX_PER_PAGE)
        page = max(page, 0)
        total = await self.ledger.count(user_id)
        rows = await self.ledger.page(user_id, limit=per_page, offset=page * per_page)
        return LedgerPage(
            entries=tuple(LedgerEntryDTO.of(row) for row in rows),
            page=page,
            per_page=per_page,
            total=total,
        )

    @reads
    async def entry(self, reference: str) -> LedgerEntryDTO | None:
        row = await self.ledger.by_reference(reference)
        return None if row is None else LedgerEntryDTO.of(row)

    @reads
    async def mismatches(self, limit: int = 100) -> list[BalanceMismatch]:
        """Users whose balance is not the sum of their ledger: empty, or a bug to alert on."""
        return [
            BalanceMismatch(user_id, balance, total)
            for user_id, balance, total in await self.ledger.mismatches(limit)
        ]


__all__ = [
    "CREDIT_KINDS",
    "DEBIT_KINDS",
    "BalanceMismatch",
    "LedgerEntryDTO",
    "LedgerPage",
    "WalletService",
]
