"""The panels the shop buys from, by name."""

from __future__ import annotations

# The panel that PROVIDER_URL and PROVIDER_KEY describe.
MAIN_PANEL = "main"

__all__ = ["MAIN_PANEL"]
