"""A query against the catalogue: which services match how many of its words, and in
which order they are shown."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bot.shop.search.synonyms import synonyms
from bot.shop.search.tokens import STOP_WORDS, stem, words
from bot.shop.search.typos import close

MAX_TERMS = 5
MAX_QUERY = 100  # characters read of a query
PREFIX_MIN = 3  # "insta" finds Instagram, "cheap" Cheapest; "ig" must be whole


@dataclass(frozen=True, slots=True)
class Query:
    """Each word of the query as the stems that satisfy it (its own and its synonyms')."""

    terms: tuple[frozenset[str], ...]

    def __bool__(self) -> bool:
        return bool(self.terms)


Row = tuple[int, str, str, str]
"""A service as search reads it: id, name, category, platform (as customers see it)."""


@dataclass(frozen=True, slots=True)
class Index:
    """The catalogue as search reads it: the services' ids in the catalogue's order, and
    for each distinct stem of their names, categories and platforms where it occurs."""

    ids: tuple[int, ...]
    postings: dict[str, tuple[int, ...]]  # stem -> positions in `ids`


@lru_cache(maxsize=4)
def index_of(rows: tuple[Row, ...]) -> Index:
    """The index of these rows, kept per process for the same rows: searches between two
    catalogue syncs read the same rows and do not index them again."""
    postings: dict[str, list[int]] = {}
    for position, (_, name, category, platform) in enumerate(rows):
        for word in text_stems(name) | text_stems(category) | text_stems(platform):
            postings.setdefault(word, []).append(position)
    return Index(tuple(row[0] for row in rows), {w: tuple(p) for w, p in postings.items()})


@lru_cache(maxsize=50_000)
def text_stems(text: str) -> frozenset[str]:
    """The stems of a name, category or platform (the same texts come back often)."""
    return frozenset(stem(w) for w in words(text))


def parse_query(text: str, locale: str) -> Query:
    """Up to MAX_TERMS distinct words of the query that say something, each with its
    synonyms in the customer's language."""
    terms: list[frozenset[str]] = []
    for word in words(text[:MAX_QUERY]):
        if word in STOP_WORDS:
            continue
        term = frozenset([stem(word), *(stem(w) for w in synonyms(word, locale))])
        if term not in terms:
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return Query(tuple(terms))


def matches(term: frozenset[str], have: str) -> bool:
    """A word of the query meets a word of a service: the same stem, the beginning of one
    (three letters or more), or the same word up to one typo (five letters or more)."""
    return any(
        wanted == have
        or (len(wanted) >= PREFIX_MIN and have.startswith(wanted))
        or close(wanted, have)
        for wanted in term
    )


def rank(query: Query, index: Index) -> list[int]:
    """The ids of the services found, best first, ties in the catalogue's order. Found are
    those that match every word; when none does, those that match the most; a query of
    three words or more also shows those that miss one, after them.

    Each word of the query is compared with each distinct word of the catalogue once (a
    few hundred); a service's score adds up from the positions those words list."""
    scores: dict[int, int] = {}
    for term in query.terms:
        positions: set[int] = set()
        for word, listed in index.postings.items():
            if matches(term, word):
                positions.update(listed)
        for position in positions:
            scores[position] = scores.get(position, 0) + 1
    best = max(scores.values(), default=0)
    if best == 0:
        return []
    floor = best if len(query.terms) <= 2 else max(1, best - 1)
    found = sorted((-s, position) for position, s in scores.items() if s >= floor)
    return [index.ids[position] for _, position in found]
