"""The support flow's states."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class SupportFlow(StatesGroup):
    choosing = State()  # a new ticket: which order it is about (buttons)
    writing = State()  # a new ticket: its first message; data["support_order"]: the order or None
    follow_up = State()  # writing again in data["support_ticket"]; data["support_album"]: a
    # media group being received (its further photos go to the same ticket)
