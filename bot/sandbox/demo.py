"""`make demo`: the provider simulator, the Telegram emulator with its web chat and the
bot, in one process, on SQLite under data/. Nothing from outside is needed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from decimal import Decimal

from pydantic import SecretStr

from bot.app import Application
from bot.clock import ScaledClock
from bot.config import Config
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.telegram import OPERATORS_CHAT_ID, TelegramEmulator
from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.services import Shop

log = logging.getLogger(__name__)

DEMO_TOKEN = "123456:SANDBOX"
DEMO_KEY = "sandbox-key"
DEMO_DATABASE = "sqlite+aiosqlite:///data/demo.sqlite3"
DEMO_CREDIT = "25"  # in the shop currency, once per demo customer
DEMO_STARS_RATE = Decimal("0.013")  # shop currency per Star, unless STARS_RATE is set
DEMO_SUPPORT = "@demo_support"
PANEL_SPEED = 20.0  # the simulated panel's clock runs this much faster than real time


async def _credit_personas(app: Application, emulator: TelegramEmulator) -> None:
    async with app.deps.session_factory() as session, session.begin():
        shop = Shop(session, app.deps)
        for persona in emulator.personas:
            user, _ = await shop.users.enter(
                persona.user_id,
                username=persona.username,
                first_name=persona.first_name,
                language=app.deps.i18n.pick(persona.language_code),
            )
            # The reference makes this a one-off: restarting the demo adds nothing.
            await shop.wallet.credit(
                user.id,
                to_micro(DEMO_CREDIT),
                LedgerKind.PROMO,
                f"demo:welcome:{persona.user_id}",
                note="demo credit",
            )


async def run_demo(base: Config) -> None:
    simulator = ProviderSimulator(
        key=DEMO_KEY, clock=ScaledClock(PANEL_SPEED), balance=Decimal("5000")
    )
    provider_url = await simulator.start(host="127.0.0.1", port=base.demo_provider_port)
    emulator = TelegramEmulator(token=DEMO_TOKEN)
    telegram_url = await emulator.start(host="127.0.0.1", port=base.demo_port)
    admins = [p.user_id for p in emulator.personas if p.is_admin_hint]
    settings = base.model_copy(
        update={
            "bot_token": SecretStr(DEMO_TOKEN),
            "telegram_api_url": telegram_url,
            "provider_url": provider_url,
            "provider_key": SecretStr(DEMO_KEY),
            "database_url": base.database_url if base.demo_keep_database_url else DEMO_DATABASE,
            "admin_ids": frozenset(admins) | base.admin_ids,
            "operator_chat_id": OPERATORS_CHAT_ID,
            # Every feature on: Stars top-ups (the emulator pays) and a support contact.
            "stars_rate": base.stars_rate or DEMO_STARS_RATE,
            "support_contact": base.support_contact or DEMO_SUPPORT,
        }
    )
    app = await Application.create(settings)
    try:
        await app.startup()
        await _credit_personas(app, emulator)
        print(
            f"\n  Demo shop is running: open {telegram_url}/ in your browser.\n"
            f"  Act as Alice (English), Boris (Russian) or Admin; Ctrl-C stops.\n"
            f"  Panel simulator: {provider_url} (key {DEMO_KEY!r}, clock x{PANEL_SPEED:g})\n",
            flush=True,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        polling = asyncio.create_task(
            app.dp.start_polling(app.bot, handle_signals=False, close_bot_session=False)
        )
        await stop.wait()
        print("\n  Stopping the demo ...", flush=True)
        await app.dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
    finally:
        await app.close()
        await emulator.stop()
        await simulator.stop()
