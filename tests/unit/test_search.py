"""The search rules, pure: words, stems, synonyms, one typo, ranking."""

from __future__ import annotations

import pytest

from bot.shop.search import index_of, parse_query, rank
from bot.shop.search.synonyms import synonyms
from bot.shop.search.tokens import stem, words
from bot.shop.search.typos import close, one_edit


def test_words_are_folded_and_split() -> None:
    assert words("Instagram Followers [Max 1K] ♻️ 30D — Ёлка") == [
        "instagram",
        "followers",
        "max",
        "1k",
        "30d",
        "елка",
    ]
    assert words("x" * 40 + " ok") == ["ok"]  # an overlong "word" is noise


@pytest.mark.parametrize(
    ("forms", "common"),
    [
        (("followers", "follower"), "follower"),
        (("likes", "like"), "like"),
        (("replies", "reply"), "reply"),
        (("views", "view"), "view"),
        (("лайк", "лайки", "лайков", "лайками"), "лайк"),
        (("подписчик", "подписчики", "подписчиков"), "подписчик"),
        (("просмотр", "просмотры", "просмотров"), "просмотр"),
    ],
)
def test_forms_of_a_word_meet(forms: tuple[str, ...], common: str) -> None:
    assert {stem(form) for form in forms} == {common}


def test_short_and_digit_words_keep_their_shape() -> None:
    assert stem("1000") == "1000" and stem("hq") == "hq" and stem("plus") == "plus"


def test_russian_synonyms() -> None:
    assert synonyms("подписчики", "ru") == ["followers", "subscribers"]
    assert synonyms("лайков", "ru") == ["likes"]
    assert synonyms("репосты", "ru") == ["shares", "reposts", "retweets"]
    assert synonyms("инстаграм", "ru") == ["instagram"]
    assert synonyms("тг", "ru") == ["telegram"] and synonyms("тгк", "ru") == []  # short: whole
    assert synonyms("ig", "ru") == ["instagram"]  # other tables still apply
    assert synonyms("cats", "en") == []


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("folowers", "followers", True),  # a letter missing
        ("followeres", "followers", True),  # one extra
        ("follwoers", "followers", True),  # two swapped
        ("fallowers", "followers", True),  # one wrong
        ("flowers", "followers", False),  # two missing
        ("like", "line", False),  # too short for a typo
        ("views", "views", True),
    ],
)
def test_one_typo(a: str, b: str, near: bool) -> None:
    assert close(a, b) is near
    assert one_edit(a, b) is (near or a == "like")


INDEX = index_of(
    (
        (1, "Instagram Followers [HQ]", "Instagram Followers", "Instagram"),
        (2, "Instagram Likes", "Instagram Likes", "Instagram"),
        (3, "Instagram Likes Package [100 Likes]", "Instagram Packages", "Instagram"),
        (4, "TikTok Followers", "TikTok Followers", "TikTok"),
        (5, "Twitter Followers", "Twitter Followers", "X/Twitter"),
        (6, "Telegram Channel Members", "Telegram Members", "Telegram"),
    )
)


@pytest.mark.parametrize(
    ("query", "locale", "found"),
    [
        ("followers", "en", [1, 4, 5]),
        ("FOLOWERS", "en", [1, 4, 5]),
        ("подписчики", "ru", [1, 4, 5]),
        ("подписчики тикток", "ru", [4]),
        ("участники телеграм", "ru", [6]),
        ("insta likes", "en", [2, 3]),  # the beginning of a word
        ("instagram likes package", "en", [3, 2]),  # all three words first, then two
        ("likes for instagram", "en", [2, 3]),  # "for" says nothing
        ("cats", "en", []),
        ("", "en", []),
        ("#1", "en", []),  # an id is looked up before, not here
    ],
)
def test_ranking(query: str, locale: str, found: list[int]) -> None:
    assert rank(parse_query(query, locale), INDEX) == found


def test_a_query_is_bounded() -> None:
    query = parse_query(" ".join(f"word{i}" for i in range(50)), "en")
    assert len(query.terms) == 5
    assert not parse_query("a b c", "en")
