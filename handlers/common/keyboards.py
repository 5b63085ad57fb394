"""The keyboard builder every feature uses: aiogram's, without its copying.

aiogram's builder deep-copies the whole keyboard on every button it adds and again on
export (pydantic models, recursively): a catalogue page of ten buttons cost about a
millisecond of copying per update. Buttons are never changed once made, so copying the
rows (the lists) is enough to keep each export independent of the builder.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder


class KeyboardBuilder(InlineKeyboardBuilder):
    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]


__all__ = ["KeyboardBuilder"]
