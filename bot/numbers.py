"""Whole numbers typed by people or sent by panels: ASCII digits only, always bounded.

`str.isdigit()` accepts "²", "١٢" and other digits that `int()` then refuses or reads as
something else, and `int()` of a long text costs time: every whole number the bot reads
goes through `parse_whole`, which looks at a bounded text and never raises.
"""

from __future__ import annotations

import re

MAX_INT64 = 2**63 - 1  # the largest id or count a BIGINT column holds
MAX_DIGITS = 19  # digits of MAX_INT64
_ASCII_DIGITS = re.compile(r"[0-9]+")  # a str pattern's [0-9] is ASCII only


def parse_whole(text: str, *, low: int = 0, high: int = MAX_INT64) -> int | None:
    """The whole number in `text` (surrounding spaces allowed) if it is ASCII digits and
    within low..high; None otherwise. Leading zeros are allowed, up to a bounded length."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    digits = text.strip()
    if not _ASCII_DIGITS.fullmatch(digits):
        return None
    significant = digits.lstrip("0") or "0"
    if len(significant) > MAX_DIGITS:
        return None
    value = int(significant)
    return value if low <= value <= high else None


def is_whole(text: str, *, low: int = 0, high: int = MAX_INT64) -> bool:
    return parse_whole(text, low=low, high=high) is not None


__all__ = ["MAX_DIGITS", "MAX_INT64", "is_whole", "parse_whole"]
