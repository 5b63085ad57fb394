"""The panel's balance: recorded, watched, and the "panel paused" switch.

Runs every minute; asks the panel every `every` (10 minutes), or every run while ordering
is paused or the panel is down (bot/panel_outage.py: a normal answer ends the outage).
Operators are alerted once when the balance drops below PROVIDER_BALANCE_ALERT (and once
when it is back above), and once when ordering was paused because the panel refused the
shop's account (bot/panel_pause.py: no funds, a bad key, the IP, API access off). The
pause ends by itself when a balance check answers normally again; when funds were the
cause, with enough for the order that was refused. A balance call refused for one of
those reasons pauses ordering too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from bot.deps import Deps
from bot.i18n import in_language
from bot.outbox.writer import Outbox
from bot.panel_outage import panel_answers
from bot.panel_pause import announce_pause, pause_for_refusal
from bot.provider.client import ProviderClient
from bot.provider.errors import AccountIssue, ProviderError, ProviderFailure
from bot.provider.panels import MAIN_PANEL
from bot.shop.money import from_micro, to_micro_floor
from bot.shop.shop_settings import OrderingHold, PanelPause, ShopSettings
from bot.texts.operator_alerts import (
    alert_balance_low,
    alert_balance_ok,
    alert_panel_resumed,
    panel_tag,
)
from db.repositories.providers import ProviderRepo

log = logging.getLogger(__name__)


@dataclass
class BalanceReport:
    checked: bool = False
    balance: Decimal | None = None
    currency: str | None = None
    low: bool = False
    paused: bool = False
    resumed: bool = False
    back: bool = False  # the panel answered after an outage: checkout resumes
    alerts: int = 0
    error: str | None = None


class BalanceWatch:
    def __init__(
        self,
        deps: Deps,
        *,
        every: timedelta = timedelta(minutes=10),
        provider_name: str = MAIN_PANEL,
    ) -> None:
        self.deps = deps
        self.every = every
        self.provider_name = provider_name
        self._last_check: datetime | None = None

    @property
    def client(self) -> ProviderClient:
        if self.provider_name == MAIN_PANEL:  # the deps' own client of `main`
            return self.deps.provider
        found = self.deps.panels.find(self.provider_name)
        return found.client if found is not None else self.deps.provider

    @property
    def currency_rate(self) -> Decimal:
        found = self.deps.panels.find(self.provider_name)
        return found.currency_rate if found is not None else self.deps.settings.currency_rate

    async def run(self) -> BalanceReport:
        report = BalanceReport()
        deps = self.deps
        name = self.provider_name
        shown = deps.panels.shown(name)
        now = deps.clock.now()
        async with deps.session_factory() as session, session.begin():
            settings = ShopSettings.from_session(session, deps.clock)
            pause = await settings.panel_pause(name)
            hold = await settings.ordering_hold(name)
            outbox = Outbox.from_session(session, deps)
            if await announce_pause(settings, outbox, deps.i18n, panel=name, shown=shown):
                report.alerts += 1
        report.paused = pause is not None
        # While checkout is refused (paused, or the panel down), ask on every run: the
        # first normal answer lets customers order again. An admin's switch is no reason.
        waiting = hold in (OrderingHold.PAUSED, OrderingHold.DOWN)
        if not waiting and self._last_check is not None and now - self._last_check < self.every:
            return report
        try:
            balance = await self.client.balance()
        except ProviderFailure as exc:
            report.error = str(exc)
            log.warning("balance watch of panel %s: %s", name, exc)
            if isinstance(exc, ProviderError) and await pause_for_refusal(deps, exc, panel=name):
                report.paused = True
            return report
        self._last_check = now
        report.checked = True
        if hold is OrderingHold.DOWN and await panel_answers(deps, status=False, panel=name):
            report.back = True
            report.alerts += 1
        report.balance, report.currency = balance.balance, balance.currency
        threshold = deps.settings.provider_balance_alert
        async with deps.session_factory() as session, session.begin():
            provider = await ProviderRepo(session).by_name(name)
            if provider is not None:
                # Any number of decimals (PHP floats): kept rounded down to a micro-unit.
                await ProviderRepo(session).set_balance(
                    provider.id, to_micro_floor(balance.balance), balance.currency, now=now
                )
            settings = ShopSettings.from_session(session, deps.clock)
            outbox = Outbox.from_session(session, deps)
            was_low = await settings.panel_balance_low(name)
            report.low = threshold is not None and balance.balance < threshold
            text: str | None = None
            if threshold is not None and report.low and not was_low:
                await settings.set_panel_balance_low(True, name)
                with in_language(deps.i18n, None):
                    text = alert_balance_low(balance.balance, balance.currency, threshold)
            elif was_low and not report.low:
                await settings.set_panel_balance_low(False, name)
                with in_language(deps.i18n, None):
                    text = alert_balance_ok(balance.balance, balance.currency)
            if text is not None:
                await outbox.to_operators(panel_tag(text, shown))
                report.alerts += 1
            pause = await settings.panel_pause(name)
            if pause is not None and self._enough(balance.balance, pause):
                await settings.resume_panel(name)
                report.paused, report.resumed = False, True
                with in_language(deps.i18n, None):
                    text = alert_panel_resumed(balance.balance, balance.currency, pause.cause)
                prefix = "panel:resumed" if name == MAIN_PANEL else f"panel:{name}:resumed"
                await outbox.to_operators(
                    panel_tag(text, shown), dedupe_key=f"{prefix}:{pause.since.isoformat()}"
                )
                report.alerts += 1
                log.info("balance watch: panel %s balance %s; orders resume", name, balance.balance)
        return report

    def _enough(self, balance: Decimal, pause: PanelPause) -> bool:
        """Whether this normal balance answer ends the pause: it does for a key, IP or
        API refusal (the panel takes the shop's calls again); for lack of funds only
        when there is enough for the refused order (the alert level only warns)."""
        if pause.cause is not AccountIssue.NO_FUNDS:
            return True
        if balance <= 0:
            return False
        if pause.need is not None:
            # The refused order's cost is kept in the shop currency: back to the panel's.
            need = from_micro(pause.need) / self.currency_rate
            return balance >= need
        return True


__all__ = ["BalanceReport", "BalanceWatch"]
