"""One validator for everything a panel says, before anything else looks at it.

Panels are PHP programs of every age and quality: numbers arrive as JSON numbers or as
text, error keys are sometimes present with `null` in them, JSON comes wrapped in PHP
notices or HTML, and a nine-character number ("1e400000") can cost minutes of CPU when
turned into an integer. The rules here:

* a number is a JSON number or plain decimal text (`-12`, `0.27819`, no exponent) of at
  most MAX_NUMBER_TEXT characters; ids and counts are whole and fit a signed 64-bit
  integer; money is below MONEY_CEILING with any number of decimals (the money rules
  round it later);
* an error key holding `null`, `""`, `0`, `false` (or "0", "null", "false") is no error;
  `{"status": "error", "message": ...}` without any order figures is an error;
* a body that is not JSON as a whole yields its last complete JSON object (or array of
  objects or arrays) -- PHP notices before it, HTML after it -- found with work bounded
  by the body's length; `[0]` and the like in the noise (print_r output) lose to it.

Every check raises `Invalid` with a short reason; the parsing layer turns it into an item
error for one order or service, or a `BadReply` for the whole call. Nothing here costs
more than a few passes over its input.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.numbers import MAX_INT64

MAX_NUMBER_TEXT = 40  # characters of a number sent as text
MONEY_CEILING = Decimal(10) ** 12  # panel amounts at or above this are nonsense
MAX_TEXT = 300  # characters kept of a panel's message
MAX_STATUS_TEXT = 64  # characters of a status word

_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_CURRENCY = re.compile(r"[A-Za-z]{1,8}")
# Words panels put in an error key to say "no error".
_NO_ERROR_WORDS = frozenset({"", "0", "false", "null", "none", "no"})
# A flat object whose status is one of these, without order figures, is an error reply.
_ERROR_STATUSES = frozenset({"error", "fail", "failed", "false"})
_FIGURES = ("charge", "remains", "start_count", "posts")
_MESSAGE_KEYS = ("error", "message", "msg", "description", "text", "reason", "errors")


class Invalid(Exception):
    """A value of the wrong shape or out of bounds; `str()` says which and why."""


# --- numbers ------------------------------------------------------------------------


def number(value: Any, what: str) -> Decimal:
    """A finite Decimal from a JSON number or plain decimal text, bounded in size."""
    if isinstance(value, bool) or value is None:
        raise Invalid(f"{what}: not a number")
    if isinstance(value, int):
        if not -MAX_INT64 <= value <= MAX_INT64:
            raise Invalid(f"{what}: out of range")
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_INT64:
            raise Invalid(f"{what}: out of range")
        # repr is the shortest text that reads back as the same float: "0.27819".
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_TEXT or not _PLAIN_NUMBER.fullmatch(text):
            raise Invalid(f"{what}: not a plain number")
        return Decimal(text)
    raise Invalid(f"{what}: not a number")


def whole(value: Any, what: str, *, low: int = 0, high: int = MAX_INT64) -> int:
    """A whole number (`12`, `"12"`, `12.0`) within low..high (a signed 64-bit range)."""
    if isinstance(value, int) and not isinstance(value, bool):
        result = value
    else:
        amount = number(value, what)
        if amount != amount.to_integral_value():
            raise Invalid(f"{what}: not a whole number")
        result = int(amount)  # bounded: at most MAX_NUMBER_TEXT digits or a float
    if not low <= result <= high:
        raise Invalid(f"{what}: {result} outside {low}..{high}")
    return result


def _absent(value: Any) -> bool:
    """No value: missing, null, empty text, or a word with no digit in it ("Unknown")."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return not text or (len(text) <= 32 and not any("0" <= ch <= "9" for ch in text))
    return False


def optional_whole(value: Any, what: str, *, low: int = 0, high: int = MAX_INT64) -> int | None:
    return None if _absent(value) else whole(value, what, low=low, high=high)


def money(value: Any, what: str, *, signed: bool = False) -> Decimal:
    """An amount below MONEY_CEILING (not negative unless `signed`), any decimals."""
    amount = number(value, what)
    if abs(amount) >= MONEY_CEILING:
        raise Invalid(f"{what}: out of range")
    if amount < 0 and not signed:
        raise Invalid(f"{what}: negative")
    return amount


def optional_money(value: Any, what: str) -> Decimal | None:
    return None if _absent(value) else money(value, what)


# --- ids, flags, texts -----------------------------------------------------------------


def panel_id(value: Any, what: str = "id") -> str:
    """A panel's order, refill or service id: a whole number 1..2^63-1, kept as text."""
    if isinstance(value, bool) or value is None:
        raise Invalid(f"{what}: missing")
    if isinstance(value, str) and not value.strip():
        raise Invalid(f"{what}: missing")
    return str(whole(value, what, low=1))


def flag(value: Any) -> bool:
    """Panels send true/false, 1/0, "1"/"0", "true"; anything else (missing) is false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().casefold() in {"1", "true", "yes", "on"}
    return False


_DURATION_PART = re.compile(
    r"(\d{1,6})\s*(d|days?|h|hrs?|hours?|m|mins?|minutes?)\b", re.IGNORECASE
)
_UNIT_MINUTES = {"d": 1440, "h": 60, "m": 1}
MAX_DURATION_MINUTES = 90 * 1440  # longer than any service takes: nonsense beyond it


def duration_minutes(value: Any) -> int | None:
    """A panel's "average time" in minutes: a number (minutes), or text such as
    "2 hours 15 minutes", "1 day", "45 min"; None for anything else (never raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        total = int(value) if value == value and abs(value) < 10**9 else 0
    elif isinstance(value, str) and len(value) <= 100:
        stripped = value.strip()
        if stripped.isascii() and stripped.isdigit():
            total = int(stripped)
        else:
            total = sum(
                int(count) * _UNIT_MINUTES[unit[0].lower()]
                for count, unit in _DURATION_PART.findall(stripped)
            )
    else:
        return None
    return total if 0 < total <= MAX_DURATION_MINUTES else None


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """A string value, stripped and cut to `limit`; "" for anything else."""
    return value.strip()[:limit] if isinstance(value, str) else ""


def status_word(value: Any, what: str = "status") -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid(f"{what}: not a word")
    word = str(value).strip() if isinstance(value, str) else str(value)
    if not word or len(word) > MAX_STATUS_TEXT:
        raise Invalid(f"{what}: empty or too long")
    return word


def currency(value: Any) -> str | None:
    code = value.strip() if isinstance(value, str) else ""
    return code.upper() if _CURRENCY.fullmatch(code) else None


# --- errors -------------------------------------------------------------------------


def _message(value: Any, depth: int = 0) -> str | None:
    """The words of an error value: a string, or a string inside an object or list."""
    if isinstance(value, str):
        words = value.strip()
        return None if words.casefold() in _NO_ERROR_WORDS else words[:MAX_TEXT]
    if depth >= 3:
        return None
    if isinstance(value, Mapping):
        for key in _MESSAGE_KEYS:
            if key in value and (found := _message(value[key], depth + 1)):
                return found
        return None
    if isinstance(value, list):
        for item in value[:5]:
            if found := _message(item, depth + 1):
                return found
    return None


def no_error(value: Any) -> bool:
    """An error key's value that means "no error"."""
    if value is None or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str):
        return value.strip().casefold() in _NO_ERROR_WORDS
    if isinstance(value, list | Mapping):
        return not value
    return False


def error_text(value: Any) -> str | None:
    """The panel's error message when `value` (a whole reply or one item) is an error.

    `{"error": <real error>}`; or a flat `{"status": "error", "message": ...}` without
    order figures; or `{"success": false, ...}`. None for anything else, including
    `{"error": null}` and friends.
    """
    if not isinstance(value, Mapping):
        return None
    if "error" in value and not no_error(value["error"]):
        return _message(value["error"]) or _message(value) or "unspecified error"
    status = value.get("status")
    if (
        isinstance(status, str)
        and status.strip().casefold() in _ERROR_STATUSES
        and not any(value.get(key) is not None for key in _FIGURES)
    ):
        return _message({k: v for k, v in value.items() if k != "status"}) or status.strip()
    if value.get("success") is False:
        return _message(value) or "unspecified error"
    return None


# --- bodies -------------------------------------------------------------------------

MAX_SALVAGE_ATTEMPTS = 4096


@dataclass(frozen=True, slots=True)
class Decoded:
    value: Any
    noise: str | None = None  # a sample of what surrounded the JSON, when salvaged
    attempts: int = 0  # JSON values tried while salvaging
    scanned: int = 0  # characters the salvage read, at most a few times the body


class NotJson(Exception):
    """No JSON value in the body."""

    def __init__(self, sample: str) -> None:
        super().__init__(sample)
        self.sample = sample


def decode(body: bytes) -> Decoded:
    """The body's JSON value; when the body is JSON wrapped in other text (PHP notices,
    warnings, HTML), its last complete object or array, with a sample of the noise."""
    raw = body.decode("utf-8", "replace").lstrip("\ufeff")
    try:
        return Decoded(json.loads(raw))
    except (ValueError, RecursionError):
        pass
    found, attempts, scanned = _salvage(raw)
    if found is None:
        raise NotJson(raw[:80])
    value, start, end = found
    noise = (raw[:start].strip() + " … " + raw[end:].strip()).strip(" …")
    return Decoded(value, noise[:120] or None, attempts, scanned)


def _rich(value: Any) -> bool:
    """An object, or an array holding objects or arrays: what API replies look like."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(isinstance(item, dict | list) for item in value)


def _salvage(raw: str) -> tuple[tuple[Any, int, int] | None, int, int]:
    """Left to right over the `{` and `[` of the text: each complete JSON value found is
    skipped over whole (its inner brackets are not tried again); the last object (or
    array of containers) wins, else the last value. A failed try costs the characters it
    read; the total is capped at a few passes."""
    decoder = json.JSONDecoder()
    size = len(raw)
    budget = 4 * size + 4096
    found: tuple[Any, int, int] | None = None
    found_rich: tuple[Any, int, int] | None = None
    attempts = scanned = 0
    pos = 0
    next_brace = raw.find("{")
    next_bracket = raw.find("[")
    while attempts < MAX_SALVAGE_ATTEMPTS and scanned < budget:
        if 0 <= next_brace < pos:
            next_brace = raw.find("{", pos)
        if 0 <= next_bracket < pos:
            next_bracket = raw.find("[", pos)
        starts = [i for i in (next_brace, next_bracket) if i >= 0]
        if not starts:
            break
        start = min(starts)
        attempts += 1
        try:
            value, end = decoder.raw_decode(raw, start)
        except json.JSONDecodeError as exc:
            scanned += max(exc.pos - start, 0) + 1
            pos = start + 1
            continue
        except (ValueError, RecursionError):
            scanned += size - start
            pos = start + 1
            continue
        scanned += end - start
        found = (value, start, end)
        if _rich(value):
            found_rich = found
        pos = end
    return found_rich or found, attempts, scanned


__all__ = [
    "MAX_NUMBER_TEXT",
    "MONEY_CEILING",
    "Decoded",
    "Invalid",
    "NotJson",
    "currency",
    "decode",
    "error_text",
    "flag",
    "money",
    "no_error",
    "number",
    "optional_money",
    "optional_whole",
    "panel_id",
    "status_word",
    "text",
    "whole",
]
