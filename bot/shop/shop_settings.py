"""Switches an admin changes at run time, kept in the settings table.

Each panel's state is kept under keys of its own, "panel.<name>.<what>" (migration 0005
moved a one-panel shop's "panel.<what>" and "catalog.refused_since" keys to `main`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.numbers import parse_whole
from bot.provider.errors import AccountIssue
from bot.provider.panels import MAIN_PANEL
from bot.shop.money import Micro
from db.repositories.settings import SettingsRepo
from db.uow import reads, writes

MAINTENANCE = "maintenance"
# The panel refused the shop's account (no funds, a bad key, the IP, the API switched
# off): no checkout until a balance check answers normally again (with enough funds).
PANEL_PAUSED = "paused_since"  # ISO time; absent when not paused
PANEL_PAUSED_REASON = "paused_reason"  # the panel's words
PANEL_PAUSED_CAUSE = "paused_cause"  # an AccountIssue value; absent: no funds
PANEL_PAUSED_NEED = "paused_need"  # micro-units (shop currency) of the refused order
PANEL_PAUSED_ANNOUNCED = "paused_announced"  # operators were told
# Watchdog state kept across restarts, so an alert is sent once and its all-clear once.
PANEL_DOWN_SINCE = "down_since"  # ISO time; operators were told the panel is down
# Set with PANEL_DOWN_SINCE when the panel answers but refuses status checks: it may
# still take orders, so checkout goes on.
PANEL_DOWN_ANSWERING = "down_answering"
PANEL_BALANCE_LOW = "balance_low"  # operators were told the balance is low
REFILL_STATUS_MISSING = "refill_status_missing"  # operators were told it is missing
CATALOGUE_REFUSED = "catalog_refused_since"  # ISO time; operators were told a list was refused
# The admin's platform renames: a JSON object, derived platform -> the name shown.
PLATFORM_RENAMES = "catalog.platform_renames"
# An admin's /panel <name> off: no new orders go to it (services with a backup fail over).
PANEL_OFF = "off_since"  # ISO time; absent when on


def panel_key(panel: str, what: str) -> str:
    """The settings key of one panel's `what` ("panel.main.paused_since")."""
    return f"panel.{panel}.{what}"


class OrderingHold(StrEnum):
    """Why checkout is refused before paying."""

    PAUSED = "paused"  # the panel refused the shop's account
    DOWN = "down"  # the panel has not been answering (operators were told)
    OFF = "off"  # an admin stopped new orders to it (/panel <name> off)


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

    async def _get(self, panel: str, what: str) -> str | None:
        return await self.repo.get(panel_key(panel, what))

    async def _set(self, panel: str, what: str, value: str) -> None:
        await self.repo.set(panel_key(panel, what), value, now=self.clock.now())

    async def _flag(self, panel: str, what: str) -> bool:
        return await self.repo.get_bool(panel_key(panel, what))

    async def _set_flag(self, panel: str, what: str, on: bool) -> None:
        await self.repo.set_bool(panel_key(panel, what), on, now=self.clock.now())

    async def _delete(self, panel: str, what: str) -> bool:
        return await self.repo.delete(panel_key(panel, what))

    # --- a panel's pause (an account-level refusal) ----------------------------------

    @reads
    async def panel_paused(self, panel: str = MAIN_PANEL) -> bool:
        """True while the panel cannot take orders: checkout is refused before paying."""
        return await self._get(panel, PANEL_PAUSED) is not None

    @reads
    async def ordering_hold(self, panel: str = MAIN_PANEL) -> OrderingHold | None:
        """Whether new orders to the panel must be refused now: an admin switched it off,
        the pause, or the poller's outage (it ends when the panel answers a status or
        balance call again)."""
        if await self._get(panel, PANEL_OFF) is not None:
            return OrderingHold.OFF
        if await self._get(panel, PANEL_PAUSED) is not None:
            return OrderingHold.PAUSED
        if await self._get(panel, PANEL_DOWN_SINCE) is not None and not await self._flag(
            panel, PANEL_DOWN_ANSWERING
        ):
            return OrderingHold.DOWN
        return None

    @reads
    async def panel_pause(self, panel: str = MAIN_PANEL) -> PanelPause | None:
        since = await self._get(panel, PANEL_PAUSED)
        if since is None:
            return None
        need = parse_whole(await self._get(panel, PANEL_PAUSED_NEED) or "")
        cause = await self._get(panel, PANEL_PAUSED_CAUSE)
        return PanelPause(
            since=datetime.fromisoformat(since),
            reason=await self._get(panel, PANEL_PAUSED_REASON) or "",
            need=need,
            announced=await self._flag(panel, PANEL_PAUSED_ANNOUNCED),
            cause=AccountIssue(cause) if cause in set(AccountIssue) else AccountIssue.NO_FUNDS,
        )

    @writes
    async def pause_panel(
        self,
        reason: str,
        *,
        need: Micro | None = None,
        cause: AccountIssue = AccountIssue.NO_FUNDS,
        panel: str = MAIN_PANEL,
    ) -> bool:
        """Pause ordering; True when it was not paused before. A second refusal while
        paused raises the amount needed if it is larger; one with another cause replaces
        the cause (and operators are told again)."""
        now = self.clock.now()
        current = await self.panel_pause(panel)
        if current is not None:
            if need is not None and (current.need is None or need > current.need):
                await self._set(panel, PANEL_PAUSED_NEED, str(need))
            if cause is not current.cause:
                await self._set(panel, PANEL_PAUSED_CAUSE, cause.value)
                await self._set(panel, PANEL_PAUSED_REASON, reason[:500])
                await self._set_flag(panel, PANEL_PAUSED_ANNOUNCED, False)
            return False
        await self._set(panel, PANEL_PAUSED, now.isoformat())
        await self._set(panel, PANEL_PAUSED_REASON, reason[:500])
        await self._set(panel, PANEL_PAUSED_CAUSE, cause.value)
        if need is not None:
            await self._set(panel, PANEL_PAUSED_NEED, str(need))
        else:
            await self._delete(panel, PANEL_PAUSED_NEED)
        await self._set_flag(panel, PANEL_PAUSED_ANNOUNCED, False)
        return True

    @writes
    async def mark_panel_pause_announced(self, panel: str = MAIN_PANEL) -> None:
        await self._set_flag(panel, PANEL_PAUSED_ANNOUNCED, True)

    @writes
    async def resume_panel(self, panel: str = MAIN_PANEL) -> bool:
        """Take orders again; True when it was paused."""
        was = await self._delete(panel, PANEL_PAUSED)
        for what in (
            PANEL_PAUSED_REASON,
            PANEL_PAUSED_NEED,
            PANEL_PAUSED_ANNOUNCED,
            PANEL_PAUSED_CAUSE,
        ):
            await self._delete(panel, what)
        return was

    # --- an admin's switch (/panel <name> off|on) -------------------------------------

    @reads
    async def panel_off_since(self, panel: str = MAIN_PANEL) -> datetime | None:
        value = await self._get(panel, PANEL_OFF)
        return datetime.fromisoformat(value) if value else None

    @writes
    async def set_panel_off(self, off: bool, panel: str = MAIN_PANEL) -> bool:
        """Stop (or resume) new orders to the panel; False when it was so already."""
        if off:
            if await self._get(panel, PANEL_OFF) is not None:
                return False
            await self._set(panel, PANEL_OFF, self.clock.now().isoformat())
            return True
        return await self._delete(panel, PANEL_OFF)

    # --- watchdog memory (bot/jobs) ---------------------------------------------------

    @reads
    async def panel_down_since(self, panel: str = MAIN_PANEL) -> datetime | None:
        value = await self._get(panel, PANEL_DOWN_SINCE)
        return datetime.fromisoformat(value) if value else None

    @reads
    async def panel_down_answering(self, panel: str = MAIN_PANEL) -> bool:
        """The outage is of a panel that answers but refuses status checks."""
        return await self._flag(panel, PANEL_DOWN_ANSWERING)

    @writes
    async def set_panel_down_since(
        self, since: datetime | None, *, answering: bool = False, panel: str = MAIN_PANEL
    ) -> None:
        """Since when the panel is down (None: it answers again); `answering`: it answers
        but refuses status checks."""
        if since is None:
            await self._delete(panel, PANEL_DOWN_SINCE)
            await self._delete(panel, PANEL_DOWN_ANSWERING)
            return
        await self._set(panel, PANEL_DOWN_SINCE, since.isoformat())
        if answering:
            await self._set_flag(panel, PANEL_DOWN_ANSWERING, True)
        else:
            await self._delete(panel, PANEL_DOWN_ANSWERING)

    @reads
    async def panel_balance_low(self, panel: str = MAIN_PANEL) -> bool:
        return await self._flag(panel, PANEL_BALANCE_LOW)

    @writes
    async def set_panel_balance_low(self, low: bool, panel: str = MAIN_PANEL) -> None:
        await self._set_flag(panel, PANEL_BALANCE_LOW, low)

    @reads
    async def catalogue_refused_since(self, panel: str = MAIN_PANEL) -> datetime | None:
        value = await self._get(panel, CATALOGUE_REFUSED)
        return datetime.fromisoformat(value) if value else None

    @writes
    async def set_catalogue_refused(self, since: datetime | None, panel: str = MAIN_PANEL) -> None:
        if since is None:
            await self._delete(panel, CATALOGUE_REFUSED)
        else:
            await self._set(panel, CATALOGUE_REFUSED, since.isoformat())

    @reads
    async def refill_status_missing(self, panel: str = MAIN_PANEL) -> bool:
        return await self._flag(panel, REFILL_STATUS_MISSING)

    @writes
    async def set_refill_status_missing(self, missing: bool, panel: str = MAIN_PANEL) -> None:
        if missing:
            await self._set_flag(panel, REFILL_STATUS_MISSING, True)
        else:
            await self._delete(panel, REFILL_STATUS_MISSING)
