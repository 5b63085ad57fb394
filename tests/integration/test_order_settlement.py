"""The order state machine against whatever a panel reports, on SQLite and PostgreSQL.

A property test feeds any sequence of status replies (finished or not, sensible or not,
item errors among them) to one order and checks the money rules after each: refunds
never exceed the charge, an order is refunded at most once, and a reply the state
machine rejects never finishes the order. Then the endings one by one: Canceled after
partial delivery, a charge kept, subscriptions that served fewer posts than paid for.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.provider.models import ItemError
from bot.provider.models import OrderState as PanelState
from bot.provider.models import OrderStatus as PanelStatus
from bot.shop import settlement
from bot.shop.enums import LedgerKind
from bot.shop.money import round_down
from bot.shop.wallet import WalletService
from db.models import LedgerEntry, Order
from db.repositories import LedgerRepo, UserRepo
from tests.integration.orders_world import LINK, PRICING, USD, Shop

SUBSCRIPTION = {"username": "alice", "min": 10, "max": 20, "posts": 5, "delay": 0}
STATUS_WORDS = [
    "Pending",
    "In progress",
    "Inprogress",
    "Processing",
    "Active",
    "Completed",
    "Partial",
    "Canceled",
    "Cancelled",
    "Refunded",
    "Expired",
    "Fail",
    "Error",
    "Teleported",
]


def _reply(status: str, remains: int | None, charge: Decimal | None, posts: int | None) -> Any:
    return PanelState(
        order_id="1",
        status=PanelStatus.parse(status),
        raw_status=status,
        remains=remains,
        charge=charge,
        start_count=None,
        currency="USD",
        posts=posts,
    )


replies = st.one_of(
    st.builds(
        _reply,
        status=st.sampled_from(STATUS_WORDS),
        remains=st.none() | st.integers(-50, 1200) | st.sampled_from([0, 100, 1000, 10**12]),
        charge=st.none()
        | st.decimals(min_value=0, max_value=3, places=5)
        | st.sampled_from([Decimal(0), Decimal("1e11")]),
        posts=st.none() | st.integers(0, 7),
    ),
    st.builds(ItemError, st.sampled_from(["Incorrect order ID", "unreadable status: x"])),
)


async def _top_up(shop: Shop) -> None:
    async with shop.factory() as session, session.begin():
        await WalletService.from_session(session, shop.clock).credit(
            shop.user, 10 * USD, LedgerKind.TOPUP, f"pay:{shop.clock.now().timestamp()}"
        )
    shop.clock.advance(1)


async def _order(shop: Shop, order_id: int) -> Order:
    async with shop.factory() as session:
        row = await session.get(Order, order_id)
        assert row is not None
        return row


async def _refund_rows(shop: Shop, order_id: int) -> list[LedgerEntry]:
    async with shop.factory() as session:
        rows = await session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.order_id == order_id, LedgerEntry.kind == LedgerKind.REFUND
            )
        )
        return list(rows)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=st.lists(replies, min_size=1, max_size=6), subscription=st.booleans())
async def test_any_sequence_of_replies_keeps_the_money_rules(
    shop: Shop, sequence: list[Any], subscription: bool
) -> None:
    await _top_up(shop)
    if subscription:
        oid = await shop.buy("subs", **SUBSCRIPTION)
    else:
        oid = await shop.buy("followers", link=LINK, quantity=1000)
    await shop.run(lambda o: o.mark_active(oid, str(oid)))
    charge = (await _order(shop, oid)).charge
    for reply in sequence:
        before = await _order(shop, oid)
        expected_rejection = before.state == "active" and (
            isinstance(reply, ItemError)
            or settlement.judge(settlement.OrderFacts.of(before), reply, PRICING.currency_rate)
            is not None
        )
        change = await shop.run(lambda o, r=reply: o.apply_provider_state(oid, r))
        after = await _order(shop, oid)
        if expected_rejection:
            # Rejected: counted as a poll error, and nothing else moves.
            assert change.rejected and not change.changed and change.refund == 0
            assert (after.state, after.refunded) == (before.state, before.refunded)
            assert after.poll_errors == before.poll_errors + 1
        refunds = await _refund_rows(shop, oid)
        assert len(refunds) <= 1  # refunded at most once
        assert sum(r.amount for r in refunds) == after.refunded <= charge
        assert after.refunded == 0 or after.state.finished
    async with shop.factory() as session:
        assert await UserRepo(session).balance(shop.user) == await LedgerRepo(session).total(
            shop.user
        )


# --- endings, one by one -------------------------------------------------------------


async def _active(shop: Shop, service: str = "followers", **fields: Any) -> int:
    oid = await shop.buy(service, **(fields or {"link": LINK, "quantity": 1000}))
    await shop.run(lambda o: o.mark_active(oid, str(oid)))
    return oid


async def test_canceled_after_partial_delivery_refunds_the_undelivered_share(shop: Shop) -> None:
    # Symptom 7: remains 300 of 1000 and a charge kept: 30% comes back, not 100%.
    oid = await _active(shop)
    change = await shop.run(
        lambda o: o.apply_provider_state(oid, _reply("Canceled", 300, Decimal("0.63"), None))
    )
    assert (change.order.state, change.refund) == ("canceled", 350_000)  # 1.17 x 0.3


async def test_canceled_with_a_charge_kept_and_no_remains(shop: Shop) -> None:
    oid = await _active(shop)  # cost 0.90, charge 1.17
    change = await shop.run(
        lambda o: o.apply_provider_state(oid, _reply("Refunded", None, Decimal("0.45"), None))
    )
    assert (change.order.state, change.refund) == ("canceled", 580_000)  # half kept: 0.585


@pytest.mark.parametrize(
    ("remains", "charge"),
    [(1000, Decimal("0.45")), (None, Decimal(0)), (300, Decimal(0)), (0, None), (None, None)],
)
async def test_canceled_with_nothing_delivered_refunds_everything(
    shop: Shop, remains: int | None, charge: Decimal | None
) -> None:
    oid = await _active(shop)
    change = await shop.run(
        lambda o: o.apply_provider_state(oid, _reply("Cancelled", remains, charge, None))
    )
    assert (change.order.state, change.refund) == ("canceled", 1_170_000)


@pytest.mark.parametrize(
    ("status", "posts", "state", "unserved"),
    [
        ("Completed", 2, "partial", 3),  # 3 of the 5 posts paid for were not served
        ("Expired", 2, "partial", 3),
        ("Completed", 5, "completed", 0),
        ("Completed", None, "completed", 0),
        ("Expired", None, "completed", 0),
        ("Canceled", 2, "canceled", 3),
        ("Canceled", 0, "canceled", 5),
        ("Canceled", None, "canceled", 5),
    ],
)
async def test_a_subscription_refunds_the_posts_it_did_not_serve(
    shop: Shop, status: str, posts: int | None, state: str, unserved: int
) -> None:
    # Symptom 8: charged up front for 20 per post x 5 posts (0.13 USD); what was paid for
    # and not served comes back when it ends, rounded down to the cent.
    oid = await _active(shop, "subs", **SUBSCRIPTION)
    charged = (await _order(shop, oid)).charge
    assert charged == 130_000
    change = await shop.run(
        lambda o: o.apply_provider_state(oid, _reply(status, None, None, posts))
    )
    assert change.order.state == state
    assert change.refund == round_down(charged * unserved // 5, "USD")
    if posts is not None:
        served = settlement.posts_served(change.order)
        assert served == (posts, 5)


async def test_a_subscription_reporting_more_posts_than_paid_is_rejected(shop: Shop) -> None:
    oid = await _active(shop, "subs", **SUBSCRIPTION)
    change = await shop.run(
        lambda o: o.apply_provider_state(oid, _reply("Completed", None, None, 9))
    )
    assert change.rejected and change.order.state == "active" and change.order.refunded == 0
