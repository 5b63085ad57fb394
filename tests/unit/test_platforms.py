"""Platforms named by the categories themselves, and the admin's renames (pure)."""

from __future__ import annotations

import pytest

from bot.shop.platforms import (
    OTHER,
    clean_name,
    platform_of,
    platform_order,
    renamed,
    reset,
    shown,
    split_rename,
)


@pytest.mark.parametrize(
    ("category", "platform"),
    [
        # well-known ones by their usual spellings
        ("IG Followers [Real]", "Instagram"),
        ("Tik Tok Views", "TikTok"),
        ("X (Twitter) Likes", "X/Twitter"),
        # the others by their own leading words
        ("Kick Followers", "Kick"),
        ("Kick - Live Viewers [Fast]", "Kick"),
        ("kick followers", "Kick"),  # a word in lower case gets a capital
        ("Snapchat Story Views [Fast]", "Snapchat"),
        ("Snapchat | Followers", "Snapchat"),
        ("Website Traffic", "Website Traffic"),
        ("Website Traffic [Geo Targeted]", "Website Traffic"),
        ("Website Traffic - USA", "Website Traffic"),
        ("Google Reviews", "Google Reviews"),
        ("Google Reviews: Local Guides", "Google Reviews"),
        ("Trustpilot Reviews (Europe)", "Trustpilot Reviews"),
        ("🔥 Kick Followers 🔥", "Kick"),  # decorations are not names
        ("Rumble Views", "Rumble"),
        ("Audiomack Plays [Worldwide]", "Audiomack"),
        ("Clubhouse Followers", "Clubhouse"),
        ("Premium Quora Upvotes", "Quora"),
        ("Apple Music Plays", "Apple Music"),
        ("Very Long Platform Name Here Followers", "Very Long Platform"),  # three words at most
        # nothing names a platform: Other
        ("Followers [Cheap]", OTHER),
        ("Other Services", OTHER),
        ("Misc - Test", OTHER),
        ("🔥🔥🔥", OTHER),
        ("", OTHER),
    ],
)
def test_platform_from_category_names(category: str, platform: str) -> None:
    assert platform_of(category) == platform


def test_other_comes_last_and_well_known_first() -> None:
    names = ["Other", "Kick", "TikTok", "Instagram", "Google Reviews"]
    assert sorted(names, key=lambda n: (platform_order(n), n)) == [
        "Instagram",
        "TikTok",
        "Google Reviews",
        "Kick",
        "Other",
    ]


DERIVED = ["Kick", "Twitch", "Website Traffic", "Instagram"]


def test_rename_merge_and_undo() -> None:
    renames = renamed({}, DERIVED, "kick", "Streaming")
    assert renames == {"Kick": "Streaming"}
    # onto an existing platform (any case): merged, its spelling kept
    renames = renamed(renames, DERIVED, "TWITCH", "streaming")
    assert renames == {"Kick": "Streaming", "Twitch": "Streaming"}
    assert {shown(d, renames) for d in DERIVED} == {"Streaming", "Website Traffic", "Instagram"}
    # renaming the merged platform moves both
    assert renamed(renames, DERIVED, "Streaming", "Live") == {"Kick": "Live", "Twitch": "Live"}
    # a platform renamed to its own name shows as itself again
    assert renamed(renames, DERIVED, "Streaming", "Kick") == {"Twitch": "Kick"}
    assert renamed({"Kick": "Streaming"}, DERIVED, "Streaming", "kick") == {}
    # no such platform
    assert renamed(renames, DERIVED, "Myspace", "Space") is None


def test_reset_and_names() -> None:
    renames = {"Kick": "Streaming", "Twitch": "Streaming", "Website Traffic": "Web"}
    assert reset(renames, "streaming") == {"Website Traffic": "Web"}
    assert reset(renames, "Website Traffic") == {"Kick": "Streaming", "Twitch": "Streaming"}
    assert reset(renames, "Instagram") is None
    assert clean_name("  New   name ") == "New name"
    assert clean_name("") is None and clean_name("x" * 33) is None
    assert clean_name("bad\x00name") is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Kick Streaming", ("Kick", "Streaming")),
        ("Website Traffic Web", ("Website Traffic", "Web")),
        ("website traffic Web Visits", ("website traffic", "Web Visits")),
        ("Unknown Name Here", ("Unknown", "Name Here")),
        ("Kick", None),
        ("", None),
    ],
)
def test_split_rename(text: str, parts: tuple[str, str] | None) -> None:
    assert split_rename(text, DERIVED) == parts
