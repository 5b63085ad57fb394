"""Customers: first contact, language, referral codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.outbox.writer import Priority
from bot.shop.shop_settings import MAINTENANCE
from db.read_cache import kept, shelf
from db.repositories.outbox import OutboxRepo
from db.repositories.settings import SettingsRepo
from db.repositories.users import UserRepo
from db.uow import lone_reader, reads, writes

_REF = re.compile(r"^ref_([0-9a-z]{1,12})$")
# Order and payment messages that could not reach a customer who had blocked the bot are
# delivered when they come back, if not older than this; broadcasts are not.
HELD_FOR = timedelta(days=7)
# Who sent an update and whether the shop is open, kept per customer (a busy hour's
# customers, not the whole table) while the rows behind it are unchanged.
_ARRIVAL_TABLES = ("users", "settings")
_ARRIVALS = shelf(20_000)


@dataclass(frozen=True, slots=True)
class UserDTO:
    id: int
    telegram_id: int
    username: str | None
    first_name: str | None
    language: str | None
    banned: bool
    balance: int
    referrer_id: int | None
    unreachable_since: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> UserDTO:
        """From a `User` or a row of the users table (the same names)."""
        return cls(
            id=row.id,
            telegram_id=row.telegram_id,
            username=row.username,
            first_name=row.first_name,
            language=row.language,
            banned=row.banned,
            balance=row.balance,
            referrer_id=row.referrer_id,
            unreachable_since=row.unreachable_since,
            created_at=row.created_at,
        )


@dataclass(frozen=True, slots=True)
class Arrival:
    """Who sent an update, and whether the shop is open to them."""

    user: UserDTO
    created: bool
    maintenance: bool


def referral_code(user_id: int) -> str:
    """A short public code for a user's referral link (base 36 of the internal id)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    value = user_id
    while True:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
        if value == 0:
            return out


def parse_referral(start_param: str | None) -> int | None:
    """The referrer's internal id from a `ref_<code>` start parameter; None if garbage."""
    if not start_param or not (match := _REF.match(start_param.strip().lower())):
        return None
    value = int(match.group(1), 36)
    return value if 0 < value < 2**62 else None


class UserService:
    def __init__(self, users: UserRepo, clock: Clock) -> None:
        self.users = users
        self.clock = clock

    @classmethod
    def from_session(cls, session: AsyncSession, clock: Clock) -> UserService:
        return cls(UserRepo(session), clock)

    @property
    def session(self) -> AsyncSession:
        return self.users.session

    async def enter(
        self,
        telegram_id: int,
        *,
        username: str | None,
        first_name: str | None,
        language: str,
        start_param: str | None = None,
    ) -> tuple[UserDTO, bool]:
        """The customer behind an update, registered on first contact; True when new.

        A read on every update; a write only when something changed (a new customer, a
        new username or name, a customer who had blocked the bot writes again), so an
        ordinary update never takes the database's write lock for it.

        The referrer is fixed at first contact and only to a customer who already exists,
        so a referral can neither point at oneself nor form a loop.
        """
        arrival = await self.arrive(
            telegram_id,
            username=username,
            first_name=first_name,
            language=language,
            start_param=start_param,
        )
        return arrival.user, arrival.created

    async def arrive(
        self,
        telegram_id: int,
        *,
        username: str | None,
        first_name: str | None,
        language: str,
        start_param: str | None = None,
    ) -> Arrival:
        """`enter` and the maintenance switch, for every update: one read when nothing
        about the customer changed."""
        known, maintenance = await self._look(telegram_id)
        if (
            known is not None
            and (known.username, known.first_name) == (username, first_name)
            and known.unreachable_since is None
        ):
            return Arrival(known, False, maintenance)
        user, created = await self._register(
            telegram_id,
            username=username,
            first_name=first_name,
            language=language,
            start_param=start_param,
        )
        return Arrival(user, created, maintenance)

    async def _look(self, telegram_id: int) -> tuple[UserDTO | None, bool]:
        """Kept while no transaction of this process wrote to the users or settings (see
        db/read_cache.py): most updates then open no transaction at all."""
        return await kept(
            self.session,
            _ARRIVAL_TABLES,
            ("arrival", telegram_id),
            lambda: self._read_arrival(telegram_id),
            on=_ARRIVALS,
        )

    async def _read_arrival(self, telegram_id: int) -> tuple[UserDTO | None, bool]:
        reader = lone_reader(self.session)
        if reader is None:
            return await self._read_arrival_in_use_case(telegram_id)
        row = await UserRepo.values_by_telegram_id_on(reader, telegram_id)
        # Kept here too: a kept switch then opens no transaction at all.
        maintenance = await kept(self.session, ("settings",), ("maintenance",), self._maintenance)
        return (UserDTO.of(row) if row is not None else None), maintenance

    @reads
    async def _read_arrival_in_use_case(self, telegram_id: int) -> tuple[UserDTO | None, bool]:
        row = await self.users.values_by_telegram_id(telegram_id)
        return (UserDTO.of(row) if row is not None else None), await self._maintenance()

    @reads
    async def _maintenance(self) -> bool:
        return await SettingsRepo(self.session).get_bool(MAINTENANCE)

    @reads
    async def find(self, telegram_id: int) -> UserDTO | None:
        row = await self.users.by_telegram_id(telegram_id)
        return UserDTO.of(row) if row is not None else None

    @writes
    async def _register(
        self,
        telegram_id: int,
        *,
        username: str | None,
        first_name: str | None,
        language: str,
        start_param: str | None,
    ) -> tuple[UserDTO, bool]:
        row = await self.users.by_telegram_id(telegram_id)
        if row is not None:
            if (row.username, row.first_name) != (username, first_name):
                row.username, row.first_name = username, first_name
            if row.unreachable_since is not None:
                # A customer who writes to the bot again can be reached again, and gets
                # what was held for them meanwhile.
                row.unreachable_since = None
                now = self.clock.now()
                await OutboxRepo(self.session).release_held(
                    telegram_id, priority=Priority.ORDER, since=now - HELD_FOR, now=now
                )
            await self.users.session.flush()
            return UserDTO.of(row), False
        referrer_id = None
        if (candidate := parse_referral(start_param)) is not None:
            referrer = await self.users.get(candidate)
            referrer_id = referrer.id if referrer is not None else None
        row, created = await self.users.get_or_create(
            telegram_id,
            username=username,
            first_name=first_name,
            language=language,
            now=self.clock.now(),
            referrer_id=referrer_id,
        )
        return UserDTO.of(row), created

    @writes
    async def set_language(self, user_id: int, language: str) -> None:
        await self.users.set_language(user_id, language)
