"""Client of the SMM panels' API v2."""

from bot.provider.client import ProviderClient
from bot.provider.errors import (
    OrderOutcomeUnknown,
    ProviderError,
    ProviderFailure,
    ProviderUnavailable,
)

__all__ = [
    "OrderOutcomeUnknown",
    "ProviderClient",
    "ProviderError",
    "ProviderFailure",
    "ProviderUnavailable",
]
