"""Switches an admin changes at run time, kept in the settings table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.numbers import parse_whole
from bot.provider.errors import AccountIssue
from bot.shop.money import Micro
from db.repositories.settings import SettingsRepo
from db.uow import reads, writes

MAINTENANCE = "maintenance"
# The panel refused the shop's account (no funds, a bad key, the IP, the API switched
# off): no checkout until a balance check answers normally again (with enough funds).
PANEL_PAUSED = "panel.paused_since"  # ISO time; absent when not paused
PANEL_PAUSED_REASON = "panel.paused_reason"  # the panel's words
PANEL_PAUSED_CAUSE = "panel.paused_cause"  # an AccountIssue value; absent: no funds
PANEL_PAUSED_NEED = "panel.paused_need"  # micro-units (shop currency) of the refused order
PANEL_PAUSED_ANNOUNCED = "panel.paused_announced"  # operators were told
# Watchdog state kept across restarts, so an alert is sent once and its all-clear once.
PANEL_DOWN_SINCE = "panel.down_since"  # ISO time; operators were told the panel is down
# Set with PANEL_DOWN_SINCE when the panel answers but refuses status checks: it may
# still take orders, so checkout goes on.
PANEL_DOWN_ANSWERING = "panel.down_answering"
PANEL_BALANCE_LOW = "panel.balance_low"  # operators were told the balance is low
REFILL_STATUS_MISSING = "panel.refill_status_missing"  # operators were told it is missing
CATALOGUE_REFUSED = "catalog.refused_since"  # ISO time; operators were told a list was refused
# The admin's platform renames: a JSON object, derived platform -> the name shown.
PLATFORM_RENAMES = "catalog.platform_renames"


class OrderingHold(StrEnum):
    """Why checkout is refused before paying."""

    PAUSED = "paused"  # the panel refused the shop's account
    DOWN = "down"  # the panel has not been answering (operators were told)


@dataclass(frozen=True, slots=True)
class PanelPause:
    since: datetime
    reason: str
    need: Micro | None  # the refused order's cost in the shop currency, when known
    announced: bool
    cause: AccountIssue = AccountIssue.NO_FUNDS


class ShopSettings:
    def __init__(self, repo: SettingsRepo, clock: Clock) -> None:
        self.repo = repo
        self.clock = clock

    @property
    def session(self) -> AsyncSession:
        return self.repo.session

    @classmethod
    def from_session(cls, session: AsyncSession, clock: Clock) -> ShopSettings:
        return cls(SettingsRepo(session), clock)

    @reads
    async def maintenance(self) -> bool:
        return await self.repo.get_bool(MAINTENANCE)

    @writes
    async def set_maintenance(self, on: bool) -> None:
        await self.repo.set_bool(MAINTENANCE, on, now=self.clock.now())

    # --- the catalogue's platforms ----------------------------------------------------

    @reads
    async def platform_renames(self) -> dict[str, str]:
        """The admin's renames; a value that is not what we write reads as none."""
        try:
            value = json.loads(await self.repo.get(PLATFORM_RENAMES) or "{}")
        except ValueError:
            return {}
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}

    @writes
    async def set_platform_renames(self, renames: dict[str, str]) -> None:
        if renames:
            text = json.dumps(renames, ensure_ascii=False, sort_keys=True)
            await self.repo.set(PLATFORM_RENAMES, text, now=self.clock.now())
        else:
            await self.repo.delete(PLATFORM_RENAMES)

    # --- the panel's pause (an account-level refusal) --------------------------------

    @reads
    async def panel_paused(self) -> bool:
        """True while the panel cannot take orders: checkout is refused before paying."""
        return await self.repo.get(PANEL_PAUSED) is not None

    @reads
    async def ordering_hold(self) -> OrderingHold | None:
        """Whether checkout must be refused now: the pause, or the poller's outage (it
        ends when the panel answers a status or balance call again)."""
        if await self.repo.get(PANEL_PAUSED) is not None:
            return OrderingHold.PAUSED
        if await self.repo.get(PANEL_DOWN_SINCE) is not None and not await self.repo.get_bool(
            PANEL_DOWN_ANSWERING
        ):
            return OrderingHold.DOWN
        return None

    @reads
    async def panel_pause(self) -> PanelPause | None:
        since = await self.repo.get(PANEL_PAUSED)
        if since is None:
            return None
        need = parse_whole(await self.repo.get(PANEL_PAUSED_NEED) or "")
        cause = await self.repo.get(PANEL_PAUSED_CAUSE)
        return PanelPause(
            since=datetime.fromisoformat(since),
            reason=await self.repo.get(PANEL_PAUSED_REASON) or "",
            need=need,
            announced=await self.repo.get_bool(PANEL_PAUSED_ANNOUNCED),
            cause=AccountIssue(cause) if cause in set(AccountIssue) else AccountIssue.NO_FUNDS,
        )

    @writes
    async def pause_panel(
        self,
        reason: str,
        *,
        need: Micro | None = None,
        cause: AccountIssue = AccountIssue.NO_FUNDS,
    ) -> bool:
        """Pause ordering; True when it was not paused before. A second refusal while
        paused raises the amount needed if it is larger; one with another cause replaces
        the cause (and operators are told again)."""
        now = self.clock.now()
        current = await self.panel_pause()
        if current is not None:
            if need is not None and (current.need is None or need > current.need):
                await self.repo.set(PANEL_PAUSED_NEED, str(need), now=now)
            if cause is not current.cause:
                await self.repo.set(PANEL_PAUSED_CAUSE, cause.value, now=now)
                await self.repo.set(PANEL_PAUSED_REASON, reason[:500], now=now)
                await self.repo.set_bool(PANEL_PAUSED_ANNOUNCED, False, now=now)
            return False
        await self.repo.set(PANEL_PAUSED, now.isoformat(), now=now)
        await self.repo.set(PANEL_PAUSED_REASON, reason[:500], now=now)
        await self.repo.set(PANEL_PAUSED_CAUSE, cause.value, now=now)
        if need is not None:
            await self.repo.set(PANEL_PAUSED_NEED, str(need), now=now)
        else:
            await self.repo.delete(PANEL_PAUSED_NEED)
        await self.repo.set_bool(PANEL_PAUSED_ANNOUNCED, False, now=now)
        return True

    @writes
    async def mark_panel_pause_announced(self) -> None:
        await self.repo.set_bool(PANEL_PAUSED_ANNOUNCED, True, now=self.clock.now())

    @writes
    async def resume_panel(self) -> bool:
        """Take orders again; True when it was paused."""
        was = await self.repo.delete(PANEL_PAUSED)
        for key in (
            PANEL_PAUSED_REASON,
            PANEL_PAUSED_NEED,
            PANEL_PAUSED_ANNOUNCED,
            PANEL_PAUSED_CAUSE,
        ):
            await self.repo.delete(key)
        return was

    # --- watchdog memory (bot/jobs) ---------------------------------------------------

    @reads
    async def panel_down_since(self) -> datetime | None:
        value = await self.repo.get(PANEL_DOWN_SINCE)
        return datetime.fromisoformat(value) if value else None

    @reads
    async def panel_down_answering(self) -> bool:
        """The outage is of a panel that answers but refuses status checks."""
        return await self.repo.get_bool(PANEL_DOWN_ANSWERING)

    @writes
    async def set_panel_down_since(
        self, since: datetime | None, *, answering: bool = False
    ) -> None:
        """Since when the panel is down (None: it answers again); `answering`: it answers
        but refuses status checks."""
        if since is None:
            await self.repo.delete(PANEL_DOWN_SINCE)
            await self.repo.delete(PANEL_DOWN_ANSWERING)
            return
        now = self.clock.now()
        await self.repo.set(PANEL_DOWN_SINCE, since.isoformat(), now=now)
        if answering:
            await self.repo.set_bool(PANEL_DOWN_ANSWERING, True, now=now)
        else:
            await self.repo.delete(PANEL_DOWN_ANSWERING)

    @reads
    async def panel_balance_low(self) -> bool:
        return await self.repo.get_bool(PANEL_BALANCE_LOW)

    @writes
    async def set_panel_balance_low(self, low: bool) -> None:
        await self.repo.set_bool(PANEL_BALANCE_LOW, low, now=self.clock.now())

    @reads
    async def catalogue_refused_since(self) -> datetime | None:
        value = await self.repo.get(CATALOGUE_REFUSED)
        return datetime.fromisoformat(value) if value else None

    @writes
    async def set_catalogue_refused(self, since: datetime | None) -> None:
        if since is None:
            await self.repo.delete(CATALOGUE_REFUSED)
        else:
            await self.repo.set(CATALOGUE_REFUSED, since.isoformat(), now=self.clock.now())

    @reads
    async def refill_status_missing(self) -> bool:
        return await self.repo.get_bool(REFILL_STATUS_MISSING)

    @writes
    async def set_refill_status_missing(self, missing: bool) -> None:
        if missing:
            await self.repo.set_bool(REFILL_STATUS_MISSING, True, now=self.clock.now())
        else:
            await self.repo.delete(REFILL_STATUS_MISSING)
