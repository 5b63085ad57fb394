"""Typed `add` requests are validated before anything is sent."""

from datetime import date

import pytest

from bot.provider.models import ServiceType
from bot.provider.requests import (
    REQUEST_TYPES,
    CustomCommentsAdd,
    DefaultAdd,
    InvalidRequest,
    SubscriptionsAdd,
)


def test_every_service_type_has_a_request() -> None:
    assert set(REQUEST_TYPES) == set(ServiceType)


def test_default_with_dripfeed() -> None:
    form = DefaultAdd("1", link="https://x.com/a", quantity=100, runs=5, interval=30).form()
    assert form == {
        "service": "1",
        "link": "https://x.com/a",
        "quantity": "100",
        "runs": "5",
        "interval": "30",
    }
    with pytest.raises(InvalidRequest) as info:
        DefaultAdd("1", link="https://x.com/a", quantity=100, runs=5).form()
    assert info.value.field_name == "runs"


@pytest.mark.parametrize("quantity", [0, -5])
def test_quantity_must_be_positive(quantity: int) -> None:
    with pytest.raises(InvalidRequest):
        DefaultAdd("1", link="https://x.com/a", quantity=quantity).form()


def test_comments_normalised_one_per_line() -> None:
    request = CustomCommentsAdd("2", link="https://x.com/p", comments="nice\r\n\r\n great \n")
    assert request.form()["comments"] == "nice\ngreat"
    assert request.quantity == 2
    with pytest.raises(InvalidRequest):
        CustomCommentsAdd("2", link="https://x.com/p", comments=" \n ").form()


def test_subscriptions_fields() -> None:
    form = SubscriptionsAdd(
        "3", username="bob", min=100, max=200, delay=30, posts=10, expiry=date(2026, 12, 31)
    ).form()
    assert form["expiry"] == "31/12/2026" and form["posts"] == "10" and "old_posts" not in form
    with pytest.raises(InvalidRequest) as info:
        SubscriptionsAdd("3", username="bob", min=100, max=200, delay=7).form()
    assert info.value.field_name == "delay"
    with pytest.raises(InvalidRequest):
        SubscriptionsAdd("3", username="bob", min=300, max=200, delay=0).form()
