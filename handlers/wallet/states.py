"""The top-up states: a custom amount being typed."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class TopUpFlow(StatesGroup):
    amount = State()  # waiting for a custom top-up amount; data["topup_back"]: the state before
