"""Refill status polling: 100 refill ids per `refill_status` call; the customer is told
when a refill completes or is rejected (in the same transaction as the change).

Some panels have no `refill_status` action at all ("Incorrect request", "Unknown
action"): the refills asked about are then marked "not trackable at the panel" and never
asked about again, and operators are told once (until the action answers again). A
refill ordered later is asked once and marked the same way, without a new alert."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from bot.deps import Deps
from bot.i18n import in_language
from bot.outbox.writer import Outbox
from bot.panel_pause import pause_for_refusal
from bot.provider.client import ProviderClient
from bot.provider.errors import ProviderError, ProviderUnavailable
from bot.provider.models import ItemError, RefillState, RefillStatus
from bot.provider.panels import MAIN_PANEL
from bot.shop.shop_settings import ShopSettings
from bot.texts.customer_notices import refill_completed, refill_rejected
from bot.texts.operator_alerts import alert_refills_untracked, panel_tag
from db.models import Order, Refill, User
from db.repositories.refills import RefillRepo
from db.uow import unit_of_work

log = logging.getLogger(__name__)

CHUNK = 100
OPEN = (RefillStatus.PENDING.value, RefillStatus.IN_PROGRESS.value)


@dataclass
class RefillReport:
    due: int = 0
    calls: int = 0
    completed: int = 0
    rejected: int = 0
    moved: int = 0  # any status change, finished or not
    errors: int = 0  # per-refill errors and ids missing from the reply
    untracked: int = 0  # marked "not trackable at the panel" (no refill_status action)
    unrecognised: int = 0
    notified: int = 0
    unavailable: str | None = None


class RefillPoller:
    """Refills of one panel's orders (a poller per panel)."""

    def __init__(
        self,
        deps: Deps,
        *,
        concurrency: int = 2,
        max_per_cycle: int = 20_000,
        panel: str = MAIN_PANEL,
    ) -> None:
        self.deps = deps
        self.concurrency = max(1, concurrency)
        self.max_per_cycle = max_per_cycle
        self.panel = panel

    @property
    def client(self) -> ProviderClient:
        if self.panel == MAIN_PANEL:  # the deps' own client of `main`
            return self.deps.provider
        found = self.deps.panels.find(self.panel)
        return found.client if found is not None else self.deps.provider

    async def run_cycle(self) -> RefillReport:
        report = RefillReport()
        now = self.deps.clock.now()
        scope = self.deps.panels.scope(self.panel)
        if scope == []:
            return report
        async with unit_of_work(self.deps.session_factory, write=False) as session:
            due = [
                (r.id, str(r.provider_refill_id))
                for r in await RefillRepo(session).in_status(
                    OPEN, checked_before=now, limit=self.max_per_cycle, provider_ids=scope
                )
            ]
        report.due = len(due)
        chunks = [due[i : i + CHUNK] for i in range(0, len(due), CHUNK)]
        gate = asyncio.Semaphore(self.concurrency)
        client = self.client
        calls_before = client.calls["refill_status"]

        async def one(chunk: list[tuple[int, str]]) -> None:
            async with gate:
                if report.unavailable:
                    return
                try:
                    replies = await client.refill_statuses([p for _, p in chunk])
                except ProviderError as exc:
                    if exc.unknown_action:
                        await self.untrack(chunk, exc.text, report)
                        return
                    await pause_for_refusal(self.deps, exc, panel=self.panel)
                    report.unavailable = str(exc)
                    return
                except ProviderUnavailable as exc:
                    report.unavailable = str(exc)
                    return
                try:
                    await self.apply(chunk, replies, report)
                except Exception:
                    log.exception("refill poll: applying a chunk of %d failed", len(chunk))

        await asyncio.gather(*(one(chunk) for chunk in chunks))
        report.calls = client.calls["refill_status"] - calls_before
        if report.unavailable:
            log.warning("refill poll: panel unavailable (%s); next cycle", report.unavailable)
        return report

    async def apply(
        self,
        chunk: Sequence[tuple[int, str]],
        replies: Mapping[str, RefillState | ItemError],
        report: RefillReport | None = None,
    ) -> RefillReport:
        """Apply one reply in one transaction; repeating it changes nothing more."""
        report = report if report is not None else RefillReport()
        deps = self.deps
        now = deps.clock.now()
        async with deps.session_factory() as session, session.begin():
            repo = RefillRepo(session)
            outbox = Outbox.from_session(session, deps)
            settings = ShopSettings.from_session(session, deps.clock)
            if await settings.refill_status_missing(self.panel):
                # the action answers again
                await settings.set_refill_status_missing(False, self.panel)
            refills = {r.id: r for r in await repo.many(rid for rid, _ in chunk)}
            for refill_id, provider_refill_id in sorted(chunk):
                refill = refills.get(refill_id)
                if refill is None or refill.status not in OPEN:
                    continue
                reply = replies.get(provider_refill_id)
                if reply is None or isinstance(reply, ItemError):
                    report.errors += 1
                    error = reply.message if reply is not None else "missing from the reply"
                    log.warning("refill poll: refill %s: %s", refill_id, error)
                    await repo.record_check(refill_id, now=now, error=error)
                    continue
                if reply.status is RefillStatus.UNRECOGNISED:
                    report.unrecognised += 1
                    log.warning(
                        "refill poll: refill %s: unknown status %r", refill_id, reply.raw_status
                    )
                    await repo.record_check(refill_id, now=now, provider_status=reply.raw_status)
                    continue
                if reply.status.value == refill.status:
                    await repo.record_check(refill_id, now=now, provider_status=reply.raw_status)
                    continue
                moved = await repo.transition(
                    refill_id,
                    from_status=refill.status,
                    to_status=reply.status.value,
                    provider_status=reply.raw_status[:64],
                    now=now,
                )
                if not moved:
                    continue
                report.moved += 1
                if reply.status.finished:
                    if reply.status is RefillStatus.COMPLETED:
                        report.completed += 1
                    else:
                        report.rejected += 1
                    report.notified += await self._notify(outbox, refill, reply.status)
        return report

    async def untrack(
        self, chunk: Sequence[tuple[int, str]], reason: str, report: RefillReport
    ) -> int:
        """The panel has no `refill_status`: these refills cannot be followed there."""
        deps = self.deps
        now = deps.clock.now()
        moved = 0
        async with deps.session_factory() as session, session.begin():
            repo = RefillRepo(session)
            for refill in await repo.many(rid for rid, _ in chunk):
                if refill.status in OPEN and await repo.transition(
                    refill.id,
                    from_status=refill.status,
                    to_status=RefillStatus.UNTRACKED.value,
                    provider_status=None,
                    now=now,
                ):
                    moved += 1
            settings = ShopSettings.from_session(session, deps.clock)
            if moved and not await settings.refill_status_missing(self.panel):
                await settings.set_refill_status_missing(True, self.panel)
                with in_language(deps.i18n, None):
                    text = panel_tag(
                        alert_refills_untracked(moved, reason), deps.panels.shown(self.panel)
                    )
                await Outbox.from_session(session, deps).to_operators(
                    text, dedupe_key=f"refills:untracked:{self.panel}:{now.isoformat()}"
                )
        report.untracked += moved
        log.warning(
            "refill poll: the panel has no refill_status (%s); %d refills not trackable",
            reason,
            moved,
        )
        return moved

    async def _notify(self, outbox: Outbox, refill: Refill, status: RefillStatus) -> int:
        row = (
            await outbox.session.execute(
                select(User.id, User.telegram_id, User.language)
                .join(Order, Order.user_id == User.id)
                .where(Order.id == refill.order_id)
            )
        ).first()
        if row is None:
            return 0
        with in_language(self.deps.i18n, row[2]):
            text = (
                refill_completed(refill.order_id)
                if status is RefillStatus.COMPLETED
                else refill_rejected(refill.order_id)
            )
        await outbox.to_chat(
            row[1], text, dedupe_key=f"refill:{refill.id}:{status.value}", user_id=row[0]
        )
        return 1


__all__ = ["RefillPoller", "RefillReport"]
