"""A query against the catalogue: which services match how many of its words, and in
which order they are shown."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Entry:
    """A service as search sees it: its id and the stems of its name, category, platform."""

    id: int
    stems: frozenset[str]

    @classmethod
    def of(cls, service_id: int, *texts: str) -> Entry:
        return cls(service_id, frozenset(stem(w) for text in texts for w in words(text)))


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


def matches(term: frozenset[str], entry: Entry) -> bool:
    """A word of the query is in the service: the same stem, the beginning of one (three
    letters or more), or the same word up to one typo (five letters or more)."""
    for wanted in term:
        if wanted in entry.stems:
            return True
        for have in entry.stems:
            if (len(wanted) >= PREFIX_MIN and have.startswith(wanted)) or close(wanted, have):
                return True
    return False


def score(query: Query, entry: Entry) -> int:
    return sum(matches(term, entry) for term in query.terms)


def rank(query: Query, entries: Iterable[Entry]) -> list[int]:
    """The ids of the services found, best first, ties in the order given (the
    catalogue's). Found are those that match every word; when none does, those that match
    the most; a query of three words or more also shows those that miss one, after them."""
    scored = [(score(query, entry), index, entry.id) for index, entry in enumerate(entries)]
    best = max((s for s, _, _ in scored), default=0)
    if best == 0:
        return []
    floor = best if len(query.terms) <= 2 else max(1, best - 1)
    found = [(-s, index, service_id) for s, index, service_id in scored if s >= floor]
    return [service_id for _, _, service_id in sorted(found)]
