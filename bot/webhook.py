"""The webhook's request handler (webhook mode, bot/runners/webhook.py): Telegram POSTs each
update to this process.

Every request is checked before anything runs, and refused with one log line:

- no X-Telegram-Bot-Api-Secret-Token, or not WEBHOOK_SECRET: 401;
- a body larger than MAX_BODY_BYTES: 413;
- a body that is not JSON, or not an Update (no integer update_id, a malformed field): 400;
- the process is shutting down: 503 (Telegram sends it again, to another replica).

A valid update is answered 200 at once and handled in the background. Telegram waits 60 s
for the answer and then sends the update again; placing an order may wait up to the
panel's `add` timeout (60 s and more) on top of the database, so waiting for the handler
would let Telegram re-deliver a Confirm that is still being placed. Answering first keeps
every request far inside that window. The price: an update accepted by a replica that then
dies mid-handling is not re-delivered (the same as polling, where getUpdates confirms the
offset before handling); what a handler had committed stays, and an interrupted placement
is recovered by the status poller (`submitting` -> `unknown`).

In-flight handlers are bounded (`max_in_flight`): beyond it the answer waits for a free
slot, which slows Telegram down instead of piling up tasks. `drain()` refuses new updates
and waits for those in flight (graceful shutdown).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from aiohttp import web
from pydantic import ValidationError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_IN_FLIGHT = 256
# Larger bodies are refused with 413 before they are read in full. A Telegram update is a
# few kilobytes; the largest (a message with a long caption, entities and a keyboard)
# stay far below this.
MAX_BODY_BYTES = 1 << 20


class WebhookHandler:
    """POST handler: validate, answer, handle in the background; `drain()` on shutdown."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        secret: str,
        *,
        max_body: int = MAX_BODY_BYTES,
        max_in_flight: int = MAX_IN_FLIGHT,
        rejected: Any = None,
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret")
        self.dp = dp
        self.bot = bot
        self._secret = secret.encode()
        self.max_body = max_body
        self.accepting = False
        self._rejected = rejected  # a prometheus Counter with a `reason` label, or None
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self.accepted = 0
        self.refused = 0

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    def _refuse(self, request: web.Request, status: int, reason: str) -> web.Response:
        self.refused += 1
        if self._rejected is not None:
            self._rejected.labels(reason=reason).inc()
        log.warning(
            "webhook: refused %s %s from %s: %s",
            request.method,
            request.path,
            request.remote,
            reason,
        )
        return web.json_response({"ok": False, "error": reason}, status=status)

    def _authorised(self, request: web.Request) -> bool:
        given = request.headers.get(SECRET_HEADER)
        return given is not None and hmac.compare_digest(given.encode(), self._secret)

    async def handle(self, request: web.Request) -> web.Response:
        if not self.accepting:
            response = self._refuse(request, 503, "shutting down")
            response.headers["Retry-After"] = "1"
            return response
        if not self._authorised(request):
            return self._refuse(request, 401, "wrong or missing secret token")
        if request.content_length is not None and request.content_length > self.max_body:
            return self._refuse(request, 413, f"body of {request.content_length} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(request, 413, f"body over {self.max_body} bytes")
        update = self._parse(body)
        if isinstance(update, str):
            return self._refuse(request, 400, update)
        try:
            kind = update.event_type
        except UpdateTypeLookupError:
            # Update-shaped, of a kind this bot never asked for: acknowledged, not handled.
            log.info("webhook: update %s of an unknown kind ignored", update.update_id)
            return web.json_response({})
        await self._slots.acquire()
        if not self.accepting:  # shutdown began while this one waited for a slot
            self._slots.release()
            response = self._refuse(request, 503, "shutting down")
            response.headers["Retry-After"] = "1"
            return response
        task = asyncio.create_task(self._process(update), name=f"update-{update.update_id}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        self.accepted += 1
        log.debug("webhook: update %s (%s) accepted", update.update_id, kind)
        return web.json_response({})

    def _parse(self, body: bytes) -> Update | str:
        """The Update, or why the body is not one."""
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return "body is not JSON"
        if not isinstance(data, dict):
            return "body is not a JSON object"
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return "no integer update_id"
        try:
            return Update.model_validate(data, context={"bot": self.bot})
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            return f"not an Update ({where}: {first['msg']})"

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _process(self, update: Update) -> None:
        try:
            result = await self.dp.feed_update(self.bot, update)
            if isinstance(result, TelegramMethod):
                await self.dp.silent_call_request(bot=self.bot, result=result)
            elif result is UNHANDLED:
                log.debug("webhook: update %s not handled", update.update_id)
        except Exception:
            log.exception("webhook: update %s failed", update.update_id)

    async def drain(self, timeout: float) -> int:
        """Stop accepting and wait for the updates in flight; returns how many were still
        running at `timeout` (cancelled)."""
        self.accepting = False
        pending = set(self._tasks)
        if not pending:
            return 0
        log.info("webhook: waiting for %d update(s) in flight", len(pending))
        _done, left = await asyncio.wait(pending, timeout=timeout)
        for task in left:
            task.cancel()
        for task in left:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if left:
            log.warning("webhook: %d update(s) cancelled at shutdown", len(left))
        return len(left)


__all__ = ["MAX_BODY_BYTES", "SECRET_HEADER", "WebhookHandler"]
