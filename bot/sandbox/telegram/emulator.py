"""TelegramEmulator: the state of a fake Telegram and the driver API tests use.

The Bot API methods themselves live in ``api.py``; the HTTP server in ``server.py``; the web
chat in ``webchat.py``. Everything runs on one asyncio loop and mutates state synchronously,
so no locks are needed.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import logging
import re
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiogram.types import Update
from aiohttp import web

from .entities import command_entities
from .errors import ApiError, blocked, chat_not_found, missing, too_many_requests
from .limits import LimitSettings, MonotonicClock, RateLimiter
from .models import (
    CallbackAnswer,
    CallbackQueryRecord,
    ChatState,
    Counters,
    GroupChat,
    PaymentOutcome,
    Persona,
    StarPayment,
    StoredFile,
    StoredMessage,
    default_groups,
    default_personas,
)
from .params import Params, UploadedFile

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:SANDBOX"
DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class _Pulse:
    """Wakes every waiter when fired; checking state and waiting never race on one loop."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def fire(self) -> None:
        if self._event is not None:
            self._event.set()
            self._event = None

    async def wait(self, timeout: float | None) -> None:
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


def _wall_clock_from(clock: Any) -> Callable[[], float]:
    if clock is not None and hasattr(clock, "now"):
        return lambda: clock.now().timestamp()
    return time.time


def _monotonic_from(clock: Any) -> MonotonicClock:
    if clock is None:
        return time.monotonic
    if hasattr(clock, "now"):
        return lambda: clock.now().timestamp()
    return clock


class TelegramEmulator:
    """A Bot API server and the Telegram users who talk to the bot.

    ``limits``: True (Telegram's limits), False (none), or a ``LimitSettings``.
    ``clock``: a monotonic ``() -> float`` for the rate limiter (``time.monotonic`` by
    default), or an object with ``now() -> datetime`` (``bot.clock.Clock``) that then also
    dates the messages.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        limits: bool | LimitSettings = True,
        personas: Sequence[Persona] | None = None,
        *,
        groups: Sequence[GroupChat] | None = None,
        clock: Any = None,
        bot_name: str = "Sandbox Shop",
        bot_username: str = "sandbox_shop_bot",
        webhook_retry_delays: Sequence[float] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0),
        webhook_timeout: float = 30.0,
        pre_checkout_timeout: float = 10.0,
        max_stars_amount: int = 100_000,
    ) -> None:
        if not _TOKEN_RE.match(token):
            raise ValueError(f"not a bot token: {token!r} (expected '<digits>:<secret>')")
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_name = bot_name
        self.bot_username = bot_username
        self.counters = Counters()
        self._wall = _wall_clock_from(clock)
        self._settings = self._resolve_limits(limits)
        self.rate_limiter = RateLimiter(self._settings, clock=_monotonic_from(clock))
        self.webhook_retry_delays = tuple(webhook_retry_delays) or (1.0,)
        self.webhook_timeout = webhook_timeout
        self.pre_checkout_timeout = pre_checkout_timeout
        self.max_stars_amount = max_stars_amount

        self._personas: dict[int, Persona] = {}
        self._groups: dict[int, GroupChat] = {}
        self._chats: dict[int, ChatState] = {}
        for persona in default_personas() if personas is None else personas:
            self.add_persona(persona)
        for group in default_groups() if groups is None else groups:
            self.add_group(group)

        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._ids = itertools.count(1)
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self._update_pulse = _Pulse()
        self._poll_generation = 0
        self._transport_pulse = _Pulse()  # a poll arrived, a webhook delivery ended
        self._webhook: WebhookConfig | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

        self.commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._callbacks: dict[str, CallbackQueryRecord] = {}
        self._answers: list[CallbackAnswer] = []
        self._answer_pulse = _Pulse()
        self._pre_checkouts: dict[str, asyncio.Future[tuple[bool, str | None]]] = {}
        self.payments: dict[str, StarPayment] = {}
        self.invoice_links: dict[str, dict[str, Any]] = {}

        self._seq = 0
        self._last_user_seq = 0
        self._chat_user_seq: dict[int, int] = {}
        self._events: list[tuple[int, int, int]] = []
        self._bot_pulse = _Pulse()
        self._listeners: list[Callable[[dict[str, Any]], None]] = []

        self._closing = False
        self._app: web.Application | None = None
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

        from .api import BotApi  # the methods need the emulator; import here avoids a cycle

        self.api = BotApi(self)

    # ------------------------------------------------------------------ configuration

    @staticmethod
    def _resolve_limits(limits: bool | LimitSettings) -> LimitSettings:
        if isinstance(limits, LimitSettings):
            return limits
        return LimitSettings() if limits else LimitSettings.off()

    @property
    def limits(self) -> LimitSettings:
        return self._settings

    @limits.setter
    def limits(self, value: bool | LimitSettings) -> None:
        self._settings = self._resolve_limits(value)
        self.rate_limiter.settings = self._settings
        self.rate_limiter.reset()

    @property
    def personas(self) -> list[Persona]:
        return list(self._personas.values())

    @property
    def groups(self) -> list[GroupChat]:
        return list(self._groups.values())

    def persona(self, user_id: int) -> Persona:
        try:
            return self._personas[user_id]
        except KeyError:
            raise LookupError(f"no persona with id {user_id}") from None

    def add_persona(self, persona: Persona) -> Persona:
        if persona.user_id <= 0:
            raise ValueError("a user id is a positive integer")
        self._personas[persona.user_id] = persona
        self._notify({"type": "state"})
        return persona

    def add_group(self, group: GroupChat) -> GroupChat:
        if group.chat_id >= 0:
            raise ValueError("a group chat id is negative")
        self._groups[group.chat_id] = group
        self._chats.setdefault(group.chat_id, ChatState(group.as_chat()))
        self._notify({"type": "state"})
        return group

    def _persona_for(self, user_id: int) -> Persona:
        persona = self._personas.get(user_id)
        if persona is None:
            persona = self.add_persona(Persona(user_id, f"User {user_id}", f"user{user_id}", "en"))
        return persona

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def now(self) -> int:
        return int(self._wall())

    def new_id(self) -> int:
        return next(self._ids)

    # ------------------------------------------------------------------ lifecycle

    def build_app(self) -> web.Application:
        """The aiohttp application (Bot API + web chat), for embedding in another runner."""
        from .server import build_app

        if self._app is None:
            self._app = build_app(self)
        return self._app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on host:port (0: any free port); returns the base URL for aiogram."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self._closing = False
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
        self._closing = True
        self._update_pulse.fire()
        self._bot_pulse.fire()
        self._answer_pulse.fire()
        self._notify({"type": "shutdown"})
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for future in self._pre_checkouts.values():
            if not future.done():
                future.cancel()
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ listeners (web chat)

    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, event: dict[str, Any]) -> None:
        for listener in list(getattr(self, "_listeners", ())):
            try:
                listener(event)
            except Exception:  # a broken listener must not break the Bot API
                log.exception("web chat listener failed")

    # ------------------------------------------------------------------ chats and messages

    def chat_state(self, chat_ref: int | str | None) -> ChatState:
        """The chat for a Bot API chat_id (int or @username); 400 chat not found otherwise."""
        if chat_ref is None:
            raise missing("chat_id")
        if isinstance(chat_ref, str):
            name = chat_ref.removeprefix("@").lower()
            for persona in self._personas.values():
                if chat_ref.startswith("@") and (persona.username or "").lower() == name:
                    return self.chat_state(persona.user_id)
            for group in self._groups.values():
                if chat_ref.startswith("@") and (group.username or "").lower() == name:
                    return self.chat_state(group.chat_id)
            raise chat_not_found()
        state = self._chats.get(chat_ref)
        if state is None:
            known = self._personas.get(chat_ref)
            if known is None:
                raise chat_not_found()
            state = self._chats[chat_ref] = ChatState(known.as_private_chat())
        return state

    def chat(self, chat_id: int, *, include_deleted: bool = False) -> list[StoredMessage]:
        """Messages of a chat in order, both directions, as they are now."""
        state = self._chats.get(chat_id)
        if state is None:
            return []
        return [m for m in state.messages.values() if include_deleted or not m.deleted]

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        state = self._chats.get(chat_id)
        return state.messages.get(message_id) if state else None

    def last_bot_message(self, chat_id: int) -> StoredMessage | None:
        for message in reversed(self.chat(chat_id)):
            if message.from_bot:
                return message
        return None

    def bot_messages(self, chat_id: int) -> list[StoredMessage]:
        return [m for m in self.chat(chat_id) if m.from_bot]

    def keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The reply keyboard the chat shows now (None if none or removed)."""
        state = self._chats.get(chat_id)
        return state.keyboard if state else None

    def _user_acted(self, chat_id: int, seq: int) -> None:
        self._last_user_seq = seq
        self._chat_user_seq[chat_id] = seq

    def mark(self) -> int:
        """A position in the event log, for ``wait_for_bot_message(since=...)``."""
        return self._seq

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def store_message(self, state: ChatState, message: StoredMessage) -> StoredMessage:
        message.message_id = state.next_message_id
        state.next_message_id += 1
        state.messages[message.message_id] = message
        seq = self._next_seq()
        if message.from_bot:
            self._events.append((seq, state.chat_id, message.message_id))
            self._bot_pulse.fire()
        else:
            self._user_acted(state.chat_id, seq)
        self._notify({"type": "message", "message": message})
        return message

    def message_changed(self, message: StoredMessage) -> None:
        seq = self._next_seq()
        if message.from_bot:
            self._events.append((seq, message.chat_id, message.message_id))
            self._bot_pulse.fire()
        self._notify({"type": "message", "message": message})

    def message_deleted(self, message: StoredMessage) -> None:
        message.deleted = True
        self._next_seq()
        self._notify(
            {"type": "delete", "chat_id": message.chat_id, "message_id": message.message_id}
        )

    def set_keyboard(self, state: ChatState, markup: dict[str, Any] | None) -> None:
        if markup is None:
            return
        if "keyboard" in markup:
            state.keyboard = markup
        elif markup.get("remove_keyboard"):
            state.keyboard = None
        else:
            return
        self._notify({"type": "keyboard", "chat_id": state.chat_id, "keyboard": state.keyboard})

    def new_bot_message(self, state: ChatState, **fields: Any) -> StoredMessage:
        return StoredMessage(
            chat_id=state.chat_id,
            message_id=0,
            date=self.now(),
            from_bot=True,
            sender=self.bot_user,
            chat=state.chat,
            **fields,
        )

    def check_can_send(self, state: ChatState, *, counts_as_message: bool = True) -> None:
        """403 if the user blocked the bot; 429 if a flood limit is hit."""
        if state.blocked:
            raise blocked()
        if counts_as_message:
            retry_after = self.rate_limiter.acquire(state.chat_id, is_group=state.is_group)
            if retry_after is not None:
                raise too_many_requests(retry_after)

    # ------------------------------------------------------------------ updates

    def push_update(self, kind: str, payload: dict[str, Any]) -> Update:
        data = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self.counters.updates += 1
        allowed = self._allowed_updates
        if self._webhook is not None and self._webhook.allowed_updates:
            allowed = frozenset(self._webhook.allowed_updates)
        if kind in allowed:
            self._updates.append(data)
            self._update_pulse.fire()
        return Update.model_validate(data)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    def set_allowed_updates(self, allowed: Iterable[str] | None) -> None:
        values = frozenset(allowed or ())
        self._allowed_updates = values or DEFAULT_UPDATE_TYPES

    def confirm_updates(self, offset: int) -> None:
        if offset > 0:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        elif offset < 0:
            keep = -offset
            while len(self._updates) > keep:
                self._updates.popleft()

    async def long_poll(self, limit: int, timeout: float) -> list[dict[str, Any]]:
        self._poll_generation += 1
        generation = self._poll_generation
        self._update_pulse.fire()  # an older poll ends with 409 Conflict
        self.counters.polls += 1
        self._transport_pulse.fire()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self._updates or timeout <= 0 or self._closing:
                return list(itertools.islice(self._updates, limit))
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            await self._update_pulse.wait(remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                    kind="conflict",
                )
            if self._webhook is not None:
                return []

    # ------------------------------------------------------------------ webhook

    @property
    def webhook(self) -> WebhookConfig | None:
        return self._webhook

    def set_webhook(self, config: WebhookConfig | None, *, drop_pending: bool) -> None:
        self._webhook = config
        self._notify({"type": "state"})
        if drop_pending:
            self._updates.clear()
        self._update_pulse.fire()
        if config is not None and (self._webhook_task is None or self._webhook_task.done()):
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())

    async def _webhook_loop(self) -> None:
        attempt = 0
        while not self._closing and self._webhook is not None:
            if not self._updates:
                await self._update_pulse.wait(None)
                continue
            update = self._updates[0]
            if await self._deliver(self._webhook, update):
                attempt = 0
                if self._updates and self._updates[0] is update:
                    self._updates.popleft()
                continue
            delay = self.webhook_retry_delays[min(attempt, len(self.webhook_retry_delays) - 1)]
            attempt += 1
            await asyncio.sleep(delay)

    async def _deliver(self, config: WebhookConfig, update: dict[str, Any]) -> bool:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = config.secret_token
        try:
            async with self._http.post(
                config.url,
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
                allow_redirects=False,
            ) as response:
                if 200 <= response.status < 300:
                    self.counters.webhook_deliveries += 1
                    config.last_error_message = None
                    self._transport_pulse.fire()
                    await self._webhook_reply(response)
                    return True
                error = f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except aiohttp.ClientError as exc:
            error = f"Connection error: {type(exc).__name__}"
        self.counters.webhook_failures += 1
        config.last_error_date = self.now()
        config.last_error_message = error
        self._transport_pulse.fire()
        return False

    async def _webhook_reply(self, response: aiohttp.ClientResponse) -> None:
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
            await self.api.call(method, Params(raw))

    # ------------------------------------------------------------------ files

    def add_file(self, file: StoredFile) -> StoredFile:
        self._files[file.file_id] = file
        if file.file_path:
            self._file_paths[file.file_path] = file
        return file

    def file(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def file_by_path(self, path: str) -> StoredFile | None:
        return self._file_paths.get(path)

    # ------------------------------------------------------------------ driver: users act

    def _user_chat(self, user_id: int, chat_id: int | None) -> tuple[Persona, ChatState]:
        persona = self._persona_for(user_id)
        if chat_id is None or chat_id == user_id:
            return persona, self.chat_state(user_id)
        state = self._chats.get(chat_id)
        if state is None:
            raise LookupError(f"no chat {chat_id}")
        return persona, state

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> Update:
        """The user sends ``text`` (to the bot, or into ``chat_id``, a group)."""
        if not text:
            raise ValueError("a Telegram message cannot be empty")
        persona, state = self._user_chat(user_id, chat_id)
        if state.blocked:
            self.unblock(user_id)
        message = StoredMessage(
            chat_id=state.chat_id,
            message_id=0,
            date=self.now(),
            from_bot=False,
            sender=persona.as_user(),
            chat=state.chat,
            text=text,
            entities=command_entities(text),
            reply_to=state.messages.get(reply_to) if reply_to is not None else None,
        )
        self.store_message(state, message)
        return self.push_update("message", message.to_api())

    async def click(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        check: bool = True,
    ) -> Update:
        """The user presses an inline button; ``check=False`` allows forged callback data."""
        persona, state = self._user_chat(user_id, chat_id)
        message = state.messages.get(message_id)
        if message is None or message.deleted:
            raise LookupError(f"no message {message_id} in chat {state.chat_id}")
        if check and not any(b.get("callback_data") == callback_data for b in message.buttons):
            raise LookupError(
                f"message {message_id} has no button with callback_data {callback_data!r}: "
                f"{message.buttons}"
            )
        query_id = str(4_000_000_000_000_000 + self.new_id())
        self._callbacks[query_id] = CallbackQueryRecord(
            query_id, persona.user_id, state.chat_id, message_id, callback_data
        )
        self._user_acted(state.chat_id, self._next_seq())
        payload = {
            "id": query_id,
            "from": persona.as_user(),
            "message": message.to_api(),
            "chat_instance": str(zlib.crc32(f"{self.bot_id}:{state.chat_id}".encode())),
            "data": callback_data,
        }
        return self.push_update("callback_query", payload)

    async def click_button(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> Update:
        """Press the button labelled ``text`` on the latest bot message that has it."""
        _, state = self._user_chat(user_id, chat_id)
        candidates = [
            m
            for m in reversed(self.chat(state.chat_id))
            if m.from_bot and (message_id is None or m.message_id == message_id)
        ]
        for message in candidates:
            for button in message.buttons:
                if button["text"] == text and "callback_data" in button:
                    return await self.click(
                        user_id, message.message_id, button["callback_data"], chat_id=chat_id
                    )
        raise LookupError(f"no callback button {text!r} in chat {state.chat_id}")

    async def press_reply_button(self, user_id: int, text: str) -> Update:
        """Press a reply-keyboard button: the client sends its text."""
        keyboard = self.keyboard(user_id) or {}
        labels = [b["text"] for row in keyboard.get("keyboard", []) for b in row]
        if text not in labels:
            raise LookupError(f"no reply button {text!r}: {labels}")
        return await self.send_text(user_id, text)

    def callback_answers(self, chat_or_user_id: int) -> list[CallbackAnswer]:
        """Answers shown for clicks in that chat (or by that user)."""
        return [a for a in self._answers if chat_or_user_id in (a.chat_id, a.user_id)]

    def callback_query(self, query_id: str) -> CallbackQueryRecord | None:
        return self._callbacks.get(query_id)

    def record_answer(self, answer: CallbackAnswer) -> None:
        self._answers.append(answer)
        self._answer_pulse.fire()
        self._notify({"type": "callback_answer", "answer": answer})

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
            await self._transport_pulse.wait(remaining)
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

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to them get 403 until unblock()."""
        self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> None:
        self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, value: bool) -> None:
        persona = self._persona_for(user_id)
        state = self.chat_state(user_id)
        if state.blocked == value:
            return
        state.blocked = value
        old, new = ("member", "kicked") if value else ("kicked", "member")
        member: dict[str, Any] = {"status": new, "user": self.bot_user}
        if new == "kicked":
            member["until_date"] = 0
        previous: dict[str, Any] = {"status": old, "user": self.bot_user}
        if old == "kicked":
            previous["until_date"] = 0
        self.push_update(
            "my_chat_member",
            {
                "chat": state.chat,
                "from": persona.as_user(),
                "date": self.now(),
                "old_chat_member": previous,
                "new_chat_member": member,
            },
        )
        self._notify({"type": "blocked", "user_id": user_id, "blocked": value})

    def is_blocked(self, user_id: int) -> bool:
        state = self._chats.get(user_id)
        return bool(state and state.blocked)

    # ------------------------------------------------------------------ driver: payments

    async def pay(
        self,
        user_id: int,
        message_id: int,
        *,
        chat_id: int | None = None,
        timeout: float | None = None,
    ) -> PaymentOutcome:
        """Pay an invoice message: pre_checkout_query, then (if the bot says ok)
        the successful_payment message. Returns the outcome."""
        persona, state = self._user_chat(user_id, chat_id)
        message = state.messages.get(message_id)
        if message is None or message.deleted or message.invoice is None:
            raise LookupError(f"no invoice message {message_id} in chat {state.chat_id}")
        if message.paid_charge_id is not None:
            return PaymentOutcome(False, "", error_message="This invoice has already been paid")
        outcome = await self._run_payment(
            persona,
            currency=message.invoice["currency"],
            total_amount=message.invoice["total_amount"],
            payload=message.invoice_payload or "",
            timeout=timeout,
        )
        if outcome.ok:
            message.paid_charge_id = outcome.telegram_payment_charge_id
            self._notify({"type": "message", "message": message})
        return outcome

    async def pay_link(
        self, user_id: int, link: str, *, timeout: float | None = None
    ) -> PaymentOutcome:
        """Pay an invoice link made by createInvoiceLink."""
        invoice = self.invoice_links.get(link)
        if invoice is None:
            raise LookupError(f"unknown invoice link {link}")
        return await self._run_payment(
            self._persona_for(user_id),
            currency=invoice["currency"],
            total_amount=invoice["total_amount"],
            payload=invoice["payload"],
            timeout=timeout,
        )

    async def _run_payment(
        self,
        persona: Persona,
        *,
        currency: str,
        total_amount: int,
        payload: str,
        timeout: float | None,
    ) -> PaymentOutcome:
        query_id = str(5_000_000_000_000_000 + self.new_id())
        future: asyncio.Future[tuple[bool, str | None]] = asyncio.get_running_loop().create_future()
        self._pre_checkouts[query_id] = future
        self._user_acted(persona.user_id, self._next_seq())
        self.push_update(
            "pre_checkout_query",
            {
                "id": query_id,
                "from": persona.as_user(),
                "currency": currency,
                "total_amount": total_amount,
                "invoice_payload": payload,
            },
        )
        wait = self.pre_checkout_timeout if timeout is None else timeout
        try:
            ok, error = await asyncio.wait_for(future, wait)
        except TimeoutError:
            return PaymentOutcome(
                False, query_id, error_message="the bot did not answer the pre-checkout query"
            )
        except asyncio.CancelledError:
            if future.cancelled() and self._closing:
                return PaymentOutcome(False, query_id, error_message="the emulator stopped")
            raise
        finally:
            self._pre_checkouts.pop(query_id, None)
        if not ok:
            return PaymentOutcome(False, query_id, error_message=error)
        charge_id = "stxsbx" + secrets.token_urlsafe(24)
        self.payments[charge_id] = StarPayment(
            charge_id, persona.user_id, currency, total_amount, payload
        )
        state = self.chat_state(persona.user_id)
        message = self._payment_message(
            persona,
            successful_payment={
                "currency": currency,
                "total_amount": total_amount,
                "invoice_payload": payload,
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": (
                    "" if currency == "XTR" else "sbx_provider_" + secrets.token_hex(8)
                ),
            },
        )
        self.store_message(state, message)
        update = self.push_update("message", message.to_api())
        return PaymentOutcome(
            True, query_id, telegram_payment_charge_id=charge_id, message=message, update=update
        )

    def _payment_message(
        self,
        persona: Persona,
        *,
        successful_payment: dict[str, Any] | None = None,
        refunded_payment: dict[str, Any] | None = None,
    ) -> StoredMessage:
        """A service message from the payer in their private chat (not stored yet)."""
        state = self.chat_state(persona.user_id)
        return StoredMessage(
            chat_id=state.chat_id,
            message_id=0,
            date=self.now(),
            from_bot=False,
            sender=persona.as_user(),
            chat=state.chat,
            successful_payment=successful_payment,
            refunded_payment=refunded_payment,
        )

    def answer_pre_checkout(self, query_id: str, ok: bool, error: str | None) -> bool:
        future = self._pre_checkouts.get(query_id)
        if future is None or future.done():
            return False
        future.set_result((ok, error))
        return True

    def refund(self, payment: StarPayment) -> None:
        payment.refunded = True
        state = self.chat_state(payment.user_id)
        message = self._payment_message(
            self._persona_for(payment.user_id),
            refunded_payment={
                "currency": payment.currency,
                "total_amount": payment.total_amount,
                "invoice_payload": payment.invoice_payload,
                "telegram_payment_charge_id": payment.telegram_payment_charge_id,
            },
        )
        message.message_id = state.next_message_id
        state.next_message_id += 1
        state.messages[message.message_id] = message
        self._next_seq()
        self._notify({"type": "message", "message": message})
        self.push_update("message", message.to_api())

    def stars_balance(self) -> int:
        return sum(p.total_amount for p in self.payments.values() if not p.refunded)

    # ------------------------------------------------------------------ commands menu

    def commands_for(self, user_id: int, chat_id: int | None = None) -> list[dict[str, str]]:
        """The command menu a Telegram client would show this user in that chat."""
        persona = self._personas.get(user_id)
        language = (persona.language_code if persona else None) or ""
        chat_id = user_id if chat_id is None else chat_id
        if chat_id > 0:
            scopes: list[tuple[Any, ...]] = [("chat", chat_id), ("all_private_chats",)]
        else:
            group = self._groups.get(chat_id)
            is_admin = bool(persona and persona.is_admin_hint and group)
            scopes = [("chat_member", chat_id, user_id)]
            if is_admin:
                scopes.append(("chat_administrators", chat_id))
            scopes.append(("chat", chat_id))
            if is_admin:
                scopes.append(("all_chat_administrators",))
            scopes.append(("all_group_chats",))
        scopes.append(("default",))
        for scope in scopes:
            for lang in (language, ""):
                commands = self.commands.get((scope, lang))
                if commands:
                    return commands
        return []
