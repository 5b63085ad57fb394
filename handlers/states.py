"""The conversation states: one StatesGroup for the whole order flow."""

from aiogram.fsm.state import State, StatesGroup


class OrderFlow(StatesGroup):
    answering = State()  # the data says which step of the form is being asked
    confirming = State()
