"""The one way to build message text (parse mode HTML).

`fmt(template, **values)` puts each value into a template written by the program (a
gettext msgid or its translation) and html-escapes every value on the way, unless the
value is `Markup`: HTML already made safe (by `fmt`, `join`, `bold`, `code` or
`trusted`). A forgotten escape cannot happen: the safe way is the only short one.

Plain texts (buttons, invoice titles, toasts) are not HTML: Telegram shows them as they
are, so they are built with `str.format` and never escaped.

`shorten` cuts a plain label (a button) to what a phone shows, at a word, with "…".

`money` and `when` are the one money and the one date formatter of every text (`when`
for operators, exact and in UTC; `day_time` for customers, in their locale through Babel),
`number` writes a count the way the customer's language groups digits, `unit_price` a
price per 1000 with enough decimals to check a total by, and `error_text` looks an error
up in an audience's table of words for errors.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from typing import Any

from aiogram.utils.i18n import I18n
from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import NumberPattern, format_decimal, get_decimal_symbol, get_group_symbol

from bot.shop.money import Micro, format_amount, from_micro, minor_digits

UNIT_PRICE_DIGITS = 4  # 0.7018 per 1000: enough to check that 5,000 cost 3.51


class Markup(str):
    """Text that is safe HTML as it stands; `fmt` and `join` put it in unchanged."""

    __slots__ = ()


def trusted(text: str) -> Markup:
    """Mark HTML that the program wrote itself (never text from a person or a panel)."""
    return Markup(text)


def escape(value: object) -> Markup:
    """The value as safe HTML: Markup as it is, anything else escaped."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value)))


def fmt(template: str, /, **values: object) -> Markup:
    """`template` (trusted HTML) with every value escaped unless it is Markup."""
    return Markup(template.format_map({name: escape(v) for name, v in values.items()}))


def join(separator: str, parts: Iterable[object]) -> Markup:
    """The parts, each escaped unless it is Markup, between copies of `separator`."""
    return Markup(separator.join(escape(part) for part in parts))


def bold(value: object) -> Markup:
    return fmt("<b>{value}</b>", value=value)


def code(value: object) -> Markup:
    return fmt("<code>{value}</code>", value=value)


def money(amount: Micro, currency: str) -> str:
    """An amount with its currency in the reader's locale, "1,012.50 USD" / "1 012,50 USD"
    (plain text: escaped where it is put)."""
    return f"{decimal_text(format_amount(amount, currency))} {currency}"


def decimal_text(plain: str) -> str:
    """A plain decimal ("-1234.50", digits exactly as given) with the locale's grouping
    and decimal sign; the digits themselves are never rounded again."""
    sign, digits = ("-", plain[1:]) if plain.startswith("-") else ("", plain)
    whole, point, fraction = digits.partition(".")
    lang = locale()
    text = _grouped(int(whole), lang)
    if point:
        text += _decimal_symbol(lang) + fraction
    return sign + text


# Babel finds the locale and its number pattern anew on every call (most of its cost);
# the status poller writes thousands of counts and amounts a cycle, in one or two
# languages and often the same few values.
def _grouped(value: int, lang: str) -> str:
    rule = _int_grouping(lang) if value >= 0 else None
    if rule is None:
        return _babel_grouped(value, lang)
    return _group(str(value), *rule)


@lru_cache(maxsize=4096)
def _babel_grouped(value: int, lang: str) -> str:
    found, pattern = _decimal_pattern(lang)
    return format_decimal(value, format=pattern, locale=found)


def _group(digits: str, symbol: str, first: int, rest: int) -> str:
    """`digits` grouped from the right: `first` digits, then `rest` at a time (as Babel
    groups the integer part of a decimal pattern)."""
    if len(digits) <= first:
        return digits
    head, tail = digits[:-first], [digits[-first:]]
    while len(head) > rest:
        head, tail = head[:-rest], [head[-rest:], *tail]
    return symbol.join([head, *tail])


# Counts the cache above rarely holds twice (a poll cycle's start counts are all
# different) are grouped here without Babel's pattern machinery, by the language's
# group symbol and sizes; a language is grouped so only when Babel groups these probes
# exactly the same way, else Babel formats each count.
_GROUPING_PROBES = (0, 7, 12, 999, 1000, 12345, 999999, 1234567, 10**12 + 5, 10**18 + 1)


@lru_cache(maxsize=64)
def _int_grouping(lang: str) -> tuple[str, int, int] | None:
    found, pattern = _decimal_pattern(lang)
    first, rest = pattern.grouping
    rule = (get_group_symbol(found), first, rest)
    if first < 1 or rest < 1:
        return None
    for probe in _GROUPING_PROBES:
        if _group(str(probe), *rule) != format_decimal(probe, format=pattern, locale=found):
            return None
    return rule


@lru_cache(maxsize=64)
def _decimal_pattern(lang: str) -> tuple[Locale, NumberPattern]:
    found = Locale.parse(lang)
    return found, found.decimal_formats[None]


@lru_cache(maxsize=64)
def _decimal_symbol(lang: str) -> str:
    return get_decimal_symbol(lang)


def when(moment: datetime | None) -> str:
    """A moment in UTC, "2026-12-02 06:30 UTC"; "—" when there is none (operators' texts)."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def locale() -> str:
    """The language gettext speaks now (the customer's, inside a handler or `in_language`)."""
    i18n = I18n.get_current(no_error=True)
    return i18n.current_locale if i18n is not None else "en"


def day_time(moment: datetime | None, *, now: datetime | None = None) -> str:
    """A moment as a customer reads it: "Dec 2, 01:16" / "2 дек., 01:16" (the year only
    when it is not this one); "—" when there is none."""
    if moment is None:
        return "—"
    lang = locale()
    this_year = (now or datetime.now(UTC)).year
    day = format_skeleton("MMMd" if moment.year == this_year else "yMMMd", moment, locale=lang)
    return f"{day}, {format_skeleton('Hm', moment, locale=lang)}"


def number(value: int) -> str:
    """A count with the customer's digit grouping: "5,000" / "5 000"."""
    if type(value) is int:  # a bool or a Decimal is not cached as the int it equals
        return _grouped(value, locale())
    return format_decimal(value, locale=locale())


def unit_price(amount: Micro, currency: str) -> str:
    """A price per 1000 (or per order) with the decimals it needs, up to four, rounded up
    so that a total worked out from it is never below the real one: "0.7018 USD"."""
    digits = max(minor_digits(currency), UNIT_PRICE_DIGITS)
    value = from_micro(amount).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_CEILING)
    text = f"{value:f}"
    if "." in text:
        keep = minor_digits(currency)
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0")
        frac = frac + "0" * (keep - len(frac)) if len(frac) < keep else frac
        text = f"{whole}.{frac}" if frac else whole
    return f"{decimal_text(text)} {currency}"


ELLIPSIS = "…"
# Where a label may be cut when no space is near: after these, a new word starts.
_SOFT_BREAKS = "-–—|/,;:·)]"


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: whole when it fits, else cut at the last word
    boundary that leaves room for "…" (mid-word only when a single word is longer than
    half the room), with any dangling separator or opening bracket dropped."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    room = limit - len(ELLIPSIS)
    head = text[: room + 1]  # one more: is the cut right before a space?
    cut = max(head.rfind(" "), *(head.rfind(c, 0, room) + 1 for c in _SOFT_BREAKS))
    if cut < room // 2:  # one long word: cut inside it rather than keep almost nothing
        cut = room
    head = _close_brackets(text[:cut].rstrip(" -–—|/,;:·([{"), room // 2)
    return (head or text[:room]) + ELLIPSIS


def without_prefix(text: str, *prefixes: str) -> str:
    """`text` without the leading words it shares with the longest-matching prefix
    (case-insensitive, whole words, with the separators after them): a service
    "Instagram Followers [HQ]" in the category "Instagram Followers" reads "[HQ]". The
    text as it is when nothing would be left."""
    words = text.split()
    best = 0
    for prefix in prefixes:
        shared = 0
        for mine, theirs in zip(words, prefix.split(), strict=False):
            if _word_key(mine) != _word_key(theirs) or not _word_key(mine):
                break
            shared += 1
        best = max(best, shared)
    rest = " ".join(words[best:]).lstrip(" -–—|/,;:·")
    return rest if rest else " ".join(words)


def _word_key(word: str) -> str:
    return "".join(ch for ch in word.casefold() if ch.isalnum())


def _close_brackets(head: str, keep: int) -> str:
    """`head` without a trailing bracketed part that the cut left open ("Views (Fast"),
    unless dropping it would leave fewer than `keep` characters."""
    for opener, closer in ("()", "[]"):
        start = head.rfind(opener)
        if start > head.rfind(closer):
            shorter = head[:start].rstrip(" -–—|/,;:·")
            if len(shorter) >= keep:
                head = shorter
    return head


ErrorText = Callable[[Any, str], str]
"""The words for one kind of error: (the error, the shop's currency) -> text."""

ErrorTable = Mapping[type[Exception], ErrorText]
"""An audience's words for errors, by the error's type; a flow's table may extend another."""


def error_text(table: ErrorTable, error: Exception, currency: str) -> str:
    """The words of the table for the error's own type, else for the nearest base type it
    has an entry for (every table has one for the base of its errors)."""
    for kind in type(error).__mro__:
        text = table.get(kind)
        if text is not None:
            return text(error, currency)
    raise LookupError(f"no text for {type(error).__name__}")
