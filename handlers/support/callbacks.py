"""Callback data of support tickets: defined in bot/support_buttons.py (the job that closes
stale tickets attaches them too), named here beside the handlers."""

from __future__ import annotations

from bot.support_buttons import OperatorAction, OperatorCD, TicketAction, TicketCD

__all__ = ["OperatorAction", "OperatorCD", "TicketAction", "TicketCD"]
