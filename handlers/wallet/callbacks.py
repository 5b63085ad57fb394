"""Callback data of the top-up buttons (prefix "tp")."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.common.callbacks import Count


class TopUpAction(StrEnum):
    STARS = "s"  # a preset: `stars` is the invoice's total
    CUSTOM = "c"  # ask for an amount
    BACK = "b"  # leave the custom amount, back to the presets


class TopUpCD(CallbackData, prefix="tp"):
    action: TopUpAction
    stars: Count = 0
