"""The one formatter: every value is escaped unless it is Markup; errors find their words
by type."""

from __future__ import annotations

import pytest

from bot.shop.errors import InvalidAmount, NotFound, ShopError
from bot.texts.format import Markup, bold, code, error_text, fmt, join, trusted


def test_every_value_is_escaped_and_the_template_is_not() -> None:
    text = fmt("<b>{name}</b> paid {amount}", name="<Tom & Jerry>", amount=5)
    assert text == "<b>&lt;Tom &amp; Jerry&gt;</b> paid 5"
    assert isinstance(text, Markup)


def test_markup_goes_in_as_it_is_and_once() -> None:
    inner = fmt("{name}", name="a<b")
    assert fmt("<i>{x}</i>", x=inner) == "<i>a&lt;b</i>"
    assert fmt("{x}", x=trusted("<code>1</code>")) == "<code>1</code>"
    assert fmt("{x} {y}", x=bold("<1>"), y=code("&")) == "<b>&lt;1&gt;</b> <code>&amp;</code>"


def test_join_escapes_each_part_but_not_markup() -> None:
    assert join(" ", ["<a>", code(7)]) == "&lt;a&gt; <code>7</code>"


def test_error_text_takes_the_most_specific_entry() -> None:
    table = {
        ShopError: lambda e, c: "generic",
        InvalidAmount: lambda e, c: f"amount in {c}",
    }
    assert error_text(table, InvalidAmount("x"), "USD") == "amount in USD"
    assert error_text(table, NotFound("user", 1), "USD") == "generic"
    with pytest.raises(LookupError):
        error_text({InvalidAmount: lambda e, c: ""}, NotFound("user", 1), "USD")
