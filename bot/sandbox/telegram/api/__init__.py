"""The Bot API methods. Each module registers its methods with `api_method`; importing
the package registers them all, so BotApi is taken from here."""

from . import bot, callbacks, editing, files, payments, profile, sending
from .base import BotApi, canonical_name

__all__ = [
    "BotApi",
    "bot",
    "callbacks",
    "canonical_name",
    "editing",
    "files",
    "payments",
    "profile",
    "sending",
]
