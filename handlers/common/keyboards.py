"""The keyboard builder every feature uses, and the memory of pure keyboard builders.

aiogram's builder deep-copies the whole keyboard on every button it adds and again on
export (pydantic models, recursively): a catalogue page of ten buttons cost about a
millisecond of copying per update. Buttons are never changed once made, so copying the
rows (the lists) is enough to keep each export independent of the builder.

Browsing shows the same few keyboards over and over (the platforms, a category's page, a
service card), each a pure function of what the catalogue answered and the customer's
language; `remembered` keeps them, so an update builds no button it built before.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, ParamSpec, TypeVar

from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import get_i18n
from aiogram.utils.keyboard import InlineKeyboardBuilder

P = ParamSpec("P")
R = TypeVar("R")

REMEMBERED_PER_BUILDER = 512


class KeyboardBuilder(InlineKeyboardBuilder):
    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]


def _hashable(value: Any) -> Hashable:
    # The catalogue's answers are frozen dataclasses, some holding lists of them.
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    return value


def _language() -> str | None:
    try:
        return get_i18n().current_locale
    except LookupError:  # no i18n in context (a job building a keyboard)
        return None


def remembered(build: Callable[P, R]) -> Callable[P, R]:
    """Keep what the pure keyboard builder `build` made, per language and arguments.

    Only for builders whose result depends on nothing else (no clock, no settings), and
    whose markups nobody changes after (they are shared by every chat they are sent to).
    Arguments that cannot be hashed are built afresh each time.
    """
    made: OrderedDict[Hashable, R] = OrderedDict()

    @functools.wraps(build)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        key = (
            _language(),
            tuple(_hashable(a) for a in args),
            tuple(sorted((k, _hashable(v)) for k, v in kwargs.items())),
        )
        try:
            markup = made.get(key)
        except TypeError:  # an argument that cannot be hashed
            return build(*args, **kwargs)
        if markup is None:
            markup = made[key] = build(*args, **kwargs)
            if len(made) > REMEMBERED_PER_BUILDER:
                made.popitem(last=False)
        else:
            made.move_to_end(key)
        return markup

    return run


__all__ = ["KeyboardBuilder", "remembered"]
