"""The customer's words in their language: plural forms, dates and numbers through Babel,
unit prices with the decimals to check a total by, round top-up presets, the usual
completion time and the panel's "average time" as it is read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.i18n import create_i18n, in_language
from bot.provider.parsing import parse_service
from bot.provider.validate import duration_minutes
from bot.shop.enums import OrderState
from bot.shop.payments.stars import StarsPrices
from bot.shop.payments.values import PaymentConfig
from bot.shop.usual_time import MIN_ORDERS, usual_time
from bot.texts.format import day_time, money, number, unit_price
from handlers.common.texts import duration, state_name
from handlers.wallet.texts import stars_words

I18N = create_i18n()


@pytest.fixture
def ru() -> Iterator[None]:
    with in_language(I18N, "ru"):
        yield


@pytest.fixture
def en() -> Iterator[None]:
    with in_language(I18N, "en"):
        yield


@pytest.mark.parametrize(
    ("count", "words"), [(1, "1 звезда"), (2, "2 звезды"), (5, "5 звёзд"), (21, "21 звезда")]
)
def test_stars_in_russian_plural_forms(ru: None, count: int, words: str) -> None:
    assert stars_words(count) == words


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (1, "1 минута"),
        (2, "2 минуты"),
        (5, "5 минут"),
        (21, "21 минута"),
        (135, "2 часа 15 минут"),
        (21 * 60, "21 час"),
        (1440 + 120, "1 день 2 часа"),
        (5 * 1440, "5 дней"),
    ],
)
def test_durations_in_russian(ru: None, minutes: int, words: str) -> None:
    assert duration(minutes) == words


def test_durations_in_english(en: None) -> None:
    assert [duration(m) for m in (1, 45, 60, 137, 1441, 2 * 1440 + 60)] == [
        "1 minute",
        "45 minutes",
        "1 hour",
        "2 hours 15 minutes",
        "1 day",
        "2 days 1 hour",
    ]


def test_order_states_agree_with_the_word_for_an_order(ru: None) -> None:
    assert state_name(OrderState.COMPLETED) == "выполнен"
    assert state_name(OrderState.PARTIAL) == "выполнен частично"
    assert state_name(OrderState.CANCELED).startswith("отменён")


def test_dates_and_numbers_in_the_customers_locale() -> None:
    moment = datetime(2026, 12, 2, 1, 16, tzinfo=UTC)
    now = datetime(2026, 12, 3, tzinfo=UTC)
    with in_language(I18N, "en"):
        assert day_time(moment, now=now) == "Dec 2, 01:16"
        assert number(5000) == "5,000"
        assert day_time(moment, now=now + timedelta(days=365)) == "Dec 2, 2026, 01:16"
    with in_language(I18N, "ru"):
        assert day_time(moment, now=now) == "2 дек., 01:16"
        assert number(5000) == "5\u00a0000"
        assert money(1_012_500_000, "USD") == "1\u00a0012,50 USD"
        assert money(-3_510_000, "USD") == "-3,51 USD"
        assert unit_price(701_753, "USD") == "0,7018 USD"
    with in_language(I18N, "en"):
        assert money(1_012_500_000, "USD") == "1,012.50 USD"
    assert day_time(None) == "—"


@pytest.mark.parametrize(
    ("micro", "text"),
    [
        (701_753, "0.7018 USD"),  # 5,000 of it cost 3.51: 0.71 would not explain that
        (710_000, "0.71 USD"),
        (7_000_000, "7.00 USD"),
        (1_230_500, "1.2305 USD"),
        (123, "0.0002 USD"),  # rounded up: a total worked out from it is never short
    ],
)
def test_unit_prices_carry_the_decimals_they_need(micro: int, text: str) -> None:
    assert unit_price(micro, "USD") == text


def _prices(rate: str, *presets: int) -> StarsPrices:
    prices = StarsPrices()
    prices.config = PaymentConfig(
        currency="USD",
        stars_rate=Decimal(rate),
        referral_percent=Decimal(5),
        presets=tuple(Decimal(p) for p in presets),
        max_stars=10_000,
        invoice_ttl=timedelta(hours=1),
    )
    return prices


def test_presets_credit_round_amounts() -> None:
    # At 0.013 USD a Star no count credits exactly 10, 25 or 50 USD (770 Stars: 10.01).
    menu = _prices("0.013", 5, 10, 25, 50).menu()
    assert [(q.stars, q.credit) for q in menu.presets] == [
        (385, 5_000_000),
        (693, 9_000_000),
        (2000, 26_000_000),
        (4000, 52_000_000),
    ]
    assert all(q.credit % 1_000_000 == 0 for q in menu.presets)
    exact = _prices("0.02", 5, 10, 25).menu()
    assert [q.credit for q in exact.presets] == [5_000_000, 10_000_000, 25_000_000]


def test_a_preset_with_no_round_neighbour_is_shown_as_credited() -> None:
    # 0.0173: one Star credits 0.01 USD; no count near 1 credits a whole dollar except
    # those found by the search, and whatever it finds is exact.
    for quote in _prices("0.0173", 1, 3).menu().presets:
        assert quote.credit == _prices("0.0173").credit_for(quote.stars)


def test_usual_time_needs_enough_orders_and_takes_the_median() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    spans = [(start, start + timedelta(minutes=m)) for m in (30, 60, 90, 120, 150)]
    assert usual_time(spans[: MIN_ORDERS - 1], None) is None
    assert usual_time(spans[: MIN_ORDERS - 1], 45) == usual_time([], 45)
    measured = usual_time(spans, 45)
    assert measured is not None and (measured.minutes, measured.orders) == (90, 5)
    panel = usual_time([], 45)
    assert panel is not None and (panel.minutes, panel.orders) == (45, None)


@pytest.mark.parametrize(
    ("value", "minutes"),
    [
        (45, 45),
        ("45", 45),
        ("2 hours 15 minutes", 135),
        ("1 day", 1440),
        ("1h 30m", 90),
        ("30 min", 30),
        ("", None),
        ("soon", None),
        (0, None),
        (-5, None),
        (True, None),
        (None, None),
        ({"h": 1}, None),
        (10**12, None),
    ],
)
def test_panel_average_time_is_read_or_ignored(value: object, minutes: int | None) -> None:
    assert duration_minutes(value) == minutes


def test_services_list_average_time_under_either_name() -> None:
    base = {"service": 1, "name": "x", "type": "Default", "rate": "1", "min": 1, "max": 10}
    assert parse_service({**base, "average_time": "1 hour"}).average_minutes == 60
    assert parse_service({**base, "avg_time": 20}).average_minutes == 20
    assert parse_service(base).average_minutes is None
