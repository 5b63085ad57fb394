"""A Telegram Bot API emulator with a web chat, for demos and end-to-end tests.

The bot talks to it over HTTP with aiogram's own client::

    emu = TelegramEmulator()
    base = await emu.start()
    bot = Bot(emu.token, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))
    await emu.send_text(1001, "/start")
    reply = await emu.wait_for_bot_message(1001)
"""

from .emulator import TelegramEmulator
from .entities import parse_html, render_html
from .errors import ApiError
from .limits import LimitSettings, RateLimiter, TokenBucket
from .models import (
    OPERATORS_CHAT_ID,
    CallbackAnswer,
    Counters,
    GroupChat,
    PaymentOutcome,
    Persona,
    StarPayment,
    StoredFile,
    StoredMessage,
    default_groups,
    default_personas,
)
from .server import build_app
from .state import DEFAULT_TOKEN, TelegramState
from .updates import WebhookConfig
from .users import Users

__all__ = [
    "DEFAULT_TOKEN",
    "OPERATORS_CHAT_ID",
    "ApiError",
    "CallbackAnswer",
    "Counters",
    "GroupChat",
    "LimitSettings",
    "PaymentOutcome",
    "Persona",
    "RateLimiter",
    "StarPayment",
    "StoredFile",
    "StoredMessage",
    "TelegramEmulator",
    "TelegramState",
    "TokenBucket",
    "Users",
    "WebhookConfig",
    "build_app",
    "default_groups",
    "default_personas",
    "parse_html",
    "render_html",
]
