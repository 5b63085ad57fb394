"""The one formatter: every value is escaped unless it is Markup; errors find their words
by type."""

from __future__ import annotations

import pytest

from bot.shop.errors import InvalidAmount, NotFound, ShopError
from bot.texts.format import (
    Markup,
    bold,
    code,
    error_text,
    fmt,
    join,
    shorten,
    trusted,
    without_prefix,
)


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


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Instagram Followers", 30, "Instagram Followers"),  # fits: unchanged
        ("Instagram Followers [Max 1K] [Low Drop] [HQ]", 30, "Instagram Followers [Max 1K]…"),
        ("Real Followers from the United States", 20, "Real Followers from…"),
        ("Followers - Real - Fast delivery", 21, "Followers - Real…"),  # no dangling "-"
        ("Likes [♻️ 30D] [Instant] 🔥 [Non Drop]", 22, "Likes [♻️ 30D]…"),
        ("Views (Reels) (Fast start) extra", 21, "Views (Reels)…"),  # no open bracket left
        ("Supercalifragilisticexpialidocious views", 12, "Supercalifr…"),  # one long word
        ("  lots   of   space  ", 30, "lots of space"),
    ],
)
def test_shorten_cuts_at_a_word_with_an_ellipsis(text: str, limit: int, expected: str) -> None:
    result = shorten(text, limit)
    assert result == expected
    assert len(result) <= limit


def test_shorten_never_exceeds_the_limit() -> None:
    text = "Instagram Followers [Max 1K] [Low Drop] [♻️ 30 days] ⚡ (fast) - HQ | USA"
    for limit in range(1, len(text) + 2):
        cut = shorten(text, limit)
        assert len(cut) <= limit
        assert cut == text or cut.endswith("…")


@pytest.mark.parametrize(
    ("name", "prefixes", "expected"),
    [
        (
            "Instagram Followers [Max 1K] [Low Drop]",
            ("Instagram Followers",),
            "[Max 1K] [Low Drop]",
        ),
        ("Instagram Reels Views [HQ]", ("Instagram Views", "Instagram"), "Reels Views [HQ]"),
        ("TikTok Likes - Fast", ("TikTok Likes",), "Fast"),
        ("Instagram Followers", ("Instagram Followers",), "Instagram Followers"),  # all: kept
        (
            "Google Keyword Traffic",
            ("Website Traffic", "Website Traffic"),
            "Google Keyword Traffic",
        ),
        ("instagram: followers HQ", ("Instagram",), "followers HQ"),
    ],
)
def test_without_prefix_drops_the_repeated_category(
    name: str, prefixes: tuple[str, ...], expected: str
) -> None:
    assert without_prefix(name, *prefixes) == expected
