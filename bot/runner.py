"""`python -m bot run`: the bot against Telegram (or TELEGRAM_API_URL) and the panel."""

from __future__ import annotations

from bot.app import Application
from bot.config import Settings


async def run_bot(settings: Settings) -> None:
    app = await Application.create(settings)
    await app.run_polling()
