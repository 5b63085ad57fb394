"""The admin conversation states: linking an unknown order, composing a broadcast."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class AdminFlow(StatesGroup):
    linking = State()  # the order id is in the data; waiting for the panel's order id
    broadcast_message = State()  # waiting for the text or photo to broadcast
    broadcast_confirm = State()  # the preview is shown; waiting for Confirm
