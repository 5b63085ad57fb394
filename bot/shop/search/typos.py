"""One slip of the finger: a letter missing, extra, wrong or two swapped."""

from __future__ import annotations

TYPO_MIN = 5  # shorter words must be exact: one edit turns "like" into "line"


def one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by at most one insertion, deletion, substitution or
    swap of neighbours (a bounded Damerau-Levenshtein check, linear in the length)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1 :] == b[i + 1 :]:
            return True  # one substitution
        return i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    return a[i:] == b[i + 1 :]  # one insertion into `a`


def close(word: str, other: str) -> bool:
    """The same word up to one typo, for words of TYPO_MIN letters or more."""
    if word == other:
        return True
    return min(len(word), len(other)) >= TYPO_MIN and one_edit(word, other)
