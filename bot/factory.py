"""The one place that builds the application: Bot, Dispatcher, engine, provider client.

No globals and no import-time side effects: tests build as many fresh apps as they like.
"""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.deps import Deps
from bot.i18n import Catalogues, create_i18n
from bot.metrics import Metrics, MetricsMiddleware
from bot.middlewares.answers import AnswerScope, CallbackAnswers
from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.retry import RetryAfterMiddleware
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.middlewares.tx_guard import TransactionGuard
from bot.middlewares.user import UserMiddleware
from bot.outbox.pacer import SendPace
from bot.outbox.pacing_session import PacedSends
from bot.provider.client import CallObserver, ProviderClient
from bot.provider.panels import MAIN_PANEL, Panel, PanelRegistry
from bot.timeouts import add_timeout
from db.session import create_engine, create_reader, create_session_factory
from handlers import create_routers
from handlers.channel.gate import ChannelGate
from handlers.menu.maintenance import open_in_maintenance


def create_bot(
    settings: Config, session: BaseSession | None = None, *, pace: SendPace | None = None
) -> Bot:
    """`pace`: every message waits for its slot in it (the application passes `deps.pace`;
    tests of handlers leave it out and are not paced)."""
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    session.middleware(RetryAfterMiddleware())
    session.middleware(CallbackAnswers())
    session.middleware(TransactionGuard())
    if pace is not None:  # inside RetryAfterMiddleware: a retried reply waits its turn too
        session.middleware(PacedSends(pace))
    return Bot(
        token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def create_provider(settings: Config, *, observer: CallObserver | None = None) -> ProviderClient:
    key = settings.provider_key.get_secret_value() if settings.provider_key else ""
    return ProviderClient(
        settings.provider_url or "",
        key,
        timeout=settings.provider_timeout_seconds,
        add_timeout=add_timeout(settings),
        observer=observer,
    )


def create_panels(
    settings: Config,
    *,
    main: ProviderClient | None = None,
    more: dict[str, ProviderClient] | None = None,
    observer: CallObserver | None = None,
) -> PanelRegistry:
    """Every configured panel with its client; `main` and `more` (by name) replace the
    clients that would be built (tests hand in their own)."""
    given: dict[str, ProviderClient | None] = dict(more or {})
    if main is not None:
        given[MAIN_PANEL] = main
    panels: list[Panel] = []
    for panel in settings.panels:
        client = given.pop(panel.name, None) or ProviderClient(
            panel.url,
            panel.key,
            timeout=panel.timeout_seconds,
            add_timeout=max(panel.timeout_seconds, add_timeout(settings)),
            observer=observer,
        )
        panels.append(
            Panel(panel.name, panel.url, client, panel.currency_rate, panel.timeout_seconds)
        )
    if not any(p.name == MAIN_PANEL for p in panels):
        # No PROVIDER_URL (the demo before it starts its simulator, a test): `main` is
        # still there, so the shop's one-panel paths keep a client.
        client = given.pop(MAIN_PANEL, None) or create_provider(settings, observer=observer)
        panels.insert(
            0,
            Panel(
                MAIN_PANEL,
                settings.provider_url or "",
                client,
                settings.currency_rate,
                settings.provider_timeout_seconds,
            ),
        )
    for name, extra in given.items():  # clients of panels the settings do not name
        if extra is not None:
            panels.append(
                Panel(name, "", extra, settings.currency_rate, settings.provider_timeout_seconds)
            )
    return PanelRegistry(panels)


def create_deps(
    settings: Config,
    *,
    engine: AsyncEngine | None = None,
    provider: ProviderClient | None = None,
    clock: Clock | None = None,
    i18n: Catalogues | None = None,
    panels: PanelRegistry | None = None,
) -> Deps:
    """The shared services. Its sessions begin no transaction by themselves: each use
    case opens its own (db/uow.py). Close the deps (`await deps.close()`) with the engine."""
    engine = engine or create_engine(settings.database_url)
    reader = create_reader(engine)
    if panels is None:
        panels = create_panels(settings, main=provider)
    main = panels.main
    return Deps(
        settings=settings,
        session_factory=create_session_factory(engine, reader=reader, autobegin=False),
        provider=main.client if main is not None else provider or create_provider(settings),
        clock=clock or SystemClock(),
        i18n=i18n or create_i18n(settings.default_locale),
        panels=panels,
        pace=SendPace(settings.notify_rate_per_second),
        reader=reader,
    )


def create_dispatcher(
    deps: Deps,
    *,
    storage: BaseStorage | None = None,
    throttling: ThrottlingMiddleware | None = None,
    events_isolation: BaseEventIsolation | None = None,
    metrics: Metrics | None = None,
) -> Dispatcher:
    """`events_isolation`: with RedisStorage, its isolation (bot/fsm_storage.py) keeps two
    updates of one customer from running at once across replicas. `metrics`: every update
    is counted and timed (the first of the bot's middlewares, right after aiogram's FSM)."""
    dp = Dispatcher(storage=storage or MemoryStorage(), events_isolation=events_isolation)
    dp["deps"] = deps
    dp.update.outer_middleware(AnswerScope())
    if metrics is not None:
        dp.update.outer_middleware(MetricsMiddleware(metrics))
    settings = deps.settings
    throttle = throttling or ThrottlingMiddleware(
        deps.i18n, rate=settings.throttle_rate_per_second, burst=settings.throttle_burst
    )
    throttle.exempt = throttle.exempt | settings.admin_ids  # admins are never throttled
    dp.update.outer_middleware(throttle)
    dp.update.outer_middleware(DbSessionMiddleware(deps))
    dp.update.outer_middleware(UserMiddleware(deps, open_in_maintenance=open_in_maintenance))
    # REQUIRED_CHANNEL (read on each update; unset: it passes everything through).
    dp.update.outer_middleware(ChannelGate(deps))
    dp.include_routers(*create_routers())
    return dp
