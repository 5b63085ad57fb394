"""The validator and the parse functions against anything a panel may send.

Every parse function, fed arbitrary JSON or text, gives a typed result or a provider
error (or the validator's own `Invalid`, which the client turns into one), never another
exception; and the work is bounded by the input, not by what the numbers in it say:
asserted on the characters the salvage reads and on the size of every number accepted,
never on wall time.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.numbers import MAX_INT64, parse_whole
from bot.provider import parsing
from bot.provider import validate as v
from bot.provider.errors import AccountIssue, BadReply, ProviderError, account_issue
from bot.provider.models import (
    AddResult,
    Balance,
    CancelResult,
    ItemError,
    OrderState,
    OrderStatus,
    RefillCreated,
    RefillState,
    Service,
    ServiceListing,
)

NASTY_NUMBERS = [
    "1e400000",
    "9e999999999",
    "-1e400000",
    "1E5",
    "99999999999999999999",
    "9" * 5000,
    "0x10",
    "١٢٣",
    "1²",
    "NaN",
    "Infinity",
    "1_000",
    " 12 ",
    "12.5",
    "-3",
    "",
    "Unknown",
    10**30,
    -(10**30),
    2**63,
    2**63 - 1,
    1e308,
    float("inf"),
    1.5,
    True,
    None,
]
KEYS = [
    "1",
    "2",
    "error",
    "status",
    "message",
    "order",
    "orders",
    "refill",
    "cancel",
    "charge",
    "remains",
    "start_count",
    "posts",
    "currency",
    "balance",
    "service",
    "rate",
    "min",
    "max",
    "data",
    "type",
    "success",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "Completed",
            "Partial",
            "Canceled",
            "Expired",
            "error",
            "Success",
            "Incorrect order ID",
            "Invalid API key",
            "0.90",
            "1",
            "0",
            "null",
        ]
        + [n for n in NASTY_NUMBERS if isinstance(n, str)]
    )
    | st.sampled_from([n for n in NASTY_NUMBERS if not isinstance(n, str)])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=6)
    ),
    max_leaves=20,
)
RESULTS = (
    Service,
    ServiceListing,
    OrderState,
    ItemError,
    RefillCreated,
    RefillState,
    CancelResult,
    Balance,
    AddResult,
)
FAILURES = (ProviderError, BadReply, v.Invalid)


def _typed(value: Any) -> None:
    if isinstance(value, dict):
        assert all(isinstance(item, RESULTS) for item in value.values())
    else:
        assert isinstance(value, RESULTS)


def _parse_everything(data: Any) -> None:
    ids = ["1", "2"]
    calls = [
        lambda: parsing.parse_services(data),
        lambda: parsing.parse_service(data),
        lambda: parsing.parse_status("1", data),
        lambda: parsing.parse_statuses(ids, data),
        lambda: parsing.parse_statuses(["1"], data),
        lambda: parsing.parse_add(data),
        lambda: parsing.parse_refill("1", data),
        lambda: parsing.parse_refills(ids, data),
        lambda: parsing.parse_refill_status("1", data),
        lambda: parsing.parse_refill_statuses(ids, data),
        lambda: parsing.parse_refill_statuses(["1"], data),
        lambda: parsing.parse_cancels(ids, data),
        lambda: parsing.parse_cancels(["1"], data),
        lambda: parsing.parse_balance(data),
    ]
    for call in calls:
        try:
            result = call()
        except FAILURES:
            continue
        _typed(result)
        _bounded(result)


def _bounded(result: Any) -> None:
    """Whatever passed the validator fits the database and costs nothing to convert."""
    values = result.values() if isinstance(result, dict) else [result]
    for item in values:
        if isinstance(item, OrderState):
            for count in (item.start_count, item.remains, item.posts):
                assert count is None or -MAX_INT64 <= count <= MAX_INT64
            assert item.charge is None or 0 <= item.charge < v.MONEY_CEILING
            assert len(item.raw_status) <= v.MAX_STATUS_TEXT
            assert item.currency is None or len(item.currency) <= 8
        if isinstance(item, Balance):
            assert abs(item.balance) < v.MONEY_CEILING
        if isinstance(item, AddResult | RefillCreated):
            assert 1 <= int(getattr(item, "order_id", None) or item.refill_id) <= MAX_INT64


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=json_values)
def test_every_parse_function_gives_a_typed_result_or_a_provider_error(data: Any) -> None:
    _parse_everything(data)


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.text(max_size=60) | st.sampled_from(["<br />\n<b>Notice</b>: x on line 3\n"]),
    value=json_values,
    suffix=st.text(max_size=60) | st.sampled_from(["\n<!-- 0.01 s -->", "<b>Warning</b>"]),
)
def test_text_bodies_decode_within_bounded_work(prefix: str, value: Any, suffix: str) -> None:
    body = (prefix + json.dumps(value) + suffix).encode("utf-8", "replace")
    try:
        decoded = v.decode(body)
    except v.NotJson:
        return
    # The salvage reads each character a few times at most, whatever the body holds.
    text_length = len(body.decode("utf-8", "replace"))
    assert decoded.scanned <= 4 * text_length + 4096
    assert decoded.attempts <= v.MAX_SALVAGE_ATTEMPTS
    _parse_everything(decoded.value)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 200_000,
        b"{" * 200_000,
        b'{"a":' * 100_000,
        b"[1," * 100_000,
        (b"x[" * 100_000) + b'{"order": 1}',
        b'{"order": ' + b"9" * 10_000 + b"}",
    ],
)
def test_adversarial_bodies_are_bounded(body: bytes) -> None:
    try:
        decoded = v.decode(body)
    except v.NotJson:
        return
    assert decoded.scanned <= 4 * len(body) + 4096
    _parse_everything(decoded.value)


@settings(max_examples=300, deadline=None)
@given(value=scalars)
def test_numbers_are_bounded_before_any_conversion(value: Any) -> None:
    try:
        number = v.number(value, "x")
    except v.Invalid:
        return
    # Only short plain text or a JSON number gets through: converting it is cheap.
    assert number.is_finite() and abs(number.adjusted()) <= 400
    if isinstance(value, str):
        assert len(value.strip()) <= v.MAX_NUMBER_TEXT and "e" not in value.lower()
    try:
        count = v.whole(value, "x", low=-MAX_INT64)
    except v.Invalid:
        return
    assert -MAX_INT64 <= count <= MAX_INT64


@pytest.mark.parametrize("nasty", NASTY_NUMBERS)
@pytest.mark.parametrize("field", ["remains", "start_count", "charge", "posts"])
def test_a_nasty_number_is_that_orders_item_error(field: str, nasty: object) -> None:
    item = {"status": "In progress", "remains": "10", "charge": "0.5", field: nasty}
    result = parsing.parse_statuses(["1", "2"], {"1": item, "2": {"status": "Completed"}})
    assert isinstance(result["2"], OrderState)  # the neighbour is untouched
    first = result["1"]
    if isinstance(first, OrderState):
        _bounded(result)
    else:
        assert first.malformed


@pytest.mark.parametrize("field", ["rate", "min", "max"])
@pytest.mark.parametrize("nasty", ["1e400000", "99999999999999999999", 10**30, float("inf")])
def test_a_nasty_catalogue_entry_is_skipped_and_counted(field: str, nasty: object) -> None:
    good = {"service": 2, "name": "Ok", "rate": "1", "min": 1, "max": 100}
    bad = {"service": 1, "name": "Bad", "rate": "1", "min": 1, "max": 100, field: nasty}
    listing = parsing.parse_services([bad, good])
    assert [s.service_id for s in listing] == ["2"] and listing.skipped == 1


def test_balance_with_many_decimals_and_bounds() -> None:
    # PHP floats and long decimals (symptom 4): any number of decimals is fine.
    assert parsing.parse_balance({"balance": "5000.1234567"}).balance == Decimal("5000.1234567")
    assert parsing.parse_balance({"balance": 5000.1234567}).balance == Decimal("5000.1234567")
    assert parsing.parse_balance({"balance": "-3.5", "currency": "usd"}).currency == "USD"
    for nasty in ("1e400000", "99999999999999999999", 1e300):
        with pytest.raises(BadReply):
            parsing.parse_balance({"balance": nasty})


# --- error keys and flat errors ----------------------------------------------------------


@pytest.mark.parametrize("no_error", [None, "", 0, False, "0", "null", "false", " "])
def test_an_error_key_that_says_no_error(no_error: object) -> None:
    # Symptom 5: {"order": 777001, "error": null} is a placed order, not a refusal.
    assert parsing.parse_add({"order": 777001, "error": no_error}).order_id == "777001"
    item = {"status": "Completed", "remains": "0", "error": no_error}
    result = parsing.parse_statuses(["1", "2"], {"1": item, "2": item})
    assert all(isinstance(r, OrderState) for r in result.values())
    assert parsing.parse_balance({"balance": "1", "error": no_error}).balance == 1


def test_add_with_an_id_and_a_real_error_is_never_a_refusal() -> None:
    with pytest.raises(v.Invalid):  # the client makes this an unknown outcome
        parsing.parse_add({"order": 23501, "error": "Something went wrong"})
    with pytest.raises(ProviderError):
        parsing.parse_add({"order": 0, "error": "Not enough funds on balance"})
    with pytest.raises(ProviderError):
        parsing.parse_add({"status": "error", "message": "Incorrect link"})
    for no_id in ({"order": "abc"}, {"order": -5}, {"order": 2**63}, {"status": "success"}):
        with pytest.raises(v.Invalid):
            parsing.parse_add(no_id)


def test_a_flat_error_for_one_id_is_an_item_error_not_a_status() -> None:
    # Symptom 6: "error" here is no status of the order's, and nothing is refunded on it.
    reply = {"status": "error", "message": "Too many requests"}
    assert parsing.parse_statuses(["5"], reply) == {"5": ItemError("Too many requests")}
    assert parsing.parse_statuses(["5"], {"error": "Incorrect order ID"}) == {
        "5": ItemError("Incorrect order ID")
    }
    with pytest.raises(ProviderError):  # for several ids it is the whole call's refusal
        parsing.parse_statuses(["5", "6"], reply)
    with pytest.raises(ProviderError) as refused:  # the account's refusal stays the call's
        parsing.parse_statuses(["5"], {"error": "Invalid API key"})
    assert refused.value.account_issue is AccountIssue.INVALID_KEY
    # "Error" with the order's figures is the panel's word for a failed order.
    failed = parsing.parse_statuses(["5"], {"status": "Error", "charge": "0", "remains": "10"})
    assert failed["5"].status is OrderStatus.FAILED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Inprogress", OrderStatus.IN_PROGRESS),
        ("In Progress", OrderStatus.IN_PROGRESS),
        ("Cancelled", OrderStatus.CANCELED),
        ("Refunded", OrderStatus.REFUNDED),
        ("Expired", OrderStatus.EXPIRED),
        ("Fail", OrderStatus.FAILED),
        ("Error", OrderStatus.FAILED),
        ("Complete", OrderStatus.COMPLETED),
    ],
)
def test_status_spellings_of_the_dialects(raw: str, expected: OrderStatus) -> None:
    assert OrderStatus.parse(raw) is expected
    assert expected.finished or expected is OrderStatus.IN_PROGRESS


def test_partial_without_remains_is_refused_by_the_validator() -> None:
    for item in ({"status": "Partial"}, {"status": "Partial", "remains": "-20"}):
        result = parsing.parse_statuses(["1"], {"1": item})["1"]
        assert isinstance(result, ItemError) and result.malformed


def test_placeholders_are_missing_values_not_errors() -> None:
    item = {"status": "processing", "remains": "Unknown", "start_count": "", "charge": "N/A"}
    state = parsing.parse_statuses(["1"], {"1": item})["1"]
    assert isinstance(state, OrderState)
    assert (state.remains, state.start_count, state.charge) == (None, None, None)


# --- cancel answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        1,
        True,
        "1",
        {"status": "Success"},
        {"cancel": {"status": "Success"}},
        {"cancel": 1},
        {"cancel": "true"},
        [{"order": 9, "cancel": 1}],
        [{"order": "9", "cancel": {"status": "success"}}],
        {"order": 9, "cancel": True},
        {"9": 1},
    ],
)
def test_every_yes_to_a_cancel(answer: object) -> None:
    # Symptom 9: {"cancel": {"status": "Success"}} is a yes, not "the provider declined".
    assert parsing.parse_cancels(["9"], answer)["9"].accepted


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ([{"order": 9, "cancel": {"error": "Incorrect order ID"}}], "Incorrect order ID"),
        ({"error": "Order is already finished"}, "Order is already finished"),
        ({"cancel": {"error": "Cancel is disabled"}}, "Cancel is disabled"),
        ([{"order": 9, "cancel": "Not cancellable"}], "Not cancellable"),
        (0, "not accepted"),
    ],
)
def test_every_no_to_a_cancel(answer: object, error: str) -> None:
    result = parsing.parse_cancels(["9"], answer)["9"]
    assert not result.accepted and result.error == error


# --- bodies ------------------------------------------------------------------------------


def test_json_after_php_notices_and_before_html_is_used() -> None:
    # Symptom 11: the panel placed the order; its reply began with "Deprecated: ..." lines.
    body = (
        b"<br />\n<b>Deprecated</b>:  Function x() is deprecated in <b>/var/www/api.php</b>"
        b" on line <b>7</b><br />\n"
        b'{"order": 23501}'
        b"\n<!-- generated in 0.01s --><b>Warning</b>: something [1] else"
    )
    decoded = v.decode(body)
    assert decoded.value == {"order": 23501} and decoded.noise
    assert parsing.parse_add(decoded.value).order_id == "23501"
    nested = v.decode(b'Notice: x\n{"1": {"status": "Completed"}, "2": [1, 2]}')
    assert nested.value == {"1": {"status": "Completed"}, "2": [1, 2]}  # not an inner part
    assert v.decode(b'\xef\xbb\xbf{"balance": "1"}').value == {"balance": "1"}  # a BOM
    # print_r output in the noise ("[0] => 1") is JSON too, but not what the panel meant.
    listing = v.decode(b'[{"service": 1}]\nArray\n(\n    [0] => 1\n)\n')
    assert listing.value == [{"service": 1}]
    assert v.decode(b'{"error": "retry"}\nNotice: x\n{"order": 5}').value == {"order": 5}
    with pytest.raises(v.NotJson):
        v.decode(b"<html><body>Just a moment...</body></html>")


# --- classification and people's numbers -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("Invalid API key", AccountIssue.INVALID_KEY),
        ("API key is disabled", AccountIssue.INVALID_KEY),
        ("Your IP is not allowed", AccountIssue.IP_NOT_ALLOWED),
        ("IP address 1.2.3.4 is not whitelisted", AccountIssue.IP_NOT_ALLOWED),
        ("API access is disabled for this account", AccountIssue.API_DISABLED),
        ("Not enough funds on balance", AccountIssue.NO_FUNDS),
        ("Insufficient balance", AccountIssue.NO_FUNDS),
        ("Incorrect order ID", None),
        ("Incorrect link", None),
        ("Invalid keywords", None),
        ("Quantity less than minimal 50", None),
        ("You have active order with this link", None),
    ],
)
def test_account_level_refusals_are_told_apart(text: str, issue: AccountIssue | None) -> None:
    assert account_issue(text) is issue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17", 17),
        (" 0017 ", 17),
        ("9223372036854775807", MAX_INT64),
        ("9223372036854775808", None),
        ("99999999999999999999", None),
        ("²", None),
        ("1000²", None),
        ("١٢", None),
        ("-5", None),
        ("+5", None),
        ("1e3", None),
        ("", None),
        ("1" * 100, None),
    ],
)
def test_people_s_whole_numbers_are_ascii_and_bounded(text: str, expected: int | None) -> None:
    assert parse_whole(text) == expected
