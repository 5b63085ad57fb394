"""Words of a text as search compares them: case-folded, "ё" as "е", split at anything
that is not a letter or a digit, with light stemming of plurals and case endings."""

from __future__ import annotations

import re


def _listed(text: str) -> list[str]:
    return text.split()


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MIN_WORD = 2
MAX_WORD = 32  # longer "words" are noise; bounded before any distance is worked out
# Words of a query that say nothing about a service.
STOP_WORDS = frozenset(
    _listed(
        "for the and of on in to with a an my buy need want "
        "для на в во и с со мне мой моя купить нужно нужны хочу"
    )
)
# Russian endings, longest first: "лайков" -> "лайк", "подписчиками" -> "подписчик".
_RU_ENDINGS = tuple(
    sorted(
        _listed(
            "ами ями ого его ому ему ыми ими иях ях ах ов ев ей ий ый ой ая яя ое ее ые ие ам "
            "ям ом ем ую юю ы и а я у ю е о ь"
        ),
        key=len,
        reverse=True,
    )
)
_MIN_STEM = 3


def words(text: str) -> list[str]:
    """The text's words (case-folded, "ё" read as "е"), each of 2..32 characters."""
    folded = text.casefold().replace("ё", "е")
    return [w for w in _WORD.findall(folded) if MIN_WORD <= len(w) <= MAX_WORD]


def stem(word: str) -> str:
    """A word without its plural or case ending, so that forms of one word meet:
    followers/follower, replies/reply, лайк/лайки/лайков. Words of digits stay as they are."""
    if word.isdigit():
        return word
    if _is_cyrillic(word):
        for ending in _RU_ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
                return word[: -len(ending)]
        return word
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _is_cyrillic(word: str) -> bool:
    return any("а" <= ch <= "я" for ch in word)
