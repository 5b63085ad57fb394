"""The status poller writes its notices in bulk (NoticeWriter keeps each language's words
per shape, Babel's patterns and numbers are cached, keyboards come from a template): every
notice it writes is the text and the keyboard the one-order way gives, for each state in
each language, whatever was written before it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.i18n import create_i18n, in_language
from bot.jobs.orders import _FinishedMarkups
from bot.notice_buttons import as_json, finished_markup
from bot.shop.enums import OrderState
from bot.shop.money import to_micro
from bot.shop.orders.models import OrderDTO
from bot.texts.customer_notices import (
    NoticeWriter,
    order_canceled,
    order_completed,
    order_partial,
    order_progress,
    order_started,
    order_subscription_ended,
)

I18N = create_i18n()
LANGUAGES = ("en", "ru")
AT = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
PAID = to_micro("12.50")


def order(n: int = 1, **changes: object) -> OrderDTO:
    base = OrderDTO(
        id=n,
        user_id=7,
        state=OrderState.ACTIVE,
        service_id=3,
        provider_id=1,
        provider_service_id="101",
        service_name="Instagram Followers <HQ> & fast",
        service_type="Default",
        category="Instagram",
        link="https://instagram.com/p/x",
        fields={"link": "https://instagram.com/p/x", "quantity": "10000"},
        quantity=10_000,
        runs=None,
        interval=None,
        charge=PAID,
        cost=to_micro("6"),
        refunded=0,
        currency="USD",
        provider_order_id="9001",
        provider_status="In progress",
        start_count=1234,
        remains=2500,
        error=None,
        created_at=AT,
        updated_at=AT,
        finished_at=None,
        last_checked_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def subscription(n: int, posts: int, remains: int | None, **changes: object) -> OrderDTO:
    return order(
        n,
        service_type="Subscriptions",
        fields={"username": "someone", "min": "100", "max": "200", "posts": str(posts)},
        quantity=200 * posts,
        remains=remains,
        **changes,
    )


# (what, the one-order text, the same notice through a writer)
Case = tuple[str, Callable[[], str], Callable[[NoticeWriter], str]]


def finished(o: OrderDTO, refund: int) -> list[Case]:
    done = replace(o, state=OrderState.COMPLETED, refunded=refund)
    part = replace(o, state=OrderState.PARTIAL, refunded=refund)
    gone = replace(o, state=OrderState.CANCELED, refunded=refund)
    return [
        (f"completed #{o.id}", lambda: order_completed(done), lambda w: w.completed(done)),
        (
            f"partial #{o.id} {refund}",
            lambda: order_partial(part, refund),
            lambda w: w.partial(part, refund),
        ),
        (
            f"canceled #{o.id} {refund}",
            lambda: order_canceled(gone, refund),
            lambda w: w.canceled(gone, refund),
        ),
        (
            f"subscription #{o.id} {refund}",
            lambda: order_subscription_ended(part, refund),
            lambda w: w.subscription_ended(part, refund),
        ),
    ]


def running(o: OrderDTO) -> list[Case]:
    return [
        (
            f"started #{o.id}",
            lambda: order_started(o),
            lambda w: w.started(o.id, o.service_name, o.start_count),
        ),
        (
            f"progress #{o.id}",
            lambda: order_progress(o),
            lambda w: w.progress(o.id, o.quantity, o.remains),
        ),
    ]


CASES: list[Case] = [
    # Completed; partial with and without money back; canceled at the panel (Canceled,
    # Failed, Refunded: all end `canceled`) with everything back, with the rest back
    # after some was delivered, and with nothing back.
    *finished(order(1), to_micro("3.12")),
    *finished(order(2, remains=None), PAID),
    *finished(order(3, remains=10_000), PAID),
    *finished(order(4, remains=0), 0),
    *finished(order(5, remains=9_999), PAID - 1),
    *finished(order(6, quantity=1_000_000, remains=1), to_micro("1234.56")),
    # Subscriptions: each plural form of the posts, progress unknown, nothing back.
    *finished(subscription(7, 1, 200), PAID),
    *finished(subscription(8, 2, 200), to_micro("6.25")),
    *finished(subscription(9, 5, 0), 0),
    *finished(subscription(10, 21, 3_000), to_micro("1.79")),
    *finished(subscription(11, 3, None), to_micro("0.01")),
    # Running: started with and without a start count (0 is "not known yet"), half way.
    *running(order(12)),
    *running(order(13, start_count=None, remains=None)),
    *running(order(14, start_count=0, remains=4_999)),
    *running(order(15, start_count=10**9, quantity=2, remains=1)),
]


def test_every_bulk_notice_is_the_one_order_notice_in_every_language() -> None:
    writer = NoticeWriter()
    seen = set()
    # Twice over, the languages taking turns: words kept for one shape or language must
    # never be used for another.
    for _ in range(2):
        for what, one, many in CASES:
            for language in LANGUAGES:
                with in_language(I18N, language):
                    expected = one()
                    assert many(writer) == expected, f"{what} in {language}"
                seen.add(expected)
    assert len(seen) > len(CASES)  # the languages read differently


def test_a_writer_keeping_few_words_writes_the_same() -> None:
    writer = NoticeWriter(keep=2)
    for what, one, many in CASES:
        for language in LANGUAGES:
            with in_language(I18N, language):
                assert many(writer) == one(), f"{what} in {language}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "🟡 Order <b>#1</b> is partially completed: 7,500 of 10,000.\n"
            "3.12 USD for the rest is back on your balance.",
        ),
        (
            "ru",
            "🟡 Заказ <b>#1</b> выполнен частично: 7\xa0500 из 10\xa0000.\n"
            "За невыполненную часть на ваш баланс возвращено 3,12 USD.",
        ),
    ],
)
def test_a_partial_notice_reads_as_it_always_has(language: str, expected: str) -> None:
    with in_language(I18N, language):
        assert NoticeWriter().partial(order(1), to_micro("3.12")) == expected


def test_a_service_name_is_escaped_in_bulk_too() -> None:
    with in_language(I18N, "en"):
        text = NoticeWriter().completed(order(1, state=OrderState.COMPLETED))
    assert "Instagram Followers &lt;HQ&gt; &amp; fast" in text


@pytest.mark.parametrize("refillable", [True, False])
def test_keyboards_from_the_template_are_the_ones_built_for_the_order(refillable: bool) -> None:
    markups = _FinishedMarkups()
    for order_id in (1, 42, 10**12, 2**63 - 1):
        for language in LANGUAGES:
            with in_language(I18N, language):
                expected = as_json(finished_markup(order_id, refillable=refillable))
                assert markups.for_order(order_id, refillable=refillable) == expected
