"""The panels the shop buys from, by name."""

from __future__ import annotations

# The panel that PROVIDER_URL and PROVIDER_KEY describe.
from bot.provider.panels import MAIN_PANEL

__all__ = ["MAIN_PANEL"]
