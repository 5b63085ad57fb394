"""TelegramEmulator: a fake Telegram for demos and tests, put together and served.

The layers, each knowing only those below it: the state (state.py, updates.py) with its
users acting in it (users.py); the Bot API methods (api/) and webhook delivery
(webhook.py) on the state; the HTTP server (server.py) and the web chat (webchat.py) on
those. This facade builds them and adds what tests wait for; nothing below imports it.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Callable
from functools import cached_property

from aiogram.types import Update
from aiohttp import web

from .api import BotApi
from .models import CallbackAnswer, Counters, StoredMessage
from .server import build_app
from .updates import WebhookConfig
from .users import Users


class TelegramEmulator(Users):
    """A Bot API server and the Telegram users who talk to the bot (the arguments are
    TelegramState's)."""

    base_url: str | None = None
    _app: web.Application | None = None
    _runner: web.AppRunner | None = None

    @cached_property
    def api(self) -> BotApi:
        """The Bot API over this state (with the webhook delivery it owns)."""
        return BotApi(self)

    def set_webhook(self, config: WebhookConfig | None, *, drop_pending: bool) -> None:
        self.api.webhook.set(config, drop_pending=drop_pending)

    # ------------------------------------------------------------------ lifecycle

    def build_app(self) -> web.Application:
        """The aiohttp application (Bot API + web chat), for embedding in another runner."""
        if self._app is None:
            self._app = build_app(self, self.api, on_shutdown=self.shutdown)
        return self._app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: any free port); returns the base URL for aiogram."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self.reopen()
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{bound_port}"
        return self.base_url

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        else:
            await self.shutdown()
        self._app = None

    async def shutdown(self) -> None:
        """Release long polls and stop webhook delivery (the app's on_shutdown)."""
        self.close()
        await self.api.webhook.close()

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ what tests wait for

    async def wait_for_callback_answer(
        self, query: str | Update, timeout: float = 5.0
    ) -> CallbackAnswer:
        """Wait until the bot answers the callback query (by id, or the click's Update)."""
        if isinstance(query, Update):
            if query.callback_query is None:
                raise ValueError("not a callback_query update")
            query = query.callback_query.id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            record = self._callbacks.get(query)
            if record is None:
                raise LookupError(f"unknown callback query {query}")
            if record.answer is not None:
                return record.answer
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                raise TimeoutError(f"callback query {query} was not answered in {timeout}s")
            await self._answer_pulse.wait(remaining)

    async def wait_for_counters(
        self, check: Callable[[Counters], bool], timeout: float = 5.0
    ) -> Counters:
        """Until ``check(counters)`` holds after a getUpdates call arrived or a webhook
        delivery ended: e.g. ``lambda c: c.polls >= 1`` for "the long poll is waiting"."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check(self.counters):
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                raise TimeoutError(f"counters {self.counters} did not pass the check")
            await self.updates.transport.wait(remaining)
        return self.counters

    async def wait_for_bot_message(
        self,
        chat_id: int,
        predicate: Callable[[StoredMessage], bool] | None = None,
        timeout: float = 5.0,
        *,
        since: int | None = None,
    ) -> StoredMessage:
        """The first message the bot sent or edited in ``chat_id`` after ``since`` that
        matches ``predicate``.

        ``since`` defaults to the latest user action (send_text, click, pay) in that chat, or,
        in a chat where no user acted (e.g. the operators' group), the latest user action
        anywhere; pass ``since=emu.mark()`` taken before triggering a job's notification."""
        start = since
        if start is None:
            start = self._chat_user_seq.get(chat_id, self._last_user_seq)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            index = bisect.bisect_right(self._events, (start, float("inf"), float("inf")))
            for _, event_chat, message_id in self._events[index:]:
                if event_chat != chat_id:
                    continue
                message = self.message(chat_id, message_id)
                if message is None or message.deleted:
                    continue
                if predicate is None or predicate(message):
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                recent = [(m.message_id, m.text or m.caption) for m in self.chat(chat_id)[-5:]]
                raise TimeoutError(
                    f"no matching bot message in chat {chat_id} within {timeout}s; "
                    f"recent messages: {recent}"
                )
            await self._bot_pulse.wait(remaining)
