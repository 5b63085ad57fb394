"""Callback data of the admin buttons (prefixes "a*"): orders, customers, stats, broadcasts
and the alert switch."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from handlers.common.callbacks import Id


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
    CANCEL = "x"  # under the preview: do not send it
    PROGRESS = "p"
    PAUSE = "pa"
    RESUME = "re"
    STOP = "st"  # under the progress message: cancel the broadcast


class BroadcastCD(CallbackData, prefix="ab"):
    action: BroadcastAction
    broadcast_id: Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")]  # secrets.token_hex(6)


class AdminAlertsCD(CallbackData, prefix="aa"):
    order_placed: bool


class BackupAction(StrEnum):
    ADD = "a"  # the admin confirmed the backup shown
    CANCEL = "n"


class BackupCD(CallbackData, prefix="ab"):
    action: BackupAction
    service_id: Id
    backup_id: Id
