"""Orders on SQLite and PostgreSQL: quotes, checkout keyed by a token, the state machine
and its refunds. Every refusal leaves the database unchanged."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.provider.models import OrderState as ProviderOrderState
from bot.provider.models import OrderStatus as ProviderStatus
from bot.shop.enums import LedgerKind, MarkupScope, OrderState
from bot.shop.errors import (
    AlreadyRefunded,
    InsufficientFunds,
    InvalidAmount,
    InvalidOrderField,
    NotFound,
    NotYours,
    PriceChanged,
    QuantityOutOfRange,
    RefundNotAllowed,
    RefundTooLarge,
    ServiceUnavailable,
    TransitionNotAllowed,
)
from bot.shop.orders.models import Draft
from bot.shop.orders.service import OrderService
from bot.shop.wallet import WalletService
from db.models import LedgerEntry, Order, ServiceRow
from db.repositories import CatalogRepo, LedgerRepo, MarkupRepo
from tests.integration.orders_world import LINK, PRICING, USD, Shop

# ---------------------------------------------------------------------------- quotes


async def test_quote_prices_with_the_default_markup(shop: Shop) -> None:
    draft = await shop.quote("followers", link=LINK, quantity=1000)
    # 0.90 per 1000 +30% = 1.17
    assert (draft.cost, draft.charge, draft.currency) == (900_000, 1_170_000, "USD")
    assert draft.form == {"service": "1", "link": LINK, "quantity": "1000"}
    assert draft.link == LINK and draft.quantity == 1000 and draft.markup_percent == 30


async def test_markup_service_over_category_over_global(shop: Shop) -> None:
    sid = shop.services["followers"]
    async with shop.factory() as session, session.begin():
        markups = MarkupRepo(session)
        await markups.set(MarkupScope.GLOBAL, 50 * USD, now=shop.clock.now())
    assert (await shop.quote("followers", link=LINK, quantity=1000)).charge == 1_350_000
    async with shop.factory() as session, session.begin():
        await MarkupRepo(session).set(
            MarkupScope.CATEGORY, 10 * USD, category="Instagram Followers", now=shop.clock.now()
        )
    assert (await shop.quote("followers", link=LINK, quantity=1000)).charge == 990_000
    assert (await shop.quote("likes", link=LINK, quantity=1000)).charge == 750_000  # global
    async with shop.factory() as session, session.begin():
        await MarkupRepo(session).set(MarkupScope.SERVICE, 0, service_id=sid, now=shop.clock.now())
    assert (await shop.quote("followers", link=LINK, quantity=1000)).charge == 900_000


async def test_quote_sizes_each_type(shop: Shop) -> None:
    drip = await shop.quote("followers", link=LINK, quantity=100, runs=5, interval=30)
    assert (drip.quantity, drip.runs, drip.interval, drip.cost) == (500, 5, 30, 450_000)
    package = await shop.quote("package", link=LINK)
    assert (package.quantity, package.cost, package.charge) == (1, 2 * USD, 2_600_000)
    comments = await shop.quote("comments", link=LINK, comments="nice\r\ngreat\n\nwow")
    assert (comments.quantity, comments.cost) == (3, 30_000)
    assert comments.form["comments"] == "nice\ngreat\nwow"
    subs = await shop.quote("subs", username="alice", min="20", max="100", posts=5, delay=30)
    # max x posts = 500 units at 1.00 per 1000
    assert (subs.quantity, subs.cost, subs.link) == (500, 500_000, "alice")
    text_numbers = await shop.quote("followers", link=LINK, quantity=" 1000 ")
    assert text_numbers.charge == 1_170_000


@pytest.mark.parametrize(
    ("service", "fields", "error", "field"),
    [
        ("followers", {"link": LINK, "quantity": 49}, QuantityOutOfRange, "quantity"),
        ("followers", {"link": LINK, "quantity": 10_001}, QuantityOutOfRange, "quantity"),
        ("followers", {"link": LINK, "quantity": 0}, InvalidOrderField, "quantity"),
        ("followers", {"link": LINK, "quantity": "ten"}, InvalidOrderField, "quantity"),
        ("followers", {"link": LINK, "quantity": -5}, InvalidOrderField, "quantity"),
        ("followers", {"quantity": 100}, InvalidOrderField, "link"),
        ("followers", {"link": LINK, "quantity": 100, "runs": 2}, InvalidOrderField, "runs"),
        (
            "followers",
            {"link": LINK, "quantity": 100, "colour": "red"},
            InvalidOrderField,
            "colour",
        ),
        (
            "likes",
            {"link": LINK, "quantity": 100, "runs": 2, "interval": 5},
            InvalidOrderField,
            "runs",
        ),
        ("comments", {"link": LINK, "comments": "x\n" * 101}, QuantityOutOfRange, "quantity"),
        (
            "subs",
            {"username": "a", "min": 5, "max": 100, "posts": 1, "delay": 0},
            QuantityOutOfRange,
            "min",
        ),
        ("subs", {"username": "a", "min": 10, "max": 100, "delay": 0}, InvalidOrderField, "posts"),
        (
            "subs",
            {"username": "a", "min": 10, "max": 100, "posts": 2, "delay": 7},
            InvalidOrderField,
            "delay",
        ),
    ],
)
async def test_bad_orders_are_refused(
    shop: Shop, service: str, fields: dict[str, Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as caught:
        await shop.quote(service, **fields)
    assert caught.value.field == field  # type: ignore[attr-defined]


async def test_unavailable_services(shop: Shop) -> None:
    with pytest.raises(ServiceUnavailable):
        await shop.quote("hidden", link=LINK, quantity=10)
    with pytest.raises(ServiceUnavailable):
        await shop.quote("weird", link=LINK, quantity=10)
    with pytest.raises(NotFound):
        await shop.run(lambda o: o.quote(shop.user, 999_999, {"link": LINK, "quantity": 10}))


async def test_draft_survives_json(shop: Shop) -> None:
    draft = await shop.quote("followers", link=LINK, quantity=1000)
    assert Draft.from_dict(json.loads(json.dumps(draft.to_dict()))) == draft


# ---------------------------------------------------------------------------- checkout


async def test_checkout_debits_and_creates_a_submitting_order(shop: Shop) -> None:
    draft = await shop.quote("followers", link=LINK, quantity=1000)
    result = await shop.run(lambda o: o.checkout(draft))
    order = result.order
    assert result.created
    assert (order.state, order.charge, order.refunded, order.user_id) == (
        OrderState.SUBMITTING,
        1_170_000,
        0,
        shop.user,
    )
    assert (order.service_name, order.service_type, order.fields) == (
        "Service 1",
        "Default",
        {"service": "1", "link": LINK, "quantity": "1000"},
    )
    assert order.created_at == shop.clock.now()
    assert await shop.balance() == 10 * USD - 1_170_000
    async with shop.factory() as session:
        entry = await LedgerRepo(session).by_reference(f"checkout:{draft.token}")
    assert entry is not None and (entry.amount, entry.order_id) == (-1_170_000, order.id)
    events = await shop.run(lambda o: o.events(order.id))
    assert [(e.from_state, e.to_state) for e in events] == [(None, OrderState.SUBMITTING)]


async def test_repeated_checkout_returns_the_same_order_and_debits_once(shop: Shop) -> None:
    draft = await shop.quote("followers", link=LINK, quantity=1000)
    first = await shop.run(lambda o: o.checkout(draft))
    again = await shop.run(lambda o: o.checkout(Draft.from_dict(draft.to_dict())))
    assert (again.order, again.created) == (first.order, False)
    assert await shop.balance() == 10 * USD - 1_170_000


async def test_checkout_without_funds_changes_nothing(shop: Shop) -> None:
    before = await shop.snapshot()
    draft = await shop.quote("followers", link=LINK, quantity=10_000)  # 11.70 > 10.00
    async with shop.factory() as session, session.begin():  # the caller commits anyway
        with pytest.raises(InsufficientFunds) as caught:
            await OrderService.from_session(session, shop.clock, PRICING).checkout(draft)
    assert (caught.value.needed, caught.value.available) == (11_700_000, 10 * USD)
    assert await shop.snapshot() == before


async def test_price_change_between_quote_and_checkout(shop: Shop) -> None:
    draft = await shop.quote("followers", link=LINK, quantity=1000)
    async with shop.factory() as session, session.begin():
        service = await session.get(ServiceRow, shop.services["followers"])
        assert service is not None
        service.rate = 1_000_000
    before = await shop.snapshot()
    with pytest.raises(PriceChanged) as caught:
        await shop.run(lambda o: o.checkout(draft))
    assert (caught.value.quoted, caught.value.current) == (1_170_000, 1_300_000)
    assert await shop.snapshot() == before


async def test_checkout_of_a_service_hidden_since_the_quote(shop: Shop) -> None:
    draft = await shop.quote("followers", link=LINK, quantity=1000)
    async with shop.factory() as session, session.begin():
        await CatalogRepo(session).set_hidden(shop.services["followers"], True)
    with pytest.raises(ServiceUnavailable):
        await shop.run(lambda o: o.checkout(draft))


async def test_someone_elses_token_is_not_yours(shop: Shop) -> None:
    draft = await shop.quote("followers", link=LINK, quantity=1000)
    await shop.run(lambda o: o.checkout(draft))
    stolen = Draft.from_dict({**draft.to_dict(), "user_id": shop.other_user})
    with pytest.raises(NotYours):
        await shop.run(lambda o: o.checkout(stolen))


async def test_50_concurrent_checkouts_of_one_token(shop: Shop) -> None:
    draft = await shop.quote("followers", link=LINK, quantity=1000)
    results = await asyncio.gather(*(shop.run(lambda o: o.checkout(draft)) for _ in range(50)))
    assert len({r.order.id for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert await shop.balance() == 10 * USD - 1_170_000
    async with shop.factory() as session:
        assert await session.scalar(select(func.count()).select_from(Order)) == 1
        charges = await session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.kind == LedgerKind.CHARGE)
        )
        assert charges == 1
        assert await WalletService.from_session(session, shop.clock).mismatches() == []


# ---------------------------------------------------------------------------- transitions


async def test_happy_path_active_then_completed(shop: Shop) -> None:
    oid = await shop.buy()
    shop.clock.advance(5)
    active = await shop.run(lambda o: o.mark_active(oid, "23501", provider_status="Pending"))
    assert (active.state, active.provider_order_id, active.provider_status) == (
        OrderState.ACTIVE,
        "23501",
        "Pending",
    )
    shop.clock.advance(3600)
    done = await shop.run(lambda o: o.mark_completed(oid, start_count=3572, remains=0))
    assert (done.state, done.refunded, done.start_count, done.finished_at) == (
        OrderState.COMPLETED,
        0,
        3572,
        shop.clock.now(),
    )
    events = await shop.run(lambda o: o.events(oid))
    assert [(e.from_state, e.to_state, e.refund) for e in events] == [
        (None, "submitting", 0),
        ("submitting", "active", 0),
        ("active", "completed", 0),
    ]
    assert await shop.balance() == 10 * USD - 1_170_000


async def test_failed_at_submit_refunds_everything(shop: Shop) -> None:
    oid = await shop.buy()
    failed = await shop.run(lambda o: o.mark_failed(oid, error="Incorrect link"))
    assert (failed.state, failed.refunded, failed.error) == ("failed", 1_170_000, "Incorrect link")
    assert await shop.balance() == 10 * USD
    async with shop.factory() as session:
        entry = await LedgerRepo(session).by_reference(f"order:{oid}:refund")
    assert entry is not None and (entry.kind, entry.amount) == (LedgerKind.REFUND, 1_170_000)


async def test_partial_refunds_the_remains_share_rounded_down(shop: Shop) -> None:
    oid = await shop.buy()  # 1000 units for 1.17
    await shop.run(lambda o: o.mark_active(oid, "1"))
    partial = await shop.run(lambda o: o.mark_partial(oid, remains=333))
    # 1.17 x 333 / 1000 = 0.38961 -> 0.38
    assert (partial.state, partial.refunded, partial.remains) == ("partial", 380_000, 333)
    assert await shop.balance() == 10 * USD - 1_170_000 + 380_000


async def test_canceled_refunds_everything(shop: Shop) -> None:
    oid = await shop.buy()
    await shop.run(lambda o: o.mark_active(oid, "1"))
    canceled = await shop.run(lambda o: o.mark_canceled(oid, provider_status="Canceled"))
    assert (canceled.state, canceled.refunded) == ("canceled", 1_170_000)
    assert await shop.balance() == 10 * USD


async def test_unknown_is_resolved_by_an_admin(shop: Shop) -> None:
    linked, lost = await shop.buy(), await shop.buy(link=LINK + "2", quantity=1000)
    for oid in (linked, lost):
        await shop.run(lambda o, oid=oid: o.mark_unknown(oid, error="timeout after add"))
    active = await shop.run(lambda o: o.mark_active(linked, "777", actor_id=42, note="found"))
    assert active.state == "active" and active.error is None
    failed = await shop.run(lambda o: o.mark_failed(lost, error="never placed", actor_id=42))
    assert (failed.state, failed.refunded) == ("failed", 1_170_000)
    events = await shop.run(lambda o: o.events(linked))
    assert (events[-1].from_state, events[-1].to_state, events[-1].actor_id) == (
        "unknown",
        "active",
        42,
    )


async def test_one_provider_order_id_links_one_order(shop: Shop) -> None:
    first, second = await shop.buy(), await shop.buy(link=LINK + "2", quantity=1000)
    await shop.run(lambda o: o.mark_active(first, "500"))
    await shop.run(lambda o: o.mark_unknown(second))
    before = await shop.snapshot()
    with pytest.raises(InvalidOrderField):
        await shop.run(lambda o: o.mark_active(second, "500"))
    assert await shop.snapshot() == before


@pytest.mark.parametrize(
    ("path", "attempt"),
    [
        ([], "mark_completed"),  # submitting -> completed
        ([], "mark_canceled"),
        (["mark_active"], "mark_failed"),  # active -> failed
        (["mark_active"], "mark_unknown"),
        (["mark_active"], "mark_active"),
        (["mark_active", "mark_completed"], "mark_canceled"),
        (["mark_active", "mark_completed"], "mark_completed"),  # at most once
        (["mark_active", "mark_canceled"], "mark_canceled"),
        (["mark_failed"], "mark_failed"),
        (["mark_failed"], "mark_active"),
    ],
)
async def test_transitions_not_allowed_change_nothing(
    shop: Shop, path: list[str], attempt: str
) -> None:
    oid = await shop.buy()

    async def step(name: str) -> None:
        if name == "mark_active":
            await shop.run(lambda o: o.mark_active(oid, "99"))
        elif name == "mark_partial":
            await shop.run(lambda o: o.mark_partial(oid, remains=1))
        else:
            await shop.run(lambda o: getattr(o, name)(oid))

    for name in path:
        await step(name)
    before = await shop.snapshot()
    with pytest.raises(TransitionNotAllowed) as caught:
        await step(attempt)
    assert caught.value.order_id == oid
    assert await shop.snapshot() == before


async def test_unknown_order(shop: Shop) -> None:
    with pytest.raises(NotFound):
        await shop.run(lambda o: o.mark_completed(12345))
    with pytest.raises(NotFound):
        await shop.run(lambda o: o.get(12345))


async def test_concurrent_cancels_refund_once(shop: Shop) -> None:
    oid = await shop.buy()
    await shop.run(lambda o: o.mark_active(oid, "1"))

    async def cancel() -> bool:
        try:
            await shop.run(lambda o: o.mark_canceled(oid))
        except TransitionNotAllowed:
            return False
        return True

    results = await asyncio.gather(*(cancel() for _ in range(20)))
    assert results.count(True) == 1
    assert await shop.balance() == 10 * USD


# ---------------------------------------------------------------------------- provider states


def _state(
    status: str, remains: int | None = None, charge: str | None = None
) -> ProviderOrderState:
    return ProviderOrderState(
        order_id="1",
        status=ProviderStatus.parse(status),
        raw_status=status,
        remains=remains,
        start_count=10,
        charge=None if charge is None else Decimal(charge),
        currency="USD",
    )


async def test_provider_progress_only_records(shop: Shop) -> None:
    oid = await shop.buy()
    await shop.run(lambda o: o.mark_active(oid, "1"))
    shop.clock.advance(60)
    change = await shop.run(
        lambda o: o.apply_provider_state(oid, _state("In progress", 400, "0.27819"))
    )
    assert not change.changed and change.refund == 0
    order = change.order
    assert (order.state, order.provider_status, order.remains, order.last_checked_at) == (
        "active",
        "In progress",
        400,
        shop.clock.now(),
    )
    async with shop.factory() as session:
        row = await session.get(Order, oid)
        assert row is not None and (row.provider_charge, row.provider_currency) == (278_190, "USD")
    change = await shop.run(lambda o: o.apply_provider_state(oid, _state("Sleeping")))
    assert change.order.state == "active" and change.order.provider_status == "Sleeping"


@pytest.mark.parametrize(
    ("status", "remains", "state", "refund"),
    [
        ("Completed", 0, "completed", 0),
        ("Partial", 500, "partial", 580_000),  # 1.17 / 2 = 0.585 -> 0.58
        ("Partial", 1000, "partial", 1_170_000),  # nothing delivered: the whole charge
        ("Canceled", 1000, "canceled", 1_170_000),
        ("Canceled", 300, "canceled", 350_000),  # 700 delivered first: 1.17 x 0.3 -> 0.35
        ("Refunded", None, "canceled", 1_170_000),
        ("Fail", None, "canceled", 1_170_000),
        ("Expired", None, "canceled", 1_170_000),  # not a subscription: like Canceled
    ],
)
async def test_provider_final_states(
    shop: Shop, status: str, remains: int | None, state: str, refund: int
) -> None:
    oid = await shop.buy()
    await shop.run(lambda o: o.mark_active(oid, "1"))
    change = await shop.run(lambda o: o.apply_provider_state(oid, _state(status, remains)))
    assert change.changed and change.previous == "active"
    assert (change.order.state, change.refund, change.order.refunded) == (state, refund, refund)
    assert await shop.balance() == 10 * USD - 1_170_000 + refund
    # The same reply again (a second poll) changes nothing.
    again = await shop.run(lambda o: o.apply_provider_state(oid, _state(status, remains)))
    assert not again.changed and again.refund == 0
    assert await shop.balance() == 10 * USD - 1_170_000 + refund


@pytest.mark.parametrize(
    ("status", "remains"),
    [
        ("Partial", 10**9),  # more remains than ordered
        ("Partial", -20),
        ("Partial", None),
        ("Completed", 1001),
        ("Canceled", 5000),
    ],
)
async def test_provider_replies_that_cannot_be_true_change_nothing(
    shop: Shop, status: str, remains: int | None
) -> None:
    oid = await shop.buy()
    await shop.run(lambda o: o.mark_active(oid, "1"))
    first = await shop.run(lambda o: o.apply_provider_state(oid, _state(status, remains)))
    again = await shop.run(lambda o: o.apply_provider_state(oid, _state(status, remains)))
    assert first.rejected and not first.changed and first.refund == 0
    assert (first.poll_errors, again.poll_errors) == (1, 2)  # counted as poll errors
    assert again.order.state == "active" and again.order.refunded == 0
    assert await shop.balance() == 10 * USD - 1_170_000


# ---------------------------------------------------------------------------- manual refunds


async def test_admin_refunds_in_parts_never_beyond_the_charge(shop: Shop) -> None:
    oid = await shop.buy()
    await shop.run(lambda o: o.mark_active(oid, "1"))
    await shop.run(lambda o: o.mark_completed(oid))
    first = await shop.run(lambda o: o.refund(oid, 500_000, actor_id=42, note="complaint"))
    assert first.refunded == 500_000 and first.state == "completed"
    before = await shop.snapshot()
    with pytest.raises(RefundTooLarge) as caught:
        await shop.run(lambda o: o.refund(oid, 700_000, actor_id=42))
    assert caught.value.available == 670_000
    assert await shop.snapshot() == before
    rest = await shop.run(lambda o: o.refund(oid, actor_id=42))
    assert rest.refunded == 1_170_000
    assert await shop.balance() == 10 * USD
    with pytest.raises(AlreadyRefunded):
        await shop.run(lambda o: o.refund(oid, actor_id=42))
    events = await shop.run(lambda o: o.events(oid))
    assert [(e.to_state, e.refund) for e in events[-2:]] == [
        ("completed", 500_000),
        ("completed", 670_000),
    ]


async def test_admin_refund_then_provider_cancel_gives_back_only_the_rest(shop: Shop) -> None:
    oid = await shop.buy()
    await shop.run(lambda o: o.mark_active(oid, "1"))
    await shop.run(lambda o: o.refund(oid, 170_000, actor_id=42))
    canceled = await shop.run(lambda o: o.mark_canceled(oid))
    assert canceled.refunded == 1_170_000
    assert await shop.balance() == 10 * USD


async def test_refunds_refused(shop: Shop) -> None:
    oid = await shop.buy()
    before = await shop.snapshot()
    with pytest.raises(RefundNotAllowed):  # submitting: resolve it instead
        await shop.run(lambda o: o.refund(oid, actor_id=42))
    for bad in (0, -1, Decimal("0.5")):
        with pytest.raises(InvalidAmount):
            await shop.run(lambda o, bad=bad: o.refund(oid, bad, actor_id=42))
    assert await shop.snapshot() == before
    await shop.run(lambda o: o.mark_failed(oid))
    with pytest.raises(AlreadyRefunded):  # a refund on a refunded order
        await shop.run(lambda o: o.refund(oid, 1, actor_id=42))
    with pytest.raises(NotFound):
        await shop.run(lambda o: o.refund(424242, actor_id=42))


# ---------------------------------------------------------------------------- reading


async def test_orders_of_a_user(shop: Shop) -> None:
    ids = [await shop.buy(link=f"{LINK}{n}", quantity=100) for n in range(7)]
    page = await shop.run(lambda o: o.page_for_user(shop.user, page=0, per_page=5))
    assert [o.id for o in page.orders] == ids[::-1][:5] and page.has_next and page.total == 7
    page = await shop.run(lambda o: o.page_for_user(shop.user, page=1, per_page=5))
    assert [o.id for o in page.orders] == ids[::-1][5:] and not page.has_next
    mine = await shop.run(lambda o: o.get_for_user(shop.user, ids[0]))
    assert mine.id == ids[0]
    with pytest.raises(NotYours):
        await shop.run(lambda o: o.get_for_user(shop.other_user, ids[0]))


async def test_orders_keep_their_snapshot_when_the_service_goes(shop: Shop) -> None:
    oid = await shop.buy()
    async with shop.factory() as session, session.begin():
        service = await session.get(ServiceRow, shop.services["followers"])
        await session.delete(service)
    order = await shop.run(lambda o: o.get(oid))
    assert (order.service_id, order.service_name, order.provider_service_id, order.charge) == (
        None,
        "Service 1",
        "1",
        1_170_000,
    )
    await shop.run(lambda o: o.mark_active(oid, "1"))
    assert (await shop.run(lambda o: o.mark_partial(oid, remains=1000))).refunded == 1_170_000
