"""Redis as the replicas' shared state: FSM records, one update per customer at a time
across dispatchers, and the per-customer throttle. Each "replica" here has its own Redis
client, as separate processes would. Skipped with the reason when Redis is unreachable."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram import Bot, Dispatcher, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Chat, Message, Update, User
from pydantic import SecretStr

from bot.config import Config
from bot.fsm_storage import create_fsm_storage
from bot.i18n import create_i18n
from bot.middlewares.redis_throttling import RedisThrottlingMiddleware
from bot.redis_client import create_redis, ping_redis
from bot.sandbox.recording import RecordingSession
from tests.services import redis_url


@pytest.fixture
async def redis_client() -> AsyncIterator[Any]:
    client = create_redis(redis_url())
    try:
        await ping_redis(client, 2.0)
    except Exception as exc:
        await client.aclose()
        pytest.skip(f"Redis at {redis_url()} unreachable: {type(exc).__name__}: {exc}")
    yield client
    await client.aclose()


def settings() -> Config:
    return Config(
        redis_url=redis_url(),
        provider_timeout_seconds=5,
        _env_file=None,  # type: ignore[call-arg]
    )


def message_update(update_id: int, user_id: int, text: str) -> Update:
    user = User(id=user_id, is_bot=False, first_name="U")
    message = Message(
        message_id=update_id,
        date=datetime.now(UTC),
        chat=Chat(id=user_id, type="private"),
        from_user=user,
        text=text,
    )
    return Update(update_id=update_id, message=message)


# --- FSM and event isolation ------------------------------------------------------------


class Replica:
    """A dispatcher with its own Redis client, like one bot process."""

    def __init__(self, router: Router, bot_id: int) -> None:  # a router of its own
        self.client = create_redis(redis_url())
        storage, isolation = create_fsm_storage(settings(), self.client)
        assert isinstance(storage, RedisStorage) and isolation is not None
        self.storage = storage
        self.dp = Dispatcher(storage=storage, events_isolation=isolation)
        self.dp.include_router(router)
        self.bot = Bot(f"{bot_id}:TEST", session=RecordingSession())

    async def feed(self, update: Update) -> Any:
        return await self.dp.feed_update(self.bot, update)

    async def close(self) -> None:
        await self.dp.fsm.close()
        await self.bot.session.close()


async def test_fsm_is_shared_and_one_customer_runs_one_update_at_a_time(
    redis_client: Any,
) -> None:
    bot_id = 7_000_000 + secrets.randbelow(1_000_000)  # FSM keys of this test only
    running: dict[int, int] = {}
    overlaps: list[int] = []
    seen: list[tuple[int, str | None]] = []

    async def step(message: Message, state: FSMContext) -> None:
        assert message.from_user is not None
        user = message.from_user.id
        running[user] = running.get(user, 0) + 1
        if running[user] > 1:
            overlaps.append(user)
        seen.append((user, await state.get_state()))
        await asyncio.sleep(0.15)
        await state.set_state(f"step{message.message_id}")
        await state.update_data({str(message.message_id): message.text})
        running[user] -= 1

    def router() -> Router:
        router = Router()
        router.message.register(step, StateFilter("*"))
        return router

    one, two = Replica(router(), bot_id), Replica(router(), bot_id)
    try:
        # Alice's two updates land on different replicas at the same moment: they run
        # one after the other. Bob's runs beside them.
        await asyncio.gather(
            one.feed(message_update(1, 501, "a")),
            two.feed(message_update(2, 501, "b")),
            two.feed(message_update(3, 502, "c")),
        )
        assert overlaps == []
        alice = [state for user, state in seen if user == 501]
        assert alice[0] is None and alice[1] in {"step1", "step2"}  # the second saw the first
        # What one replica wrote, the other reads.
        key_data = await two.storage.get_data(
            key=_key(bot_id, 501),
        )
        assert key_data == {"1": "a", "2": "b"}
        # Keys carry the bot id and expire (an abandoned form does not stay forever).
        keys = [k.decode() async for k in redis_client.scan_iter(f"fsm:{bot_id}:*")]
        assert keys and all(k.startswith(f"fsm:{bot_id}:") for k in keys)
        ttls = [await redis_client.ttl(k) for k in keys]
        assert all(0 < ttl <= 7 * 86400 for ttl in ttls)
    finally:
        await one.close()
        await two.close()
        keys = [k async for k in redis_client.scan_iter(f"fsm:{bot_id}:*")]
        if keys:
            await redis_client.delete(*keys)


def _key(bot_id: int, user_id: int) -> Any:
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id)


def test_without_redis_the_fsm_stays_in_memory() -> None:
    from aiogram.fsm.storage.memory import MemoryStorage

    storage, isolation = create_fsm_storage(
        Config(_env_file=None),  # type: ignore[call-arg]
        None,
    )
    assert isinstance(storage, MemoryStorage) and isolation is None


# --- the shared throttle ----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_throttle_is_shared_by_replicas(redis_client: Any) -> None:
    clock = Clock()
    prefix = f"test:throttle:{secrets.token_hex(4)}"
    i18n = create_i18n()
    replicas = [
        RedisThrottlingMiddleware(
            i18n, create_redis(redis_url()), rate=2.0, burst=3, clock=clock, prefix=prefix
        )
        for _ in range(2)
    ]
    one, two = replicas
    try:
        # Three tokens between both replicas, then one notice, then silence.
        results = [await r.check(501, 42) for r in (one, two, one, two, one, two)]
        assert results == [
            (True, False),
            (True, False),
            (True, False),
            (False, True),
            (False, False),
            (False, False),
        ]
        # Another customer has a bucket of their own.
        assert await two.check(502, 42) == (True, False)
        # Half a second refills one token: allowed again, and the notice is re-armed.
        clock.now += 0.5
        assert await two.check(501, 42) == (True, False)
        assert await one.check(501, 42) == (False, True)
        # The bucket key expires once it would be full again.
        ttl = await redis_client.pttl(one.key(501, 42))
        assert 0 < ttl <= one.ttl_ms
    finally:
        for replica in replicas:
            await replica.client.aclose()
        keys = [k async for k in redis_client.scan_iter(f"{prefix}:*")]
        if keys:
            await redis_client.delete(*keys)


async def test_throttle_lets_updates_through_when_redis_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = create_redis("redis://127.0.0.1:1/0")  # nothing listens on port 1
    throttle = RedisThrottlingMiddleware(create_i18n(), client, rate=1.0, burst=1)
    try:
        assert [await throttle.check(501, 42) for _ in range(3)] == [(True, False)] * 3
        warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
        assert len(warnings) == 1  # logged once per outage
    finally:
        await client.aclose()


async def test_throttle_middleware_answers_one_notice_across_replicas(redis_client: Any) -> None:
    """Through the middleware: the flood's first extra update gets the notice, once."""
    clock = Clock()
    prefix = f"test:throttle:{secrets.token_hex(4)}"
    i18n = create_i18n()
    throttles = [
        RedisThrottlingMiddleware(
            i18n, create_redis(redis_url()), rate=1.0, burst=1, clock=clock, prefix=prefix
        )
        for _ in range(2)
    ]
    handled: list[str] = []

    async def echo(message: Message) -> None:
        handled.append(message.text or "")

    dps = []
    for throttle in throttles:
        dp = Dispatcher()
        dp.update.outer_middleware(throttle)
        dp.message.register(echo)
        dps.append(dp)
    session = RecordingSession()
    bot = Bot("42:TEST", session=session)
    try:
        for n in range(4):
            await dps[n % 2].feed_update(bot, message_update(n + 1, 501, f"m{n}"))
        assert handled == ["m0"]
        notices = [m.text for m in session.sent_to(501)]
        assert len(notices) == 1 and "Too fast" in notices[0]
    finally:
        await bot.session.close()
        for throttle in throttles:
            await throttle.client.aclose()
        keys = [k async for k in redis_client.scan_iter(f"{prefix}:*")]
        if keys:
            await redis_client.delete(*keys)


def test_settings_for_the_throttle_and_secret() -> None:
    s = Config(
        throttle_rate_per_second=5,
        throttle_burst=10,
        webhook_secret=SecretStr("abc_DEF-123"),
        _env_file=None,  # type: ignore[call-arg]
    )
    assert (s.throttle_rate_per_second, s.throttle_burst) == (5, 10)
    with pytest.raises(ValueError, match="letters, digits"):
        Config(webhook_secret=SecretStr("has spaces!"), _env_file=None)  # type: ignore[call-arg]
