"""Callback data of the join prompt (prefix "rc")."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ChannelCD(CallbackData, prefix="rc"):
    """ "Check again": the customer says they have joined."""
