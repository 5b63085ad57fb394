"""Promo codes: admins create them with an amount and a number of uses; a customer
redeems each code once.

A redemption is one transaction: a unique (code, customer) row, one conditional UPDATE
taking a use (`uses_left > 0 AND active AND not expired`), and a ledger credit
(`promo:<CODE>:<user id>`). Concurrent redemptions of the last uses can never exceed the
total: the UPDATE re-checks `uses_left` under the row lock (PostgreSQL) or the write lock
(SQLite). A code is never reused, even after it was switched off: its ledger references
stay unique.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.numbers import parse_whole
from bot.shop.enums import LedgerKind
from bot.shop.errors import InvalidAmount, NotFound, ShopError
from bot.shop.money import Micro, parse_amount
from bot.shop.wallet import WalletService
from db.models import PromoCode
from db.repositories.audit import AuditRepo
from db.repositories.promos import PromoRepo
from db.uow import reads, writes

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,31}$")
# Words of the admin command (`/promo create|list|off`): never codes.
RESERVED = frozenset({"CREATE", "LIST", "OFF", "ON", "HELP"})
MAX_USES = 1_000_000
MAX_DAYS = 3650
LIST_LIMIT = 30  # one message


class PromoStatus(StrEnum):
    ACTIVE = "active"
    OFF = "off"  # switched off by an admin
    EXPIRED = "expired"
    USED_UP = "used_up"


class InvalidPromoCode(ShopError):
    """Not the shape of a code: 3-32 letters, digits, '-' or '_', not a command word."""

    def __init__(self, code: str) -> None:
        super().__init__(code=code)
        self.code = code


class PromoExists(ShopError):
    def __init__(self, code: str) -> None:
        super().__init__(code=code)
        self.code = code


class InvalidPromoNumber(ShopError):
    """The uses or the days of `/promo create` are not a whole number in range."""

    def __init__(self, field: str, value: str, max: int) -> None:
        super().__init__(field=field, value=value, max=max)
        self.field = field  # "uses" | "days"
        self.value = value
        self.max = max


class PromoUnavailable(ShopError):
    """The code exists but cannot be redeemed now (off, expired, used up)."""

    def __init__(self, code: str, status: PromoStatus) -> None:
        super().__init__(code=code, status=status)
        self.code = code
        self.status = status


class PromoAlreadyRedeemed(ShopError):
    def __init__(self, code: str) -> None:
        super().__init__(code=code)
        self.code = code


@dataclass(frozen=True, slots=True)
class PromoDTO:
    id: int
    code: str
    amount: Micro
    uses_total: int
    uses_left: int
    active: bool
    expires_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: PromoCode) -> PromoDTO:
        return cls(
            id=row.id,
            code=row.code,
            amount=row.amount,
            uses_total=row.uses_total,
            uses_left=row.uses_left,
            active=row.active,
            expires_at=row.expires_at,
            created_at=row.created_at,
        )

    @property
    def used(self) -> int:
        return self.uses_total - self.uses_left

    def status(self, now: datetime) -> PromoStatus:
        if not self.active:
            return PromoStatus.OFF
        if self.expires_at is not None and self.expires_at <= now:
            return PromoStatus.EXPIRED
        if self.uses_left <= 0:
            return PromoStatus.USED_UP
        return PromoStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class PromoSpec:
    code: str
    amount: Micro
    uses: int
    days: int | None


@dataclass(frozen=True, slots=True)
class Redemption:
    code: str
    amount: Micro
    balance: Micro


def normalize_code(text: str) -> str:
    """The code as stored (upper case); InvalidPromoCode when it cannot be one."""
    code = text.strip().upper()
    if not CODE_PATTERN.match(code) or code in RESERVED:
        raise InvalidPromoCode(text[:40])
    return code


def _whole(field: str, text: str, high: int) -> int:
    value = parse_whole(text, low=1, high=high)
    if value is None:
        raise InvalidPromoNumber(field, text[:20], high)
    return value


def parse_spec(args: list[str]) -> PromoSpec:
    """`<CODE> <amount> <uses> [days]` of `/promo create`; domain errors when malformed."""
    if len(args) not in (3, 4):
        raise InvalidPromoNumber("args", " ".join(args)[:40], 4)
    code = normalize_code(args[0])
    amount = parse_amount(args[1])  # InvalidAmount
    uses = _whole("uses", args[2], MAX_USES)
    days = _whole("days", args[3], MAX_DAYS) if len(args) == 4 else None
    return PromoSpec(code, amount, uses, days)


class PromoService:
    def __init__(
        self, session: AsyncSession, promos: PromoRepo, wallet: WalletService, clock: Clock
    ) -> None:
        self.session = session
        self.promos = promos
        self.wallet = wallet
        self.clock = clock

    @classmethod
    def from_session(cls, session: AsyncSession, clock: Clock) -> PromoService:
        return cls(session, PromoRepo(session), WalletService.from_session(session, clock), clock)

    @writes
    async def create(self, spec: PromoSpec, *, actor_id: int) -> PromoDTO:
        """Raises PromoExists (also for a code that was switched off: codes are unique)."""
        if spec.amount <= 0:
            raise InvalidAmount(spec.amount)
        now = self.clock.now()
        expires_at = now + timedelta(days=spec.days) if spec.days else None
        row = await self.promos.create(
            code=spec.code,
            amount=spec.amount,
            uses=spec.uses,
            expires_at=expires_at,
            created_by=actor_id,
            now=now,
        )
        if row is None:
            raise PromoExists(spec.code)
        await AuditRepo(self.session).record(
            actor_id,
            "promo_create",
            now=now,
            target_type="promo",
            target_id=spec.code,
            details={"amount": spec.amount, "uses": spec.uses, "days": spec.days},
        )
        return PromoDTO.of(row)

    @reads
    async def all(self, limit: int = LIST_LIMIT) -> list[PromoDTO]:
        return [PromoDTO.of(row) for row in await self.promos.page(limit=limit)]

    @writes
    async def disable(self, code_text: str, *, actor_id: int) -> PromoDTO:
        code = normalize_code(code_text)
        row = await self.promos.disable(code)
        if row is None:
            raise NotFound("promo", code)
        await AuditRepo(self.session).record(
            actor_id, "promo_off", now=self.clock.now(), target_type="promo", target_id=code
        )
        return PromoDTO.of(row)

    @writes
    async def redeem(self, user_id: int, code_text: str) -> Redemption:
        """Credit the code's amount once per customer, within its uses.

        Raises InvalidPromoCode, NotFound, PromoAlreadyRedeemed, PromoUnavailable; a
        refusal changes nothing.
        """
        code = normalize_code(code_text)
        row = await self.promos.by_code(code)
        if row is None:
            raise NotFound("promo", code)
        promo = PromoDTO.of(row)
        now = self.clock.now()
        async with self.promos.savepoint():
            if not await self.promos.add_redemption(
                promo_id=promo.id, user_id=user_id, amount=promo.amount, now=now
            ):
                raise PromoAlreadyRedeemed(code)
            if await self.promos.take_use(promo.id, now) is None:
                fresh = await self.promos.by_code(code)
                status = PromoDTO.of(fresh).status(now) if fresh else PromoStatus.OFF
                # The savepoint undoes the redemption row; the code had no use to give.
                raise PromoUnavailable(
                    code, status if status is not PromoStatus.ACTIVE else PromoStatus.USED_UP
                )
            entry = await self.wallet.credit(
                user_id,
                promo.amount,
                LedgerKind.PROMO,
                f"promo:{code}:{user_id}",
                note=f"promo code {code}",
            )
        return Redemption(code, promo.amount, entry.balance_after)


__all__ = [
    "MAX_DAYS",
    "MAX_USES",
    "RESERVED",
    "InvalidPromoCode",
    "InvalidPromoNumber",
    "PromoAlreadyRedeemed",
    "PromoDTO",
    "PromoExists",
    "PromoService",
    "PromoSpec",
    "PromoStatus",
    "PromoUnavailable",
    "Redemption",
    "normalize_code",
    "parse_spec",
]
