"""Two bot processes in webhook mode behind a round-robin load balancer, sharing
PostgreSQL and Redis, fed by the Telegram emulator and talking to the provider simulator.

Real `python -m bot run` subprocesses (they migrate the same fresh database at the same
moment, each sets the webhook), a tiny proxy in this process that hands the emulator's
deliveries to the replicas in turn. The story:

1. Alice's order form: consecutive steps land on different replicas and the flow works
   (FSM in Redis).
2. A double Confirm split across the replicas places one order (Redis event isolation
   and the checkout token): one `add` at the panel, one order, one debit.
3. Only one replica polls the panel (the `poller` lock); when it is stopped (SIGTERM, a
   graceful shutdown) the other takes over within a poll cycle.
4. Every notification reaches Alice once; /healthz and /metrics report real figures.

Needs PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL); skipped with the reason
when either is unreachable. About a minute, most of it two Python processes starting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.clock import FakeClock
from bot.config import Config
from bot.factory import create_deps
from bot.redis_client import create_redis, ping_redis
from bot.sandbox.provider import ProviderSimulator
from bot.sandbox.telegram import TelegramEmulator
from bot.shop.enums import LedgerKind, OrderState, OutboxStatus
from db.models import LedgerEntry, Order, OutboxMessage
from db.session import create_engine
from tests.e2e.live import (
    ALICE,
    Chat,
    credit,
    free_port,
    metric,
    order_service,
    shop_service_id,
    wait_until,
)
from tests.services import redis_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.timeout(300),
    pytest.mark.parametrize("db_kind", ["postgres"]),  # replicas need a database server
]

ROOT = Path(__file__).resolve().parents[2]
KEY = "replicas-key"
POLL_SECONDS = 5  # the smallest POLL_INTERVAL_SECONDS allowed
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


# --- the load balancer ------------------------------------------------------------------


class RoundRobin:
    """Hands each POST to the next replica; skips one that refuses connections or answers
    503 (shutting down), as nginx's proxy_next_upstream would."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.turn = 0
        self.log: list[tuple[int | None, int, int]] = []  # (update_id, replica, status)
        self._http: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Listen on a port the system picks; returns it."""
        app = web.Application(client_max_size=4 << 20)
        app.router.add_post("/{path:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._http = aiohttp.ClientSession()
        port: int = self._runner.addresses[0][1]
        return port

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def replica_of(self, update_id: int) -> int | None:
        """The replica that accepted this update."""
        for logged, replica, status in self.log:
            if logged == update_id and status == 200:
                return replica
        return None

    async def handle(self, request: web.Request) -> web.Response:
        assert self._http is not None
        body = await request.read()
        headers = {
            name: value
            for name in (SECRET_HEADER, "Content-Type")
            if (value := request.headers.get(name)) is not None
        }
        try:
            update_id = json.loads(body).get("update_id")
        except (ValueError, AttributeError):
            update_id = None
        first, self.turn = self.turn, (self.turn + 1) % len(self.backends)
        for attempt in range(len(self.backends)):
            replica = (first + attempt) % len(self.backends)
            try:
                async with self._http.post(
                    self.backends[replica] + request.path,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as response:
                    status, payload = response.status, await response.read()
                    content_type = response.content_type
            except aiohttp.ClientConnectionError:
                continue
            if status == 503 and attempt + 1 < len(self.backends):
                continue
            self.log.append((update_id, replica, status))
            return web.Response(body=payload, status=status, content_type=content_type)
        return web.Response(status=502, text="no replica answered")


# --- the replicas -----------------------------------------------------------------------


@dataclass
class Replica:
    index: int
    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None
    _log_file: Any = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, env: dict[str, str], cwd: Path) -> None:
        self._log_file = self.log.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=cwd,
            env={**env, "WEBHOOK_PORT": str(self.port)},
            stdout=self._log_file,
            stderr=asyncio.subprocess.STDOUT,
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def get(self, path: str) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.base + path, timeout=aiohttp.ClientTimeout(total=5)) as response,
        ):
            return response.status, await response.text()

    async def healthy(self) -> bool:
        if not self.running:
            raise AssertionError(f"replica {self.index} exited:\n{self.tail()}")
        try:
            status, _ = await self.get("/healthz")
        except aiohttp.ClientError:
            return False
        return status == 200

    async def metrics(self) -> str:
        status, text = await self.get("/metrics")
        assert status == 200
        return text

    async def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait: the replica's exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(self.process.wait(), timeout)
        assert self.process.returncode is not None
        return self.process.returncode

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        if self._log_file is not None:
            self._log_file.close()

    def tail(self, lines: int = 60) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Cluster:
    emu: TelegramEmulator
    sim: ProviderSimulator
    lb: RoundRobin
    replicas: list[Replica]
    database_url: str
    bot_id: int
    deps: Any = None
    cleanup: list[Any] = field(default_factory=list)


async def _skip_unless_redis() -> None:
    client = create_redis(redis_url())
    try:
        await ping_redis(client, 2.0)
    except Exception as exc:
        pytest.skip(f"Redis at {redis_url()} unreachable: {type(exc).__name__}: {exc}")
    finally:
        await client.aclose()


async def _clear_redis(bot_id: int) -> None:
    client = create_redis(redis_url())
    try:
        keys = [k async for k in client.scan_iter(f"fsm:{bot_id}:*")]
        keys += [k async for k in client.scan_iter(f"smm-bot:throttle:{bot_id}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture
async def cluster(tmp_path: Path, app_database: str) -> AsyncIterator[Cluster]:
    """The emulator, the simulator, the load balancer and two replicas on a fresh
    PostgreSQL database (`app_database`) and Redis."""
    await _skip_unless_redis()
    database_url = app_database
    bot_id = 7_000_000_000 + secrets.randbelow(999_999_999)  # FSM and throttle keys unique
    token = f"{bot_id}:REPLICAS"
    clock = FakeClock()
    sim = ProviderSimulator(
        key=KEY,
        clock=clock,
        balance=Decimal("1000"),
        partial_share=0.0,
        cancel_share=0.0,
        reject_share=0.0,
    )
    emu = TelegramEmulator(token=token)
    ports = [free_port(), free_port()]
    lb = RoundRobin([f"http://127.0.0.1:{port}" for port in ports])
    replicas = [Replica(i, port, tmp_path / f"replica{i}.log") for i, port in enumerate(ports)]
    made = Cluster(emu, sim, lb, replicas, database_url, bot_id)
    try:
        provider_url = await sim.start()
        telegram_url = await emu.start()
        lb_port = await lb.start()
        secret = secrets.token_urlsafe(24)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", str(tmp_path)),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "BOT_TOKEN": token,
            "TELEGRAM_API_URL": telegram_url,
            "PROVIDER_URL": provider_url,
            "PROVIDER_KEY": KEY,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url(),
            "WEBHOOK_URL": f"http://127.0.0.1:{lb_port}/webhook",
            "WEBHOOK_SECRET": secret,
            "WEBHOOK_HOST": "127.0.0.1",
            "POLL_INTERVAL_SECONDS": str(POLL_SECONDS),
            # A test taps faster than a person (the shared throttle has its own tests).
            "THROTTLE_RATE_PER_SECOND": "100",
            "THROTTLE_BURST": "100",
            "LOG_LEVEL": "INFO",
        }
        # Both at once: they migrate the fresh database and sync the catalogue together.
        for replica in replicas:
            await replica.start(env, tmp_path)
        for replica in replicas:
            await wait_until(replica.healthy, 120, f"replica {replica.index} /healthz")
        await wait_until(lambda: emu.webhook is not None, 30, "setWebhook")
        assert emu.webhook is not None and emu.webhook.secret_token == secret

        engine = create_engine(database_url)
        made.cleanup.append(engine.dispose)
        settings = Config(
            bot_token=SecretStr(token),
            provider_url=provider_url,
            provider_key=SecretStr(KEY),
            database_url=database_url,
            _env_file=None,  # type: ignore[call-arg]
        )
        made.deps = create_deps(settings, engine=engine)
        made.cleanup.append(made.deps.provider.close)
        yield made
    finally:
        codes = []
        for replica in replicas:
            with contextlib.suppress(Exception):
                if replica.running:
                    codes.append(await replica.stop(30))
            await replica.kill()
            print(f"--- replica {replica.index} log (tail) ---\n{replica.tail()}")
        for close in reversed(made.cleanup):
            with contextlib.suppress(Exception):
                await close()
        await lb.stop()
        await emu.stop()
        await sim.stop()
        await _clear_redis(bot_id)


async def _leaders(replicas: list[Replica], lock: str) -> list[int]:
    leaders = []
    for replica in replicas:
        if replica.running and metric(await replica.metrics(), "bot_leader", lock=lock) == 1:
            leaders.append(replica.index)
    return leaders


async def _status_calls(replica: Replica) -> float:
    text = await replica.metrics()
    return metric(text, "bot_panel_calls_total", action="status", outcome="ok") or 0


async def test_two_replicas_share_one_shop(cluster: Cluster) -> None:
    emu, sim, lb, replicas = cluster.emu, cluster.sim, cluster.lb, cluster.replicas
    deps = cluster.deps
    user_id = await credit(deps, ALICE, "50")
    service = order_service(sim)
    chat = Chat(emu, timeout=30)

    # 1. The order form, its steps spread over both replicas.
    first_update = len(lb.log)
    summary = await chat.open_order_form(
        service, await shop_service_id(deps.session_factory, service.service_id)
    )
    assert "Check your order" in summary
    flow = [replica for _, replica, status in lb.log[first_update:] if status == 200]
    assert len(flow) >= 9 and set(flow) == {0, 1}, flow

    # 2. A double Confirm, one tap on each replica, both in flight together.
    sim.faults.latency = 0.5  # the panel takes its time over `add`
    message, data = chat.button("Confirm")
    mark = emu.mark()
    one = await emu.click(ALICE, message.message_id, data)
    two = await emu.click(ALICE, message.message_id, data)
    await emu.wait_for_callback_answer(one, timeout=30)
    await emu.wait_for_callback_answer(two, timeout=30)
    placed = await emu.wait_for_bot_message(
        ALICE, lambda m: "placed" in (m.text or ""), since=mark, timeout=30
    )
    sim.faults.latency = 0.0
    assert one.callback_query is not None and two.callback_query is not None
    assert {lb.replica_of(one.update_id), lb.replica_of(two.update_id)} == {0, 1}
    assert sim.calls["add"] == 1
    async with deps.session_factory() as session, session.begin():
        orders = (await session.scalars(select(Order).where(Order.user_id == user_id))).all()
        assert len(orders) == 1 and orders[0].state is OrderState.ACTIVE
        order = orders[0]
        debits = await session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.user_id == user_id, LedgerEntry.kind != LedgerKind.PROMO)
        )
        assert debits == 1
    assert order.provider_order_id is not None

    # 3. One replica polls the panel; the other never does.
    await wait_until(
        lambda: _any_status_calls(replicas), POLL_SECONDS * 3, "a status poll of the order"
    )
    [leader_index] = await _leaders(replicas, "poller")
    leader, follower = replicas[leader_index], replicas[1 - leader_index]
    assert await _status_calls(leader) >= 1
    assert await _status_calls(follower) == 0
    follower_balance = metric(
        await follower.metrics(), "bot_panel_calls_total", action="balance", outcome="ok"
    )
    assert not follower_balance  # the balance watch runs on the leader only

    # The panel starts the order: the leader's poll notices, the sender tells Alice.
    sim.script(order.provider_order_id, "In progress", remains=service.min)
    await emu.wait_for_bot_message(
        ALICE, lambda m: "has started" in (m.text or ""), since=mark, timeout=POLL_SECONDS * 4
    )

    # The leader is stopped (a rolling deploy): graceful exit, the other takes over at its
    # next cycle (the deadline is only there so a test that fails ends).
    assert await leader.stop() == 0
    await wait_until(
        lambda: _status_calls_and_lead(follower), POLL_SECONDS * 3, "the follower to poll"
    )

    # The panel completes it: the new leader polls, and sends the notice once.
    sim.script(order.provider_order_id, "Completed")
    await emu.wait_for_bot_message(
        ALICE, lambda m: "is completed" in (m.text or ""), since=mark, timeout=POLL_SECONDS * 5
    )
    await wait_until(lambda: _all_sent(deps), 15, "the outbox to be sent")

    # 4. No notification twice: the emulator shows each outbox row once.
    notices = [m.text or "" for m in emu.bot_messages(ALICE) if m.message_id > placed.message_id]
    async with deps.session_factory() as session, session.begin():
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == ALICE))
        ).all()
    assert len(rows) == len(notices) >= 2, notices
    assert len(set(notices)) == len(notices), notices
    assert sum("has started" in t for t in notices) == 1
    assert sum("is completed" in t for t in notices) == 1

    # Health and metrics of the survivor, with real figures.
    status, body = await follower.get("/healthz")
    assert status == 200
    report = json.loads(body)
    assert report["mode"] == "webhook" and report["status"] == "ok"
    assert report["checks"]["database"]["ok"] and report["checks"]["redis"]["ok"]
    assert report["poll"]["leader"] is True
    assert 0 <= report["poll"]["last_success_age_seconds"] <= POLL_SECONDS * 2
    assert report["sender"]["leader"] is True
    text = await follower.metrics()
    assert metric(text, "bot_orders", state="completed") == 1
    assert metric(text, "bot_orders", state="active") == 0
    assert (metric(text, "bot_notifications_total", result="sent") or 0) >= 1
    assert (metric(text, "bot_updates_total", type="callback_query", outcome="ok") or 0) >= 1
    assert (metric(text, "bot_update_seconds_count", type="message") or 0) >= 1
    assert 0 <= (metric(text, "bot_last_successful_poll_age_seconds") or -1) <= POLL_SECONDS * 2

    # The survivor stops gracefully too.
    assert await follower.stop() == 0
    # Every delivery was accepted by a replica (a stopping one's 503 went to the other).
    assert {status for _, _, status in lb.log} == {200}


async def _any_status_calls(replicas: list[Replica]) -> bool:
    return any([await _status_calls(r) > 0 for r in replicas if r.running])


async def _status_calls_and_lead(replica: Replica) -> bool:
    text = await replica.metrics()
    calls = metric(text, "bot_panel_calls_total", action="status", outcome="ok") or 0
    return calls > 0 and metric(text, "bot_leader", lock="poller") == 1


async def _all_sent(deps: Any) -> bool:
    async with deps.session_factory() as session, session.begin():
        left = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status != OutboxStatus.SENT)
        )
    return left == 0
