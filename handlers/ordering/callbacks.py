"""Callback data of the order form's buttons (prefix "f").

Every button carries the token of the form it belongs to (a few random characters kept
in the chat's state when the form opens): a button from an earlier form, or from a form
already finished, no longer matches and changes nothing."""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from handlers.common.callbacks import Small

TOKEN_BYTES = 4  # 8 hex characters: callback data stays far below Telegram's 64 bytes

Token = Annotated[str, Field(max_length=16, pattern=r"^[0-9a-f]*$")]


def new_token() -> str:
    return secrets.token_hex(TOKEN_BYTES)


class FlowAction(StrEnum):
    CANCEL = "x"
    SKIP = "s"
    CHOOSE = "c"  # a value from buttons (the subscription delay)
    CONFIRM = "y"
    TOPUP = "t"


class FlowCD(CallbackData, prefix="f"):
    action: FlowAction
    token: Token = ""
    value: Small = 0
