"""How long the slowest step of an update may take: placing an order waits for the panel.

What must outlive a running update (the per-customer isolation lock, the webhook's drain
at shutdown) is this plus a margin of its own.
"""

from __future__ import annotations

from bot.config import Config


def add_timeout(settings: Config) -> float:
    """How long placing an order may wait for the panel's `add` answer: never less than a
    minute, since a panel that is slow to answer may still place the order."""
    return max(settings.provider_timeout_seconds, 60.0)


__all__ = ["add_timeout"]
