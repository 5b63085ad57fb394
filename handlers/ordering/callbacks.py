"""Callback data of the order form's buttons (prefix "f")."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.common.callbacks import Small


class FlowAction(StrEnum):
    CANCEL = "x"
    SKIP = "s"
    CHOOSE = "c"  # a value from buttons (the subscription delay)
    CONFIRM = "y"
    TOPUP = "t"


class FlowCD(CallbackData, prefix="f"):
    action: FlowAction
    value: Small = 0
