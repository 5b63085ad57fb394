"""Following orders to their end: status polling, and recovery of interrupted placements.

One cycle (every POLL_INTERVAL_SECONDS):

1. orders left `submitting` by a crash (older than SUBMITTING_STALE_MINUTES) become
   `unknown` for an admin, operators are told; they are never sent again;
2. the active orders the panel knows, never-checked and least recently checked first, are
   asked about 100 ids per `status` call, a few calls at once, with no transaction open;
3. each reply chunk is applied in one transaction: progress in one statement and the
   finished orders settled together (transition and refund, at most once; see
   bot/shop/bulk_settlement.py) in one savepoint, or, should that fail, each finished
   order through OrderService.apply_provider_state in its own; the customers'
   notifications written to the outbox in that same transaction.

Replies the order state machine does not trust (a negative or too large `remains`, a
Partial without one, a charge above what the customer paid, an id missing from the
reply, a value the validator refused) are logged and the order is kept for the next
cycle, never refunded on them. Per-order errors ("Incorrect order ID" ...) are counted;
after `error_threshold` in a row the order is flagged for operators, never refunded
automatically. When the panel is unavailable the cycle ends quietly; the next ones back
off, operators are alerted once when it persists and once when it answers again; while
it does not answer, checkout is refused before paying (bot/shop/placement.py). A
refusal about the shop's account (an invalid key, the IP, no funds) pauses ordering
instead (bot/panel_pause.py), with its own alert.

Each panel has a poller of its own (a job per panel, bot/jobs/scheduler.py) following the
orders placed there, with its own back-off, outage alerts and pause: one panel's outage
never slows the others. Recovery of interrupted placements runs in `main`'s poller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram.utils.i18n import I18n
from sqlalchemy import select

from bot.deps import Deps
from bot.i18n import in_language
from bot.notice_buttons import NoticeAction, NoticeCD, as_json, finished_markup
from bot.numbers import MAX_INT64
from bot.outbox.writer import KeyedMessage, Outbox
from bot.panel_outage import panel_answers
from bot.panel_pause import pause_for_refusal
from bot.provider import parsing
from bot.provider.client import ProviderClient
from bot.provider.errors import ProviderError, ProviderFailure, ProviderUnavailable
from bot.provider.models import ItemError
from bot.provider.models import OrderState as PanelState
from bot.provider.models import OrderStatus as PanelStatus
from bot.provider.panels import MAIN_PANEL
from bot.shop import settlement
from bot.shop.bulk_settlement import ChunkSettlement, Finished
from bot.shop.enums import OrderState
from bot.shop.errors import ShopError
from bot.shop.money import Micro
from bot.shop.orders.models import OrderDTO
from bot.shop.services import Shop
from bot.shop.shop_settings import ShopSettings
from bot.shop.users import UserDTO
from bot.texts.customer_notices import NoticeWriter, order_being_checked
from bot.texts.mentions import service_ref
from bot.texts.operator_alerts import (
    alert_order_flagged,
    alert_orders_unknown,
    alert_panel_down,
    alert_panel_refusing,
    panel_tag,
)
from bot.timeouts import add_timeout
from db.models import User
from db.repositories.orders import OrderRepo
from db.repositories.users import UserRepo
from db.uow import unit_of_work

log = logging.getLogger(__name__)

CHUNK = 100  # ids per `status` call: the API's maximum
RUNNING = frozenset({PanelStatus.PROCESSING, PanelStatus.IN_PROGRESS, PanelStatus.ACTIVE})
NOT_STARTED = frozenset({PanelStatus.PENDING})
MISSING = parsing.MISSING  # the client's ItemError for an id the reply left out


@dataclass
class PollReport:
    """What one cycle did; `panel_seconds` and `db_seconds` are summed over chunks (the
    calls overlap each other and the database work)."""

    due: int = 0  # orders asked about
    calls: int = 0  # HTTP `status` calls (retries included)
    running: int = 0  # still running, progress recorded
    completed: int = 0
    partial: int = 0
    canceled: int = 0
    refunded: Micro = 0
    item_errors: int = 0  # "Incorrect order ID" and other per-order errors
    bad_replies: int = 0  # replies that make no sense, kept for the next cycle
    failed: int = 0  # finishing orders whose settlement failed (rolled back alone)
    missing: int = 0  # ids asked but absent from the reply
    unrecognised: int = 0  # statuses the bot does not know (logged, kept polling)
    flagged: int = 0  # orders newly flagged for operators
    recovered: int = 0  # `submitting` orders turned `unknown`
    notified: int = 0  # messages queued for customers
    unavailable: str | None = None  # why the cycle ended early
    skipped: bool = False  # backing off after failures: the panel was not asked
    panel_seconds: float = 0.0
    db_seconds: float = 0.0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class _Recipient:
    telegram_id: int
    language: str | None


class StatusPoller:
    def __init__(
        self,
        deps: Deps,
        *,
        chunk: int = CHUNK,
        concurrency: int = 4,
        max_per_cycle: int = 50_000,
        error_threshold: int = 5,
        stale_after: timedelta | None = None,
        alert_after: int = 3,
        max_backoff: timedelta = timedelta(minutes=30),
        perf_counter: Callable[[], float] = time.perf_counter,
        panel: str = MAIN_PANEL,
    ) -> None:
        self.deps = deps
        self.panel = panel
        self.recovers = panel == MAIN_PANEL  # one poller recovers interrupted placements
        self.chunk = max(1, min(chunk, CHUNK))
        self.concurrency = max(1, concurrency)
        self.max_per_cycle = max_per_cycle
        self.error_threshold = max(1, error_threshold)
        settings = deps.settings
        # Never shorter than `add` may take: a placement still waiting for its answer is
        # not a crashed one.
        self.stale_after = stale_after or max(
            timedelta(minutes=settings.submitting_stale_minutes),
            timedelta(seconds=add_timeout(settings) + 60),
        )
        self.alert_after = max(1, alert_after)
        self.interval = timedelta(seconds=settings.poll_interval_seconds)
        self.max_backoff = max_backoff
        self._perf = perf_counter
        self._failures = 0
        self._down_since: datetime | None = None
        self._retry_at: datetime | None = None
        self._alert_state_known = False
        self._alerted = False
        self._writing = asyncio.Lock()
        self.last_success: datetime | None = None  # when a cycle last heard the panel
        self.last_report: PollReport | None = None
        self._markups = _FinishedMarkups()
        self._notices = NoticeWriter()

    @property
    def clock(self) -> Any:
        return self.deps.clock

    @property
    def client(self) -> ProviderClient:
        if self.panel == MAIN_PANEL:  # the deps' own client of `main`
            return self.deps.provider
        found = self.deps.panels.find(self.panel)
        return found.client if found is not None else self.deps.provider

    @property
    def _shown(self) -> str | None:
        return self.deps.panels.shown(self.panel)

    def _key(self, what: str) -> str:
        """An alert's dedupe key; `main`'s keep their one-panel spelling."""
        return what if self.panel == MAIN_PANEL else f"{what}:{self.panel}"

    # --- the cycle --------------------------------------------------------------------

    async def run_cycle(self) -> PollReport:
        report = PollReport()
        started = self._perf()
        now = self.clock.now()
        if self._retry_at is not None and now < self._retry_at:
            if not await self._outage_ended_elsewhere():
                report.skipped = True
                return report
            # The balance watch heard the panel meanwhile: no more backing off.
            self._failures, self._retry_at, self._down_since = 0, None, None
        t = self._perf()
        if self.recovers:
            report.recovered = len(await self.recover_submitting())
        scope = self.deps.panels.scope(self.panel)
        if scope == []:  # the panel's row is not known yet: nothing of its own to ask
            return report
        async with unit_of_work(self.deps.session_factory, write=False) as session:
            due = await OrderRepo(session).poll_due(
                checked_before=now, limit=self.max_per_cycle, provider_ids=scope
            )
        report.db_seconds += self._perf() - t
        report.due = len(due)
        chunks = [due[i : i + self.chunk] for i in range(0, len(due), self.chunk)]
        gate = asyncio.Semaphore(self.concurrency)
        failure: list[ProviderFailure] = []
        client = self.client
        calls_before = client.calls["status"]

        async def one(chunk: list[tuple[int, str]]) -> None:
            async with gate:
                if failure:
                    return
                t = self._perf()
                try:
                    replies = await client.statuses([pid for _, pid in chunk])
                except (ProviderUnavailable, ProviderError) as exc:
                    failure.append(exc)
                    return
                finally:
                    report.panel_seconds += self._perf() - t
                # Chunks are written one after another (SQLite has one writer anyway);
                # the next calls to the panel go on meanwhile.
                async with self._writing:
                    t = self._perf()
                    try:
                        await self.apply(chunk, replies, report)
                    except Exception:
                        # One chunk's trouble (a deadlock, a bug) must not stop the others;
                        # its orders stay as they were and are asked about next cycle.
                        log.exception("status poll: applying a chunk of %d failed", len(chunk))
                    finally:
                        report.db_seconds += self._perf() - t

        await asyncio.gather(*(one(chunk) for chunk in chunks))
        report.calls = client.calls["status"] - calls_before
        if failure:
            report.unavailable = _reason(failure[0])
            await self._on_failure(failure[0])
        else:
            # No order to ask about is no news: an outage ends only when the panel is
            # heard (here, or by the balance watch).
            await self._on_success(heard=bool(chunks))
            self.last_success = now
        report.seconds = self._perf() - started
        self.last_report = report
        return report

    async def apply(
        self,
        chunk: Sequence[tuple[int, str]],
        replies: Mapping[str, PanelState | ItemError],
        report: PollReport | None = None,
    ) -> PollReport:
        """Apply one `status` reply to the orders asked about, in one transaction.

        The chunk's orders are read once, locked (PostgreSQL; SQLite serializes writers),
        and every reply is judged by the order state machine first (OrderService.judge):
        what it rejects only counts as a poll error. Running orders: those whose reply
        says something new get it in one statement, the others only their check time in
        another. Finished orders are settled together (bot/shop/bulk_settlement.py:
        transitions, refunds, history, a few statements for the chunk) in the same
        savepoint with their notices; should that fail, the progress is written on its
        own and each finished order is settled alone in a savepoint of its own
        (OrderService.apply_provider_state), so one bad order is rolled back alone and
        asked about again next cycle while its neighbours are settled. Safe to repeat: a
        reply applied twice (or by two pollers at once) finishes and refunds each order
        once and notifies once.
        """
        report = report if report is not None else PollReport()
        now = self.clock.now()
        deps = self.deps
        async with deps.session_factory() as session, session.begin():
            shop = Shop(session, deps)
            outbox = Outbox.from_session(session, deps)
            repo = OrderRepo(session)
            orders = {row.id: row for row in await repo.for_poll((i for i, _ in chunk), lock=True)}
            recipients = {
                o.user_id: _Recipient(o.chat_id, o.language)
                for o in orders.values()
                if o.chat_id is not None
            }
            changed: list[dict[str, Any]] = []
            unchanged: list[int] = []
            notices: list[KeyedMessage] = []
            finishing: list[tuple[Any, PanelState]] = []
            finishing_facts: dict[int, settlement.OrderFacts] = {}
            subscriptions: set[int] = set()  # of the finishing orders
            for order_id, provider_order_id in sorted(chunk):
                order = orders.get(order_id)
                if order is None or order.state is not OrderState.ACTIVE:
                    continue  # finished meanwhile (a customer's refresh, another poller)
                reply = replies.get(str(provider_order_id)) or ItemError(MISSING)
                facts = settlement.OrderFacts.of(order)
                problem = shop.orders.judge(facts, reply)
                if problem is not None:
                    if isinstance(reply, ItemError) and reply.message == MISSING:
                        report.missing += 1
                        problem = "no status for this order in the panel's reply"
                    elif isinstance(reply, ItemError) and not reply.malformed:
                        report.item_errors += 1
                    else:
                        report.bad_replies += 1
                    log.warning(
                        "status poll: order %s (panel %s): %s; kept for the next cycle",
                        order_id,
                        provider_order_id,
                        problem,
                    )
                    await self._poll_error(order, problem, shop, outbox, report, now)
                    continue
                assert isinstance(reply, PanelState)
                if reply.status.finished:
                    finishing.append((order, reply))
                    finishing_facts[order_id] = facts
                    if facts.subscription is not None:
                        subscriptions.add(order_id)
                    continue
                if reply.status is PanelStatus.UNRECOGNISED:
                    report.unrecognised += 1
                    log.warning(
                        "status poll: order %s: unknown status %r; still polling",
                        order_id,
                        reply.raw_status,
                    )
                report.running += 1
                values = settlement.progress(facts, reply)
                if settlement.progress_changed(order, values):
                    changed.append({"order_id": order_id, **values})
                else:
                    unchanged.append(order_id)
                notice = self._running_notice(order, reply, values, recipients)
                if notice is not None:
                    notices.append(notice)
            notices += await self._write(
                session,
                shop,
                repo,
                (changed, unchanged),
                (finishing, finishing_facts, subscriptions),
                recipients,
                report,
                now,
            )
            # The chunk's notices in one statement, in its transaction: a money effect and
            # the message about it are committed together (or neither is).
            report.notified += await outbox.to_chats_once(notices)
        return report

    async def _write(
        self,
        session: Any,
        shop: Shop,
        repo: OrderRepo,
        progress: tuple[list[dict[str, Any]], list[int]],
        finished: tuple[
            Sequence[tuple[Any, PanelState]], Mapping[int, settlement.OrderFacts], Set[int]
        ],
        recipients: Mapping[int, _Recipient],
        report: PollReport,
        now: datetime,
    ) -> list[KeyedMessage]:
        """The chunk's writes: the running orders' progress (`progress`: the rows with
        news, the ids without) and the finished orders' settlement (`finished`: the
        orders with their replies, their facts as judged, the subscriptions among them).

        All in one savepoint first: each savepoint is two more round trips to
        PostgreSQL, a chunk's settlement half a dozen statements. Should anything in it
        fail, it is all undone and written apart, each part with its own fallback
        (progress row by row, settlement order by order), as if it had never been tried
        together. Returns the customers' notices of the orders that were finished."""
        changed, unchanged = progress
        finishing, facts, subscriptions = finished
        if finishing:
            try:
                async with session.begin_nested():
                    await repo.record_progress(changed, now=now)
                    await repo.record_checked(unchanged, now=now)
                    done, messages = await self._settle_together(
                        session, finishing, facts, subscriptions, recipients
                    )
            except Exception:
                log.exception(
                    "status poll: writing %d progress rows and %d finished orders together "
                    "failed; apart",
                    len(changed) + len(unchanged),
                    len(finishing),
                )
            else:
                for f in done:
                    self._count(f.order.state, f.refund, report)
                return messages
        await self._record_progress(repo, changed, unchanged, now)
        return await self._settle(
            session, shop, finishing, facts, subscriptions, recipients, report
        )

    async def _settle_together(
        self,
        session: Any,
        finishing: Sequence[tuple[Any, PanelState]],
        facts: Mapping[int, settlement.OrderFacts],
        subscriptions: Set[int],
        recipients: Mapping[int, _Recipient],
    ) -> tuple[list[Finished], list[KeyedMessage]]:
        """The finished orders settled together (bot/shop/bulk_settlement.py), in the
        caller's savepoint, and the customers' notices of those that were finished."""
        done = await ChunkSettlement(session, self.deps.pricing, self.clock).finish(
            finishing, facts
        )
        rows = {order.id: order for order, _ in finishing}
        messages = [
            message
            for f in done
            if (
                message := self._final_message(
                    f.order,
                    f.refund,
                    recipients,
                    rows[f.order.id].refillable,
                    f.order.id in subscriptions,
                )
            )
            is not None
        ]
        return done, messages

    async def _settle(
        self,
        session: Any,
        shop: Shop,
        finishing: Sequence[tuple[Any, PanelState]],
        facts: Mapping[int, settlement.OrderFacts],
        subscriptions: Set[int],
        recipients: Mapping[int, _Recipient],
        report: PollReport,
    ) -> list[KeyedMessage]:
        """The chunk's finished orders together (`facts`: theirs, as judged); should that
        fail, one by one. Returns the customers' notices of the orders that were
        finished."""
        if not finishing:
            return []
        try:
            async with session.begin_nested():
                done, messages = await self._settle_together(
                    session, finishing, facts, subscriptions, recipients
                )
        except Exception:
            log.exception(
                "status poll: settling %d finished orders together failed; one by one",
                len(finishing),
            )
            return await self._settle_one_by_one(
                session, shop, finishing, subscriptions, recipients, report
            )
        for f in done:
            self._count(f.order.state, f.refund, report)
        return messages

    async def _settle_one_by_one(
        self,
        session: Any,
        shop: Shop,
        finishing: Sequence[tuple[Any, PanelState]],
        subscriptions: Set[int],
        recipients: Mapping[int, _Recipient],
        report: PollReport,
    ) -> list[KeyedMessage]:
        messages: list[KeyedMessage] = []
        for order, reply in finishing:
            order_id = order.id
            try:
                async with session.begin_nested():
                    change = await shop.orders.apply_provider_state(order_id, reply)
            except Exception:
                report.failed += 1
                log.exception(
                    "status poll: order %s could not be settled; kept for the next cycle",
                    order_id,
                )
                continue
            if change.rejected is not None:
                report.bad_replies += 1
            if not change.changed:
                continue
            message = self._final_message(
                change.order,
                change.refund,
                recipients,
                order.refillable,
                order_id in subscriptions,
            )
            if message is not None:
                messages.append(message)
            self._count(change.order.state, change.refund, report)
        return messages

    @staticmethod
    def _count(state: OrderState, refund: Micro, report: PollReport) -> None:
        report.refunded += refund
        if state is OrderState.COMPLETED:
            report.completed += 1
        elif state is OrderState.PARTIAL:
            report.partial += 1
        elif state is OrderState.CANCELED:
            report.canceled += 1

    async def _record_progress(
        self, repo: OrderRepo, rows: list[dict[str, Any]], unchanged: list[int], now: datetime
    ) -> None:
        """Running orders' news in one statement, and the check time of those without news
        in another; should that fail, row by row, so one bad row costs only its own
        order's update."""
        if not rows and not unchanged:
            return
        try:
            async with repo.session.begin_nested():
                await repo.record_progress(rows, now=now)
                await repo.record_checked(unchanged, now=now)
            return
        except Exception:
            log.exception("status poll: recording %d progress rows failed; one by one", len(rows))
        for row in rows:
            try:
                async with repo.session.begin_nested():
                    await repo.record_progress([row], now=now)
            except Exception:
                log.exception("status poll: order %s: progress not recorded", row["order_id"])
        try:
            async with repo.session.begin_nested():
                await repo.record_checked(unchanged, now=now)
        except Exception:
            log.exception("status poll: %d orders: check time not recorded", len(unchanged))

    async def _poll_error(
        self,
        order: Any,
        problem: str,
        shop: Shop,
        outbox: Outbox,
        report: PollReport,
        now: datetime,
    ) -> None:
        change = await shop.orders.reject_reply(order.id, problem)
        if change.poll_errors < self.error_threshold:
            return
        if await OrderRepo(outbox.session).flag(order.id, now=now):
            report.flagged += 1
            row = await UserRepo(outbox.session).get(order.user_id)
            person = UserDTO.of(row) if row is not None else None
            with in_language(self.deps.i18n, None):
                text = alert_order_flagged(
                    order.id,
                    order.provider_order_id,
                    change.poll_errors,
                    problem,
                    person,
                    service_ref(order.service_name, order.service_id, order.provider_service_id),
                )
            await outbox.to_operators(
                text, dedupe_key=f"order:{order.id}:flagged:{now.isoformat()}"
            )

    def _running_notice(
        self,
        order: Any,
        reply: PanelState,
        values: Mapping[str, Any],
        recipients: Mapping[int, _Recipient],
    ) -> KeyedMessage | None:
        """Started (once), and half delivered (once): a customer hears of progress twice
        at most, however often the panel is asked. `order` as read before this reply."""
        if reply.status not in RUNNING:
            return None
        recipient = recipients.get(order.user_id)
        if recipient is None:
            return None
        before = PanelStatus.parse(order.provider_status) if order.provider_status else None
        remains = values.get("remains")
        started = before is None or before in NOT_STARTED
        half = (
            remains is not None
            and order.remains is not None
            and order.quantity >= 2
            and order.remains * 2 > order.quantity >= remains * 2
        )
        if not started and not half:
            return None
        notices = self._notices
        with in_language(self.deps.i18n, recipient.language):
            if started:
                count = reply.start_count if reply.start_count is not None else order.start_count
                text = notices.started(order.id, order.service_name, count)
                key = f"order:{order.id}:started"
            else:
                left = remains if remains is not None else order.remains
                text = notices.progress(order.id, order.quantity, left)
                key = f"order:{order.id}:half"
        return KeyedMessage(recipient.telegram_id, text, key, user_id=order.user_id)

    def _final_message(
        self,
        order: OrderDTO,
        refund: Micro,
        recipients: Mapping[int, _Recipient],
        refillable: bool,
        subscription: bool,
    ) -> KeyedMessage | None:
        """The customer's notice of a finished order (its dedupe key: once per state);
        `refillable`: whether the order's service allows refills; `subscription`: whether
        the order is one (settlement.OrderFacts knows)."""
        recipient = recipients.get(order.user_id)
        if recipient is None:
            return None
        # As the order card judges it: a completed order of a service that allows refills.
        can_refill = order.state is OrderState.COMPLETED and bool(refillable)
        notices = self._notices
        with in_language(self.deps.i18n, recipient.language):
            if subscription:
                text = notices.subscription_ended(order, refund)
            elif order.state is OrderState.COMPLETED:
                text = notices.completed(order)
            elif order.state is OrderState.PARTIAL:
                text = notices.partial(order, refund)
            elif order.state is OrderState.CANCELED:
                text = notices.canceled(order, refund)
            else:
                return None
            markup = self._markups.for_order(order.id, refillable=can_refill)
        return KeyedMessage(
            recipient.telegram_id,
            text,
            f"order:{order.id}:state:{order.state.value}",
            user_id=order.user_id,
            reply_markup=markup,
        )

    # --- interrupted placements -----------------------------------------------------

    async def recover_submitting(self) -> list[int]:
        """Orders `submitting` for longer than any placement takes were interrupted (a
        crash between paying and the panel's answer): `unknown` now, for an admin. They
        are never sent again: the panel may have them already."""
        now = self.clock.now()
        deps = self.deps
        async with deps.session_factory() as session, session.begin():
            repo = OrderRepo(session)
            stale = await repo.stale_submitting(created_before=now - self.stale_after)
            if not stale:
                return []
            shop = Shop(session, deps)
            outbox = Outbox.from_session(session, deps)
            done: list[int] = []
            for order_id in stale:
                try:
                    order = await shop.orders.mark_unknown(
                        order_id, error="interrupted before the panel answered"
                    )
                except ShopError:
                    continue  # placed or failed meanwhile
                done.append(order_id)
                recipient = (await _recipients(session, {order.user_id})).get(order.user_id)
                if recipient is not None:
                    with in_language(deps.i18n, recipient.language):
                        text = order_being_checked(order)
                    await outbox.to_chat(
                        recipient.telegram_id,
                        text,
                        dedupe_key=f"order:{order_id}:state:unknown",
                        user_id=order.user_id,
                    )
            if done:
                log.warning("recovery: orders %s were left submitting; now unknown", done)
                with in_language(deps.i18n, None):
                    text = alert_orders_unknown(done)
                await outbox.to_operators(text, dedupe_key=f"recovery:{done[0]}:{done[-1]}")
        return done

    # --- panel health -----------------------------------------------------------------

    async def _on_failure(self, failure: ProviderFailure) -> None:
        reason = _reason(failure)
        now = self.clock.now()
        self._failures += 1
        if self._down_since is None:
            self._down_since = now
        # The next cycles back off: the 2nd failure in a row skips one cycle, the 3rd
        # three, the 4th seven ... (half an interval early, so scheduler jitter does not
        # cost one more).
        delay = min(self.interval * 2 ** min(self._failures - 1, 16), self.max_backoff)
        self._retry_at = now + delay - self.interval / 2
        log.warning(
            "status poll: panel %s unavailable (%s), failure %d in a row; next try %s",
            self.panel,
            reason,
            self._failures,
            self._retry_at.isoformat(),
        )
        if isinstance(failure, ProviderError) and await pause_for_refusal(
            self.deps, failure, panel=self.panel
        ):
            return  # the pause's own alert names the cause: the panel is not down
        if self._failures < self.alert_after:
            return
        self._alert_state_known = False  # the balance watch may have ended an outage
        await self._load_alert_state()
        if self._alerted:
            return
        since = self._down_since
        async with self.deps.session_factory() as session, session.begin():
            settings = ShopSettings.from_session(session, self.clock)
            if await settings.panel_down_since(self.panel) is None:
                # Not answering at all refuses checkout until it answers (placement);
                # answering but refusing status checks does not: `add` may still work.
                await settings.set_panel_down_since(
                    since, answering=isinstance(failure, ProviderError), panel=self.panel
                )
                with in_language(self.deps.i18n, None):
                    if isinstance(failure, ProviderError):
                        text = alert_panel_refusing(failure.text, since)
                    else:
                        text = alert_panel_down(reason, since)
                await Outbox.from_session(session, self.deps).to_operators(
                    panel_tag(text, self._shown),
                    dedupe_key=self._key(f"panel:down:{since.isoformat()}"),
                )
        self._alerted = True

    async def _on_success(self, *, heard: bool = True) -> None:
        self._failures = 0
        self._retry_at = None
        self._down_since = None
        await self._load_alert_state()
        if not self._alerted or not heard:
            return
        await panel_answers(self.deps, status=True, panel=self.panel)
        self._alerted = False

    async def _outage_ended_elsewhere(self) -> bool:
        """Whether the outage operators were told of has been ended by another job."""
        if not self._alerted:
            return False
        async with unit_of_work(self.deps.session_factory, write=False) as session:
            since = await ShopSettings.from_session(session, self.clock).panel_down_since(
                self.panel
            )
        if since is None:
            self._alerted = False
            return True
        return False

    async def _load_alert_state(self) -> None:
        """Whether operators were told the panel is down (also by a previous run)."""
        if self._alert_state_known:
            return
        async with unit_of_work(self.deps.session_factory, write=False) as session:
            since = await ShopSettings.from_session(session, self.clock).panel_down_since(
                self.panel
            )
        self._alerted = since is not None
        if since is not None and self._down_since is None:
            self._down_since = since
        self._alert_state_known = True


class _FinishedMarkups:
    """The buttons under finished orders' notices (bot/notice_buttons.finished_markup),
    built once per language and refill flag and then given each order's id: a chunk
    queues up to a hundred of them, and building the keyboard is most of a notice's cost.
    Only the buttons that carry the order id differ between orders; the template is built
    with an id no order has, and those buttons are the ones that carry it. Their callback
    data ends with the id (NoticeCD packs its fields in order, the id last, as digits): the
    template keeps what comes before it, checked once against NoticeCD itself."""

    _MARK = MAX_INT64

    def __init__(self) -> None:
        self._templates: dict[tuple[str | None, bool], list[list[_Cell]]] = {}

    def for_order(self, order_id: int, *, refillable: bool) -> dict[str, Any]:
        """The markup as the outbox stores it; call in the recipient's language."""
        i18n = I18n.get_current(no_error=True)
        key = (i18n.current_locale if i18n is not None else None, refillable)
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = self._template(refillable)
        return {"inline_keyboard": [[cell.button(order_id) for cell in row] for row in template]}

    def _template(self, refillable: bool) -> list[list[_Cell]]:
        markup = as_json(finished_markup(self._MARK, refillable=refillable))
        return [[self._cell(button) for button in row] for row in markup["inline_keyboard"]]

    def _cell(self, button: dict[str, Any]) -> _Cell:
        data = button.get("callback_data")
        if data is None:
            return _Cell(button)
        pressed = NoticeCD.unpack(data)
        if pressed.order_id != self._MARK:
            return _Cell(button)
        mark = str(self._MARK)
        head = data[: -len(mark)] if data.endswith(mark) else None
        same = NoticeCD(action=pressed.action, order_id=1)
        if head is None or same.pack() != f"{head}1" or NoticeCD.unpack(f"{head}1") != same:
            # Not the layout this relies on: pack each order's data (slower, the same).
            return _Cell(button, action=pressed.action)
        return _Cell(button, head=head)


@dataclass(frozen=True, slots=True)
class _Cell:
    """One button of a template: as it is, or with the order's id put into its data."""

    template: dict[str, Any]
    head: str | None = None  # the callback data before the order id
    action: NoticeAction | None = None  # or the data packed anew for each order

    def button(self, order_id: int) -> dict[str, Any]:
        if self.head is not None:
            return {**self.template, "callback_data": f"{self.head}{order_id}"}
        if self.action is not None:
            data = NoticeCD(action=self.action, order_id=order_id).pack()
            return {**self.template, "callback_data": data}
        return dict(self.template)


def _reason(exc: ProviderFailure) -> str:
    if isinstance(exc, ProviderUnavailable):
        return exc.reason
    if isinstance(exc, ProviderError):
        return f"refused: {exc.text}"
    return str(exc)


async def _recipients(session: Any, user_ids: set[int]) -> dict[int, _Recipient]:
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.telegram_id, User.language).where(User.id.in_(list(user_ids)))
    )
    return {row[0]: _Recipient(row[1], row[2]) for row in rows}


__all__ = ["CHUNK", "PollReport", "StatusPoller"]
