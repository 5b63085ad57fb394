"""Callback data of the order list and an order's card (prefixes "ol", "o")."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from handlers.common.callbacks import Id, Page


class OrdersCD(CallbackData, prefix="ol"):
    page: Page = 0


class OrderAction(StrEnum):
    CARD = "c"
    REFRESH = "r"
    REFILL = "f"
    CANCEL = "x"  # asks to confirm
    CANCEL_YES = "y"


class OrderCD(CallbackData, prefix="o"):
    action: OrderAction
    order_id: Id
    page: Page = 0
