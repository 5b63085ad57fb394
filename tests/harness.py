"""A small test client over the real dispatcher: customers send text and click buttons.

The bot runs unchanged (factory-built dispatcher, real database, the provider simulator
over real HTTP); only the Bot API transport is the recording session.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from sqlalchemy import func, insert, select, update
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FakeClock
from bot.config import Config
from bot.deps import Deps
from bot.factory import create_bot, create_deps, create_dispatcher
from bot.jobs.catalog import sync_catalog
from bot.middlewares.throttling import ThrottlingMiddleware
from bot.panels_setup import register_panels
from bot.provider.client import ProviderClient
from bot.provider.panels import MAIN_PANEL, Panel, PanelRegistry
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.recording import BOT_USER, RecordingSession, Sent
from bot.shop.catalog import SyncReport
from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.services import Shop
from db.models import Base, Provider, table_of

KEY = "harness-key"


@dataclass
class ShopApp:
    deps: Deps
    dp: Dispatcher
    bot: Bot
    session: RecordingSession
    sim: ProviderSimulator
    clock: FakeClock
    # Panels besides `main` (running_shop's `panels`), by name: their simulators.
    more: dict[str, ProviderSimulator] = field(default_factory=dict)
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def customer(
        self,
        telegram_id: int,
        *,
        first_name: str = "Alice",
        language: str = "en",
        username: str | None = None,
    ) -> Customer:
        user = User(
            id=telegram_id,
            is_bot=False,
            first_name=first_name,
            language_code=language,
            username=username,
        )
        return Customer(self, user)

    async def feed(self, update: Update) -> Any:
        return await self.dp.feed_update(self.bot, update)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    @asynccontextmanager
    async def shop(self) -> AsyncIterator[Shop]:
        """The shop's services in one committed unit of work, for arranging and checking."""
        async with self.deps.session_factory() as session:
            yield Shop(session, self.deps)

    async def credit(self, customer: Customer, amount: str) -> None:
        async with self.shop() as shop:
            user, _ = await shop.users.enter(
                customer.user.id,
                username=customer.user.username,
                first_name=customer.user.first_name,
                language=customer.user.language_code or "en",
            )
            await shop.wallet.credit(
                user.id,
                to_micro(amount),
                LedgerKind.ADJUSTMENT,
                f"test:{user.id}:{next(self._update_ids)}",
            )

    async def balance(self, customer: Customer) -> int:
        async with self.shop() as shop:
            user, _ = await shop.users.enter(
                customer.user.id,
                username=customer.user.username,
                first_name=customer.user.first_name,
                language=customer.user.language_code or "en",
            )
            return await shop.wallet.balance(user.id)

    async def sync_catalog(self) -> SyncReport:
        """The bot's own catalogue sync (the one start-up, /sync and the schedule run)."""
        return await sync_catalog(self.deps)


@dataclass
class Customer:
    app: ShopApp
    user: User

    @property
    def chat(self) -> Chat:
        return Chat(id=self.user.id, type="private", first_name=self.user.first_name)

    async def send(self, text: str) -> Any:
        message = Message(
            message_id=next(self.app._message_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            text=text,
        )
        return await self.app.feed(Update(update_id=self.app.next_update_id(), message=message))

    def messages(self) -> list[Sent]:
        return self.app.session.sent_to(self.user.id)

    @property
    def last(self) -> Sent:
        sent = self.messages()
        assert sent, "the bot has not written to this customer"
        return sent[-1]

    @property
    def last_text(self) -> str:
        return self.last.text

    def buttons(self, sent: Sent | None = None) -> list[tuple[str, str]]:
        markup = (sent or self.last).reply_markup
        if not isinstance(markup, InlineKeyboardMarkup):
            return []
        return [(b.text, b.callback_data or "") for row in markup.inline_keyboard for b in row]

    def find_button(self, label: str) -> tuple[Sent, str]:
        for sent in reversed(self.messages()):
            for text, data in self.buttons(sent):
                if label in text and data:
                    return sent, data
        raise AssertionError(f"no button {label!r}; last: {self.buttons()}")

    async def click(self, label: str) -> Any:
        sent, data = self.find_button(label)
        return await self.press(data, sent)

    async def press(self, data: str, sent: Sent | None = None) -> Any:
        """Send callback data as-is (also tampered or stale data)."""
        sent = sent or self.last
        message = Message(
            message_id=sent.message_id,
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=BOT_USER,
            text=sent.text,
            # Only an inline keyboard belongs to a message; a reply keyboard is the chat's.
            reply_markup=(
                sent.reply_markup if isinstance(sent.reply_markup, InlineKeyboardMarkup) else None
            ),
        )
        query = CallbackQuery(
            id=str(self.app.next_update_id()),
            from_user=self.user,
            chat_instance="ci",
            data=data,
            message=message,
        )
        return await self.app.feed(
            Update(update_id=self.app.next_update_id(), callback_query=query)
        )

    def alerts(self) -> list[str]:
        """Texts of callback answers the bot gave this customer."""
        from aiogram.methods import AnswerCallbackQuery

        return [m.text for m in self.app.session.methods(AnswerCallbackQuery) if m.text]


# What the first catalogue sync leaves in a fresh database, by simulator seed and clock
# time: every table's rows. Syncing the 179 services costs ~0.3 s and some 300 tests open
# a shop, so a fresh database gets these rows back in one INSERT per table instead.
# tests/handlers/test_harness_catalogue.py checks that this is the database a sync makes.
Rows = dict[str, list[dict[str, Any]]]
_FIRST_SYNC: dict[tuple[int, datetime], Rows] = {}


async def dump_rows(engine: AsyncEngine) -> Rows:
    """Every non-empty table's rows, by table name, in id order."""
    rows: Rows = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            stmt = select(table).order_by(*table.primary_key.columns)
            found = [dict(row._mapping) for row in await connection.execute(stmt)]
            if found:
                rows[table.name] = found
    return rows


async def load_rows(engine: AsyncEngine, rows: Rows, *, provider_url: str) -> None:
    """Insert dumped rows into an empty database; the provider gets this run's URL."""
    providers = table_of(Provider)
    async with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in rows:
                await connection.execute(insert(table), rows[table.name])
        await connection.execute(update(providers).values(url=provider_url))
        if engine.dialect.name == "postgresql":  # ids were given: move the sequences on
            for name in rows:
                table = Base.metadata.tables[name]
                if "id" in table.c and table.c.id.autoincrement:
                    await connection.execute(
                        sql(
                            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                            f'(SELECT max(id) FROM "{name}"))'
                        )
                    )


async def open_catalogue(
    engine: AsyncEngine,
    sim: ProviderSimulator,
    clock: FakeClock,
    sync: Callable[[], Awaitable[object]],
) -> None:
    """`sync()` the simulator's catalogue into the database, or, on a fresh database and
    when a sync of the same catalogue at the same time was seen, load what it left."""
    async with engine.connect() as connection:
        fresh = not await connection.scalar(select(func.count()).select_from(Provider))
    key = (sim.seed, clock.now(), tuple(sorted(sim.dialects)))
    first = _FIRST_SYNC.get(key)
    if fresh and first is not None:
        await load_rows(engine, first, provider_url=sim.url or "")
        return
    await sync()
    if fresh:
        _FIRST_SYNC[key] = await dump_rows(engine)


@asynccontextmanager
async def running_shop(
    engine: AsyncEngine,
    *,
    admin_ids: frozenset[int] = frozenset(),
    seed: int = 3,
    markup: str = "30",
    operator_chat_id: int | None = None,
    synced_catalogue: bool = False,
    dialects: tuple[str, ...] = (),
    panels: tuple[str, ...] = (),
) -> AsyncIterator[ShopApp]:
    """A shop on `engine` with the simulator's catalogue (synced for real when
    `synced_catalogue`, else, on a fresh database, the rows a first sync leaves).

    `panels`: more panels besides `main`, each a simulator of its own (another seed,
    another key), registered and synced as at start-up (`app.more[name]`)."""
    clock = FakeClock()
    sim = ProviderSimulator(
        key=KEY, clock=clock, seed=seed, balance=Decimal("100000"), dialects=dialects
    )
    url = await sim.start()
    settings = Config(
        bot_token="42:TEST",
        provider_url=url,
        provider_key=KEY,
        admin_ids=admin_ids,
        # None leaves OPERATOR_CHAT_ID to the environment (some tests set it there).
        **({} if operator_chat_id is None else {"operator_chat_id": operator_chat_id}),
        markup_percent=Decimal(markup),
        _env_file=None,
    )  # type: ignore[call-arg]

    async def no_sleep(_: float) -> None:
        return None

    provider = ProviderClient(url, KEY, timeout=2, add_timeout=1, retries=1, sleep=no_sleep)
    more: dict[str, ProviderSimulator] = {}
    registry = PanelRegistry([Panel(MAIN_PANEL, url, provider, settings.currency_rate, 2.0)])
    for number, name in enumerate(panels, start=1):
        other = ProviderSimulator(
            key=f"{KEY}-{name}", clock=clock, seed=seed + 10 * number, balance=Decimal("100000")
        )
        other_url = await other.start()
        more[name] = other
        client = ProviderClient(
            other_url, other.key, timeout=2, add_timeout=1, retries=1, sleep=no_sleep
        )
        registry = PanelRegistry(
            [*registry, Panel(name, other_url, client, settings.currency_rate, 2.0)]
        )
    deps = create_deps(settings, engine=engine, clock=clock, panels=registry)
    session = RecordingSession()
    bot = create_bot(settings, session=session)
    # Throttling has its own tests; here a customer may click as fast as a test runs.
    dp = create_dispatcher(
        deps, throttling=ThrottlingMiddleware(deps.i18n, rate=1e6, burst=1_000_000)
    )
    app = ShopApp(deps=deps, dp=dp, bot=bot, session=session, sim=sim, clock=clock, more=more)
    try:
        if synced_catalogue or panels:
            await app.sync_catalog()
        else:
            await open_catalogue(engine, sim, clock, app.sync_catalog)
        if panels:
            await register_panels(deps)
            for name in panels:
                await sync_catalog(deps, provider_name=name)
        yield app
        # Telegram would have refused these: a handler test fails on any of them.
        assert not session.errors, f"Bot API calls Telegram refuses: {session.errors}"
    finally:
        await deps.panels.close()
        await sim.stop()
        for other in more.values():
            await other.stop()
        await deps.close()


async def catalog_id(app: ShopApp, provider_service_id: int | str, panel: str = "main") -> int:
    """The shop's id of a panel service (what customers see as #id)."""
    from db.repositories.catalog import CatalogRepo
    from db.repositories.providers import ProviderRepo

    async with app.deps.session_factory() as session, session.begin():
        provider = await ProviderRepo(session).by_name(panel)
        assert provider is not None
        row = await CatalogRepo(session).by_provider_service_id(
            provider.id, str(provider_service_id)
        )
        assert row is not None
        return row.id


async def open_service(customer: Customer, service_id: int) -> None:
    """Find a service by #id, open its card and start the order form."""
    await customer.send(f"#{service_id}")
    first_label, first_data = customer.buttons()[0]
    assert "Menu" not in first_label, f"service #{service_id} not found"
    await customer.press(first_data)
    await customer.click("Order")
