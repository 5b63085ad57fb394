"""Typed callback data: small, prefixed, never parsed by hand (Telegram allows 64 bytes).

Every number is bounded: an id fits a BIGINT, a page or an index is small. Data that a
client tampered with (a 20-digit id, "1²") does not match any handler and gets the
ordinary "out of date" answer (handlers/fallback.py), never a database error.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.numbers import MAX_INT64

Id = Annotated[int, Field(ge=0, le=MAX_INT64)]  # a database or Telegram id
Page = Annotated[int, Field(ge=0, le=100_000)]
Small = Annotated[int, Field(ge=-1, le=100_000)]  # an index into a short list; -1: none
Count = Annotated[int, Field(ge=0, le=10**9)]


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
    platform: Small = -1  # index into the platforms list; -1: none
    category: str = ""  # a short stable hash of the category name
    page: Page = 0


class ServiceAction(StrEnum):
    CARD = "c"
    ORDER = "o"


class ServiceCD(CallbackData, prefix="s"):
    action: ServiceAction
    service_id: Id
    page: Page = 0


class FlowAction(StrEnum):
    CANCEL = "x"
    SKIP = "s"
    CHOOSE = "c"  # a value from buttons (the subscription delay)
    CONFIRM = "y"
    TOPUP = "t"


class FlowCD(CallbackData, prefix="f"):
    action: FlowAction
    value: Small = 0


class OrdersCD(CallbackData, prefix="ol"):
    page: Page = 0


class OrderAction(StrEnum):
    CARD = "c"
    REFRESH = "r"
    REFILL = "f"
    CANCEL = "x"


class OrderCD(CallbackData, prefix="o"):
    action: OrderAction
    order_id: Id
    page: Page = 0


class LanguageCD(CallbackData, prefix="l"):
    code: str


# --- admin (prefixes "a*") ------------------------------------------------------------


class AdminOrderAction(StrEnum):
    CARD = "c"
    REFRESH = "r"
    REFUND = "f"  # asks to confirm
    REFUND_YES = "F"
    LINK = "l"  # unknown orders: asks for the panel's order id
    FAIL = "x"  # unknown orders: asks to confirm the refund
    FAIL_YES = "X"


class AdminOrderCD(CallbackData, prefix="ao"):
    action: AdminOrderAction
    order_id: Id


class AdminUserAction(StrEnum):
    CARD = "c"
    BAN = "b"
    UNBAN = "u"


class AdminUserCD(CallbackData, prefix="au"):
    action: AdminUserAction
    user_id: Id  # the shop's id of the customer


class AdminStatsCD(CallbackData, prefix="as"):
    period: str


class BroadcastAction(StrEnum):
    CONFIRM = "y"
    CANCEL = "x"
    PROGRESS = "p"


class BroadcastCD(CallbackData, prefix="ab"):
    action: BroadcastAction
    broadcast_id: str


class AdminAlertsCD(CallbackData, prefix="aa"):
    order_placed: bool


# --- top-ups in Stars -----------------------------------------------------------------


class TopUpAction(StrEnum):
    STARS = "s"  # a preset: `stars` is the invoice's total
    CUSTOM = "c"  # ask for an amount
    BACK = "b"  # leave the custom amount, back to the presets


class TopUpCD(CallbackData, prefix="tp"):
    action: TopUpAction
    stars: Count = 0
