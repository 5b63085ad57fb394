"""The order form's states: one StatesGroup for the whole form."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class OrderFlow(StatesGroup):
    answering = State()  # the data says which step of the form is being asked
    confirming = State()
