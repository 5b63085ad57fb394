"""The conversation states: one StatesGroup for the whole order flow."""

from aiogram.fsm.state import State, StatesGroup


class OrderFlow(StatesGroup):
    answering = State()  # the data says which step of the form is being asked
    confirming = State()


class AdminFlow(StatesGroup):
    linking = State()  # the order id is in the data; waiting for the panel's order id
    broadcast_message = State()  # waiting for the text or photo to broadcast
    broadcast_confirm = State()  # the preview is shown; waiting for Confirm


class TopUpFlow(StatesGroup):
    amount = State()  # waiting for a custom top-up amount; data["topup_back"]: the state before
