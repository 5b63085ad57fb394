"""Webhook delivery: while a webhook is set, pending updates are POSTed to it in order,
retried with a back-off, and a reply that carries a method call runs that method."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .params import Params, UploadedFile
from .state import TelegramState
from .updates import WebhookConfig

# Runs a Bot API method for a webhook reply; the API hands its own in (it sits above).
MethodCall = Callable[[str, Params], Awaitable[Any]]


class WebhookDelivery:
    def __init__(self, state: TelegramState, call: MethodCall) -> None:
        self.state = state
        self.updates = state.updates
        self.call = call
        self._task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    def set(self, config: WebhookConfig | None, *, drop_pending: bool) -> None:
        self.updates.webhook = config
        self.state.notify({"type": "state"})
        if drop_pending:
            self.updates.drop_pending()
        self.updates.pulse.fire()
        if config is not None and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _loop(self) -> None:
        attempt = 0
        updates, delays = self.updates, self.state.webhook_retry_delays
        while not updates.closed and updates.webhook is not None:
            update = updates.first()
            if update is None:
                await updates.pulse.wait(None)
                continue
            if await self._deliver(updates.webhook, update):
                attempt = 0
                updates.delivered(update)
                continue
            delay = delays[min(attempt, len(delays) - 1)]
            attempt += 1
            await asyncio.sleep(delay)

    async def _deliver(self, config: WebhookConfig, update: dict[str, Any]) -> bool:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        counters = self.state.counters
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = config.secret_token
        try:
            async with self._http.post(
                config.url,
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.state.webhook_timeout),
                allow_redirects=False,
            ) as response:
                if 200 <= response.status < 300:
                    counters.webhook_deliveries += 1
                    config.last_error_message = None
                    self.updates.transport.fire()
                    await self._reply(response)
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except aiohttp.ClientError as exc:
            error = f"Connection error: {type(exc).__name__}"
        counters.webhook_failures += 1
        config.last_error_date = self.state.now()
        config.last_error_message = error
        self.updates.transport.fire()
        return False

    async def _reply(self, response: aiohttp.ClientResponse) -> None:
        """A webhook may answer with a method call in its body, as Telegram allows."""
        raw: dict[str, Any] = {}
        try:
            if response.content_type == "application/json":
                body = await response.json()
                if isinstance(body, dict):
                    raw = body
            elif response.content_type == "multipart/form-data":
                reader = aiohttp.MultipartReader.from_response(response)
                async for part in reader:
                    if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                        continue
                    if part.filename:
                        raw[part.name] = UploadedFile(
                            part.filename,
                            part.headers.get("Content-Type", "application/octet-stream"),
                            bytes(await part.read()),
                        )
                    else:
                        raw[part.name] = await part.text()
        except (ValueError, aiohttp.ClientError):
            return
        method = raw.pop("method", None)
        if isinstance(method, str) and method:
            await self.call(method, Params(raw))
