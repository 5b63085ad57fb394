"""TelegramState: what a fake Telegram holds: the bot, its users and groups, every chat's
messages, files, commands, callback queries, Stars payments and the updates queue.

Everything runs on one asyncio loop and mutates state synchronously, so no locks are needed.
Listeners (the web chat) hear every change through `subscribe`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from aiogram.types import Update

from .errors import blocked, chat_not_found, missing, too_many_requests
from .limits import LimitSettings, MonotonicClock, RateLimiter
from .models import (
    CallbackAnswer,
    CallbackQueryRecord,
    ChatState,
    Counters,
    GroupChat,
    Persona,
    StarPayment,
    StoredFile,
    StoredMessage,
    default_groups,
    default_personas,
)
from .pulse import Pulse
from .updates import Updates, WebhookConfig

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:SANDBOX"
_TOKEN_RE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")


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


class TelegramState:
    """The bot and the Telegram users who talk to it, with everything they exchanged.

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
        self._listeners: list[Callable[[dict[str, Any]], None]] = []

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
        self.updates = Updates(self.counters)

        self.commands: dict[tuple[tuple[Any, ...], str], list[dict[str, str]]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._callbacks: dict[str, CallbackQueryRecord] = {}
        self._answers: list[CallbackAnswer] = []
        self._answer_pulse = Pulse()
        self._pre_checkouts: dict[str, asyncio.Future[tuple[bool, str | None]]] = {}
        self.payments: dict[str, StarPayment] = {}
        self.invoice_links: dict[str, dict[str, Any]] = {}

        self._seq = 0
        self._last_user_seq = 0
        self._chat_user_seq: dict[int, int] = {}
        self._events: list[tuple[int, int, int]] = []
        self._bot_pulse = Pulse()
        self._closing = False

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
        self.notify({"type": "state"})
        return persona

    def add_group(self, group: GroupChat) -> GroupChat:
        if group.chat_id >= 0:
            raise ValueError("a group chat id is negative")
        self._groups[group.chat_id] = group
        self._chats.setdefault(group.chat_id, ChatState(group.as_chat()))
        self.notify({"type": "state"})
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

    def is_blocked(self, user_id: int) -> bool:
        state = self._chats.get(user_id)
        return bool(state and state.blocked)

    # ------------------------------------------------------------------ listeners (web chat)

    def subscribe(self, listener: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def notify(self, event: dict[str, Any]) -> None:
        for listener in list(self._listeners):
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
        self.notify({"type": "message", "message": message})
        return message

    def message_changed(self, message: StoredMessage) -> None:
        seq = self._next_seq()
        if message.from_bot:
            self._events.append((seq, message.chat_id, message.message_id))
            self._bot_pulse.fire()
        self.notify({"type": "message", "message": message})

    def message_deleted(self, message: StoredMessage) -> None:
        message.deleted = True
        self._next_seq()
        self.notify(
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
        self.notify({"type": "keyboard", "chat_id": state.chat_id, "keyboard": state.keyboard})

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

    def new_user_message(self, state: ChatState, persona: Persona, **fields: Any) -> StoredMessage:
        return StoredMessage(
            chat_id=state.chat_id,
            message_id=0,
            date=self.now(),
            from_bot=False,
            sender=persona.as_user(),
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
        return self.updates.push(kind, payload)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return self.updates.pending

    @property
    def webhook(self) -> WebhookConfig | None:
        return self.updates.webhook

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

    # ------------------------------------------------------------------ callback queries

    def callback_answers(self, chat_or_user_id: int) -> list[CallbackAnswer]:
        """Answers shown for clicks in that chat (or by that user)."""
        return [a for a in self._answers if chat_or_user_id in (a.chat_id, a.user_id)]

    def callback_query(self, query_id: str) -> CallbackQueryRecord | None:
        return self._callbacks.get(query_id)

    def record_answer(self, answer: CallbackAnswer) -> None:
        self._answers.append(answer)
        self._answer_pulse.fire()
        self.notify({"type": "callback_answer", "answer": answer})

    # ------------------------------------------------------------------ payments

    def _payment_message(
        self,
        persona: Persona,
        *,
        successful_payment: dict[str, Any] | None = None,
        refunded_payment: dict[str, Any] | None = None,
    ) -> StoredMessage:
        """A service message from the payer in their private chat (not stored yet)."""
        return self.new_user_message(
            self.chat_state(persona.user_id),
            persona,
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
        self.notify({"type": "message", "message": message})
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

    # ------------------------------------------------------------------ closing

    def reopen(self) -> None:
        """Serve again after close()."""
        self._closing = False
        self.updates.closed = False

    def close(self) -> None:
        """Release every waiter: long polls, tests' waits, payments waiting for the bot."""
        self._closing = True
        self.updates.close()
        self._bot_pulse.fire()
        self._answer_pulse.fire()
        self.notify({"type": "shutdown"})
        for future in self._pre_checkouts.values():
            if not future.done():
                future.cancel()
