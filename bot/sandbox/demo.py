"""`make demo`: the provider simulator, the Telegram emulator with its web chat and the
bot, in one process, on SQLite in a data folder (data/). Nothing from outside is needed.

A restart carries on where the last run stopped: the shop's database and the simulated
panel's books (demo-panel.json, beside the database) both live in the data folder, so
the panel never hands out an order id twice and old orders keep moving.

Two panels: `main` and `backup` (another catalogue, other prices). The popular plain
Instagram service of `main` has a backup at `backup`, so emptying main's funds
(`POST /sandbox/balance` on main's simulator) shows a failover in the web chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import SecretStr

from bot import heap
from bot.app import Application
from bot.clock import ScaledClock
from bot.config import Config, PanelSettings
from bot.provider.models import ServiceType
from bot.provider.panels import MAIN_PANEL
from bot.sandbox.demo_seed import CAROL, PROMOS, seed_demo
from bot.sandbox.provider import ProviderSimulator, SimService
from bot.sandbox.provider.saved_state import (
    PanelBooks,
    StateFileError,
    StateKeeper,
    read_books,
    restore,
)
from bot.sandbox.telegram import OPERATORS_CHAT_ID, TelegramEmulator, default_personas
from db.repositories.backups import BackupRepo
from db.repositories.catalog import CatalogRepo
from db.repositories.panel_ids import PanelIdsRepo

log = logging.getLogger(__name__)

DEMO_TOKEN = "123456:SANDBOX"
DEMO_KEY = "sandbox-key"
BACKUP_PANEL = "backup"
BACKUP_KEY = "sandbox-backup-key"
BACKUP_SEED = 2  # another catalogue than main's
BACKUP_SHARE = Decimal("0.8")  # the mapped backup's price, as a share of main's
DATA_DIR = Path("data")
DATABASE_FILE = "demo.sqlite3"
PANEL_STATE_FILE = "demo-panel.json"
BACKUP_STATE_FILE = "demo-backup-panel.json"
DEMO_STARS_RATE = Decimal("0.013")  # shop currency per Star, unless STARS_RATE is set
DEMO_SUPPORT = "@demo_support"
PANEL_SPEED = 20.0  # the simulated panel's clock runs this much faster than real time
PANEL_BALANCE = Decimal("5000")
STARTUP_TIMEOUT = 30.0  # seconds for the bot's first long poll to reach the emulator


@dataclass(frozen=True)
class Demo:
    """A running demo: what the banner names and what tests drive."""

    app: Application
    emulator: TelegramEmulator
    simulator: ProviderSimulator
    telegram_url: str
    provider_url: str
    panel_state: Path
    panel_speed: float
    backup: ProviderSimulator | None = None  # the second panel, `backup`
    mapped: SimService | None = None  # main's service that has a backup there


def _load_books(path: Path) -> tuple[PanelBooks | None, str | None]:
    """The saved books, or None and why there are none (missing, corrupt)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return read_books(path), None
    except StateFileError as error:
        return None, str(error)


async def _number_past_the_shop(app: Application, simulator: ProviderSimulator) -> int:
    """Make the panel's next ids larger than every id the shop's database holds."""
    async with app.deps.session_factory() as session, session.begin():
        order_id, refill_id = await PanelIdsRepo(session).highest()
    simulator.book.number_past(order_id, refill_id)
    return simulator.book.next_order_id


@contextlib.asynccontextmanager
async def demo_running(
    base: Config, *, data_dir: Path = DATA_DIR, panel_speed: float = PANEL_SPEED
) -> AsyncIterator[Demo]:
    """Start everything on `data_dir` (the database unless DEMO_KEEP_DATABASE_URL, and
    the panel's books), polling included; stop it all on leaving."""
    state_path = data_dir / PANEL_STATE_FILE
    books, unreadable = _load_books(state_path)
    # The panel's time resumes where it was saved: a timeline drawn in the last run
    # neither jumps back to Pending nor skips ahead.
    clock = ScaledClock(panel_speed, start=books.saved_at if books else None)
    simulator = ProviderSimulator(key=DEMO_KEY, clock=clock, balance=PANEL_BALANCE)
    if books is not None:
        restore(simulator, books)
    keeper = StateKeeper(simulator, state_path)
    provider_url = await simulator.start(host="127.0.0.1", port=base.demo_provider_port)
    # The second panel keeps its books too: an order that failed over to it in the last
    # run goes on being tracked there.
    backup = ProviderSimulator(key=BACKUP_KEY, clock=clock, seed=BACKUP_SEED, balance=PANEL_BALANCE)
    backup_path = data_dir / BACKUP_STATE_FILE
    backup_books, _ = _load_books(backup_path)
    if backup_books is not None:
        restore(backup, backup_books)
    backup_keeper = StateKeeper(backup, backup_path)
    mapped, spare = popular_pair(simulator, backup)
    backup_url = await backup.start(host="127.0.0.1", port=0)
    emulator = TelegramEmulator(token=DEMO_TOKEN, personas=[*default_personas(), CAROL])
    app: Application | None = None
    polling: asyncio.Task[None] | None = None
    try:
        telegram_url = await emulator.start(host="127.0.0.1", port=base.demo_port)
        admins = [p.user_id for p in emulator.personas if p.is_admin_hint]
        database_url = f"sqlite+aiosqlite:///{data_dir / DATABASE_FILE}"
        settings = base.model_copy(
            update={
                "bot_token": SecretStr(DEMO_TOKEN),
                "telegram_api_url": telegram_url,
                "provider_url": provider_url,
                "provider_key": SecretStr(DEMO_KEY),
                "database_url": base.database_url if base.demo_keep_database_url else database_url,
                "admin_ids": frozenset(admins) | base.admin_ids,
                "operator_chat_id": OPERATORS_CHAT_ID,
                # Every feature on: Stars top-ups (the emulator pays) and a support contact.
                "stars_rate": base.stars_rate or DEMO_STARS_RATE,
                "support_contact": base.support_contact or DEMO_SUPPORT,
                # The sandbox has no channel of the shop's to join (REQUIRED_CHANNEL is for
                # a real deployment): the storefront stays open in the demo.
                "required_channel": None,
            }
        )
        settings.add_panels(
            PanelSettings(
                BACKUP_PANEL,
                backup_url,
                SecretStr(BACKUP_KEY),
                settings.currency_rate,
                settings.provider_timeout_seconds,
            )
        )
        app = await Application.create(settings)
        # Before anything can reach the panel's `add`: no id the shop holds comes again.
        next_id = await _number_past_the_shop(app, simulator)
        await _number_past_the_shop(app, backup)
        if books is None:
            log.info(
                "panel simulator: no saved state in %s (%s); starting fresh, order ids from %d",
                state_path,
                unreadable,
                next_id,
            )
        else:
            log.info(
                "panel simulator: restored from %s (orders: %d, refills: %d); next order id %d",
                state_path,
                len(books.orders),
                len(books.refills),
                next_id,
            )
        keeper.save(force=True)
        keeper.start()
        backup_keeper.save(force=True)
        backup_keeper.start()
        await app.startup()
        await seed_demo(app, emulator)
        await map_backup(app, mapped, spare)
        heap.settle()  # as the runners do once start-up is done
        polling = asyncio.create_task(
            app.dp.start_polling(app.bot, handle_signals=False, close_bot_session=False)
        )
        await _until_polling(emulator, polling)
        yield Demo(
            app,
            emulator,
            simulator,
            telegram_url,
            provider_url,
            state_path,
            panel_speed,
            backup=backup,
            mapped=mapped,
        )
    finally:
        if polling is not None and app is not None:
            with contextlib.suppress(RuntimeError):  # polling had not started
                await app.dp.stop_polling()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
        if app is not None:
            await app.close()
        await emulator.stop()
        await keeper.stop()
        await backup_keeper.stop()
        await simulator.stop()
        await backup.stop()


def popular_pair(
    main: ProviderSimulator, backup: ProviderSimulator
) -> tuple[SimService, SimService]:
    """Main's plain service and the backup panel's service that backs it: of the same
    type and limits, somewhat cheaper (a margin the failover keeps)."""
    ours = main.find_service(ServiceType.DEFAULT, dripfeed=False)
    theirs = backup.find_service(ServiceType.DEFAULT, dripfeed=False)
    spare = backup.change_service(
        theirs.service_id,
        rate=(ours.rate * BACKUP_SHARE).quantize(Decimal("0.0001")),
        min=ours.min,
        max=ours.max,
    )
    return ours, spare


async def map_backup(app: Application, ours: SimService, theirs: SimService) -> None:
    """The backup of main's popular service (once: a restart finds it there)."""
    panels = app.deps.panels
    main_id, backup_id = panels.id_of(MAIN_PANEL), panels.id_of(BACKUP_PANEL)
    if main_id is None or backup_id is None:
        return  # a panel was left out at start-up
    async with app.deps.session_factory() as session, session.begin():
        catalog = CatalogRepo(session)
        service = await catalog.by_provider_service_id(main_id, str(ours.service_id))
        spare = await catalog.by_provider_service_id(backup_id, str(theirs.service_id))
        if service is None or spare is None:
            return
        backups = BackupRepo(session)
        if any(row.id == spare.id for row in await backups.of(service.id)):
            return
        await backups.add(service.id, spare.id, actor_id=None, now=app.deps.clock.now())


async def _until_polling(emulator: TelegramEmulator, polling: asyncio.Task[None]) -> None:
    """Until the bot's first getUpdates arrived (start-up is over), or polling failed."""
    waiting = asyncio.ensure_future(
        emulator.wait_for_counters(lambda c: c.polls >= 1, timeout=STARTUP_TIMEOUT)
    )
    await asyncio.wait({waiting, polling}, return_when=asyncio.FIRST_COMPLETED)
    if polling.done():
        waiting.cancel()
        polling.result()  # its error, if it failed
        raise RuntimeError("the bot stopped polling during start-up")
    waiting.result()


def banner(demo: Demo) -> str:
    """What to open, who you are, how to make the panel misbehave: printed last."""
    base = demo.provider_url.removesuffix("/api/v2")
    codes = ", ".join(p.code for p in PROMOS)
    return (
        f"\n  Demo shop is running: open {demo.telegram_url}/ in your browser.\n"
        f"  Pick a person on the left: Alice (English) and Boris (Russian) are customers,\n"
        f"  Carol came through Alice's referral link, Admin is the shop's admin (/admin);\n"
        f"  the Operators group gets the alerts. Promo codes to try: {codes}.\n"
        f"  Panel simulator: {demo.provider_url} (key {DEMO_KEY!r}, clock x{demo.panel_speed:g}),\n"
        f"  its books kept in {demo.panel_state}. Make it misbehave, then recover:\n"
        f"    curl -X POST {base}/sandbox/faults -d '{{\"http_5xx\": true}}'\n"
        f"    curl -X POST {base}/sandbox/faults -d '{{\"reset\": true}}'\n"
        f"  A second panel, `backup`, backs main's «{demo.mapped.name if demo.mapped else '?'}»;"
        f" empty main's funds and order it to see a failover:\n"
        f"    curl -X POST {base}/sandbox/balance -d '{{\"balance\": 0}}'\n"
        f"  (switches in README.md, 'The demo'). Ctrl-C stops; `make demo` carries on.\n"
    )


async def run_demo(base: Config, *, data_dir: Path = DATA_DIR) -> None:
    """Until Ctrl-C or SIGTERM; everything is stopped and saved before returning."""
    async with demo_running(base, data_dir=data_dir) as demo:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        handled = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
                handled.append(sig)
        try:
            print(banner(demo), flush=True)
            await stop.wait()
            print("\n  Stopping the demo ...", flush=True)
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)
