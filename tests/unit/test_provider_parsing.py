"""Replies of every quirk shape that real panels send, parsed into typed results."""

from decimal import Decimal

import pytest

from bot.provider import parsing
from bot.provider.errors import ProviderError, ProviderUnavailable
from bot.provider.models import ItemError, OrderStatus, RefillStatus, ServiceType


def test_services_canonical_and_quirky_fields() -> None:
    data = [
        {
            "service": 1,
            "name": "Followers",
            "type": "Default",
            "category": "First Category",
            "rate": "0.90",
            "min": "50",
            "max": "10000",
            "refill": True,
            "cancel": True,
        },
        {
            "service": "2",
            "name": "Comments",
            "type": "Custom Comments",
            "category": "Second",
            "rate": 8,
            "min": 10,
            "max": 1500,
            "desc": "Real-looking comments",
        },
        {
            "service": 3,
            "name": "Weird",
            "type": "Web Traffic Geo",
            "category": "Traffic",
            "rate": "0.0125",
            "min": "100",
            "max": "1000000",
            "refill": "1",
            "dripfeed": 1,
            "description": "Geo traffic",
        },
    ]
    first, second, third = parsing.parse_services(data)
    assert first.service_id == "1" and first.rate == Decimal("0.90") and first.refill
    assert first.type is ServiceType.DEFAULT and first.min == 50 and first.max == 10000
    assert second.service_id == "2" and not second.refill and not second.cancel
    assert second.type is ServiceType.CUSTOM_COMMENTS and second.description.startswith("Real")
    assert third.type is None and not third.supported and third.type_name == "Web Traffic Geo"
    assert third.refill and third.dripfeed and third.rate == Decimal("0.0125")


@pytest.mark.parametrize(
    "body", [{"status": "success", "data": "Empty Data"}, [], {"data": []}, {"data": None}]
)
def test_empty_catalogue_shapes(body: object) -> None:
    assert parsing.parse_services(body).services == ()


def test_one_broken_service_does_not_hide_the_catalogue() -> None:
    data = [
        {"service": 1, "rate": "abc", "min": 1, "max": 2},
        {"service": 2, "name": "Ok", "rate": "1", "min": 1, "max": 2},
    ]
    listing = parsing.parse_services(data)
    assert [s.service_id for s in listing] == ["2"] and listing.skipped == 1


@pytest.mark.parametrize("body", [[{"rate": "abc"}], "text", 42, {"data": {"x": 1}}])
def test_unreadable_catalogue_is_unavailable(body: object) -> None:
    with pytest.raises(ProviderUnavailable):
        parsing.parse_services(body)


def test_services_error_reply() -> None:
    with pytest.raises(ProviderError) as info:
        parsing.parse_services({"error": "Invalid API key"})
    assert info.value.text == "Invalid API key"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Pending", OrderStatus.PENDING),
        ("In progress", OrderStatus.IN_PROGRESS),
        ("In Progress", OrderStatus.IN_PROGRESS),
        ("Inprogress", OrderStatus.IN_PROGRESS),
        ("in_progress", OrderStatus.IN_PROGRESS),
        ("Processing", OrderStatus.PROCESSING),
        ("Completed", OrderStatus.COMPLETED),
        ("Partial", OrderStatus.PARTIAL),
        ("Canceled", OrderStatus.CANCELED),
        ("Cancelled", OrderStatus.CANCELED),
        ("Refunded", OrderStatus.REFUNDED),
        ("Active", OrderStatus.ACTIVE),
        ("Fail", OrderStatus.FAILED),
        ("Error", OrderStatus.FAILED),
        ("Teleported", OrderStatus.UNRECOGNISED),
    ],
)
def test_status_spellings(raw: str, expected: OrderStatus) -> None:
    assert OrderStatus.parse(raw) is expected


def test_single_status_numbers_as_strings_or_numbers() -> None:
    a = parsing.parse_status(
        "7",
        {
            "charge": "0.27819",
            "start_count": "3572",
            "status": "Partial",
            "remains": "157",
            "currency": "USD",
        },
    )
    b = parsing.parse_status(
        "7",
        {
            "charge": 0.27819,
            "start_count": 3572,
            "status": "Partial",
            "remains": 157,
            "currency": "USD",
        },
    )
    assert a == b
    assert a.charge == Decimal("0.27819") and a.remains == 157 and a.start_count == 3572


def test_status_with_empty_optional_fields() -> None:
    state = parsing.parse_status("1", {"status": "Pending", "charge": "", "start_count": None})
    assert state.charge is None and state.start_count is None and state.remains is None


def test_multi_status_item_errors_as_objects_or_bare_strings() -> None:
    reply = {
        "1": {
            "charge": "0.27",
            "start_count": "3",
            "status": "Completed",
            "remains": "0",
            "currency": "USD",
        },
        "10": {"error": "Incorrect order ID"},
        "11": "Incorrect order ID",
        12: {"status": "In progress", "remains": 5},
    }
    result = parsing.parse_statuses(["1", "10", "11", "12", "13"], reply)
    assert result["1"].status is OrderStatus.COMPLETED  # type: ignore[union-attr]
    assert result["10"] == ItemError("Incorrect order ID")
    assert result["11"] == ItemError("Incorrect order ID")
    assert result["12"].remains == 5  # type: ignore[union-attr]
    assert isinstance(result["13"], ItemError)  # asked for, missing from the reply


def test_multi_status_single_id_flat_object() -> None:
    result = parsing.parse_statuses(["5"], {"status": "Pending", "charge": "1.0"})
    assert result["5"].status is OrderStatus.PENDING  # type: ignore[union-attr]


def test_multi_status_whole_call_error() -> None:
    with pytest.raises(ProviderError):
        parsing.parse_statuses(["1", "2"], {"error": "Incorrect request"})


@pytest.mark.parametrize("body", [[1, 2], "Completed", None, 3.5])
def test_multi_status_nonsense_is_unavailable(body: object) -> None:
    with pytest.raises(ProviderUnavailable):
        parsing.parse_statuses(["1", "2"], body)


def test_add_reply() -> None:
    assert parsing.parse_add({"order": 23501}).order_id == "23501"
    assert parsing.parse_add({"order": "23501"}).order_id == "23501"
    with pytest.raises(ProviderError) as info:
        parsing.parse_add({"error": "Quantity less than minimal 50"})
    assert info.value.text == "Quantity less than minimal 50"
    with pytest.raises(parsing.MalformedReply):
        parsing.parse_add({"status": "ok"})


def test_refills_and_refill_statuses() -> None:
    created = parsing.parse_refills(
        ["1", "3"], [{"order": 1, "refill": 1}, {"order": "3", "refill": {"error": "Incorrect"}}]
    )
    assert created["1"].refill_id == "1"  # type: ignore[union-attr]
    assert created["3"] == ItemError("Incorrect")
    states = parsing.parse_refill_statuses(
        ["1", "3", "4"],
        [
            {"refill": 1, "status": "Completed"},
            {"refill": 3, "status": {"error": "Refill not found"}},
            {"refill": "4", "status": "Rejected"},
        ],
    )
    assert states["1"].status is RefillStatus.COMPLETED  # type: ignore[union-attr]
    assert states["3"] == ItemError("Refill not found")
    assert states["4"].status is RefillStatus.REJECTED  # type: ignore[union-attr]
    assert parsing.parse_refill("9", {"refill": "1"}).refill_id == "1"
    assert parsing.parse_refill_status("1", {"status": "In progress"}).status is (
        RefillStatus.IN_PROGRESS
    )


def test_cancels() -> None:
    result = parsing.parse_cancels(
        ["9", "2", "4"],
        [
            {"order": 9, "cancel": {"error": "Incorrect order ID"}},
            {"order": 2, "cancel": 1},
            {"order": 4, "cancel": "Not cancellable"},
        ],
    )
    assert not result["9"].accepted and result["9"].error == "Incorrect order ID"
    assert result["2"].accepted
    assert not result["4"].accepted and result["4"].error == "Not cancellable"


def test_balance() -> None:
    assert parsing.parse_balance({"balance": "100.84292", "currency": "USD"}).balance == Decimal(
        "100.84292"
    )
    with pytest.raises(ProviderUnavailable):
        parsing.parse_balance({"balance": "abc"})
    with pytest.raises(ProviderUnavailable):
        parsing.parse_balance(["100"])


def test_service_type_spellings() -> None:
    assert ServiceType.parse("custom comments package") is ServiceType.CUSTOM_COMMENTS_PACKAGE
    assert ServiceType.parse("Mentions_with_Hashtags") is ServiceType.MENTIONS_WITH_HASHTAGS
    assert ServiceType.parse("Something new") is None
