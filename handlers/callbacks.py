"""Typed callback data: small, prefixed, never parsed by hand (Telegram allows 64 bytes)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Menu(StrEnum):
    MAIN = "m"
    NEW_ORDER = "n"
    ORDERS = "o"
    BALANCE = "b"
    TOPUP = "t"
    LANGUAGE = "l"
    HELP = "h"


class MenuCD(CallbackData, prefix="m"):
    action: Menu


class CatalogView(StrEnum):
    PLATFORMS = "p"
    CATEGORIES = "c"
    SERVICES = "s"


class CatalogCD(CallbackData, prefix="c"):
    view: CatalogView
    platform: int = -1  # index into the platforms list; -1: none
    category: str = ""  # a short stable hash of the category name
    page: int = 0


class ServiceAction(StrEnum):
    CARD = "c"
    ORDER = "o"


class ServiceCD(CallbackData, prefix="s"):
    action: ServiceAction
    service_id: int
    page: int = 0


class FlowAction(StrEnum):
    CANCEL = "x"
    SKIP = "s"
    CHOOSE = "c"  # a value from buttons (the subscription delay)
    CONFIRM = "y"
    TOPUP = "t"


class FlowCD(CallbackData, prefix="f"):
    action: FlowAction
    value: int = 0


class OrdersCD(CallbackData, prefix="ol"):
    page: int = 0


class OrderAction(StrEnum):
    CARD = "c"
    REFRESH = "r"
    REFILL = "f"
    CANCEL = "x"


class OrderCD(CallbackData, prefix="o"):
    action: OrderAction
    order_id: int
    page: int = 0


class LanguageCD(CallbackData, prefix="l"):
    code: str
