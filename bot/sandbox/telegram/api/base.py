"""BotApi: runs Bot API methods against the Telegram state, and what the methods share:
the registry, message text and entities, keyboards, replies, sending and editing checks.

The methods themselves live beside this module, grouped by what they touch; importing the
package registers them all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..entities import HtmlParseError, auto_entities, parse_html
from ..errors import ApiError, bad_request, missing, not_found
from ..keyboards import Markup, parse_inline_only, parse_markup
from ..limits import LimitSettings
from ..models import ChatState, StoredMessage
from ..params import Params
from ..state import TelegramState
from ..webhook import WebhookDelivery

log = logging.getLogger(__name__)

Method = Callable[["BotApi", Params], Awaitable[Any]]
METHODS: dict[str, tuple[str, Method]] = {}

ENTITY_KEYS = ("type", "offset", "length", "url", "user", "language", "custom_emoji_id")


def api_method(name: str) -> Callable[[Method], Method]:
    def register(func: Method) -> Method:
        METHODS[name.lower()] = (name, func)
        return func

    return register


def canonical_name(method: str) -> str | None:
    entry = METHODS.get(method.lower())
    return entry[0] if entry else None


class BotApi:
    """Runs Bot API methods against the state; owns the webhook delivery, whose replies
    may call methods in turn."""

    def __init__(self, state: TelegramState) -> None:
        self.state = state
        self.webhook = WebhookDelivery(state, self.call)

    async def call(self, method: str, params: Params) -> Any:
        """Run ``method``; raises ApiError (counted as a violation or a 429)."""
        entry = METHODS.get(method.lower())
        counters = self.state.counters
        if entry is None:
            counters.violations["unknown_method"] += 1
            raise not_found()
        name, func = entry
        counters.calls[name] += 1
        try:
            return await func(self, params)
        except ApiError as exc:
            if exc.code == 429:
                counters.too_many_requests += 1
            else:
                counters.violations[exc.kind] += 1
            raise

    # ------------------------------------------------------------------ helpers

    @property
    def limits(self) -> LimitSettings:
        return self.state.limits

    def format_text(
        self, p: Params, text: str, *, mode_field: str, entities_field: str
    ) -> tuple[str, list[dict[str, Any]]]:
        explicit = p.parsed(entities_field, error=f"can't parse {entities_field} JSON object")
        parse_mode = p.string(mode_field)
        if explicit is not None:
            entities = _clean_entities(explicit, entities_field)
        elif parse_mode:
            mode = parse_mode.lower()
            if mode == "html":
                try:
                    text, entities = parse_html(text, strict=self.limits.strict_html)
                except HtmlParseError as exc:
                    raise bad_request(str(exc), exc.kind) from exc
            elif mode in ("markdown", "markdownv2"):
                entities = []
            else:
                raise bad_request("unsupported parse_mode", "bad_parse_mode")
        else:
            entities = []
        return text, auto_entities(text, entities)

    def text_body(self, p: Params, field: str = "text") -> tuple[str, list[dict[str, Any]]]:
        raw = p.string(field, required=True, message="message text is empty")
        assert raw is not None
        text, entities = self.format_text(
            p, raw, mode_field="parse_mode", entities_field="entities"
        )
        if not text.strip():
            raise missing(field, "message text is empty")
        limit = self.limits.max_text_length
        if limit is not None and len(text) > limit:
            raise bad_request("message is too long", "message_too_long")
        return text, entities

    def caption_body(self, p: Params) -> tuple[str | None, list[dict[str, Any]]]:
        raw = p.string("caption")
        if raw is None:
            return None, []
        text, entities = self.format_text(
            p, raw, mode_field="parse_mode", entities_field="caption_entities"
        )
        limit = self.limits.max_caption_length
        if limit is not None and len(text) > limit:
            raise bad_request("message caption is too long", "caption_too_long")
        return (text or None), entities

    def markup(self, p: Params) -> Markup:
        value = p.parsed("reply_markup", error="can't parse reply keyboard markup JSON object")
        return parse_markup(value, max_callback_bytes=self.limits.max_callback_data_bytes)

    def inline_markup(self, p: Params) -> dict[str, Any] | None:
        value = p.parsed("reply_markup", error="can't parse reply keyboard markup JSON object")
        return parse_inline_only(value, max_callback_bytes=self.limits.max_callback_data_bytes)

    def reply_target(self, p: Params, state: ChatState) -> StoredMessage | None:
        params = p.parsed("reply_parameters", error="can't parse reply parameters JSON object")
        message_id: Any = None
        allow_missing = p.boolean("allow_sending_without_reply")
        target_state = state
        if isinstance(params, dict):
            message_id = params.get("message_id")
            allow_missing = bool(params.get("allow_sending_without_reply", allow_missing))
            if params.get("chat_id") not in (None, state.chat_id):
                target_state = self.state.chat_state(params["chat_id"])
        elif params is not None:
            raise bad_request("can't parse reply parameters JSON object", "invalid_json")
        else:
            message_id = p.integer("reply_to_message_id")
        if message_id is None:
            return None
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise bad_request("invalid reply_parameters specified")
        target = target_state.messages.get(message_id)
        if target is None or target.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found", "reply_not_found")
        return target

    def link_preview(self, p: Params) -> dict[str, Any] | None:
        options = p.parsed(
            "link_preview_options", error="can't parse link preview options JSON object"
        )
        if options is not None and not isinstance(options, dict):
            raise bad_request("can't parse link preview options JSON object", "invalid_json")
        if options is None and p.boolean("disable_web_page_preview"):
            options = {"is_disabled": True}
        return options

    def deliver(
        self, state: ChatState, message: StoredMessage, markup: Markup | None = None
    ) -> StoredMessage:
        """Blocked and flood checks, then store; counts a sent message."""
        self.state.check_can_send(state)
        self.state.store_message(state, message)
        self.state.counters.sent += 1
        if markup is not None:
            self.state.set_keyboard(state, markup.other)
        return message

    def editable(self, p: Params) -> tuple[ChatState, StoredMessage]:
        if "inline_message_id" in p:
            raise bad_request("MESSAGE_ID_INVALID", "message_not_found")
        state = self.state.chat_state(p.chat_id())
        message_id = p.integer(
            "message_id", required=True, message="message identifier is not specified"
        )
        message = state.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise bad_request("message to edit not found", "message_not_found")
        if not message.from_bot:
            raise bad_request("message can't be edited", "message_cant_be_edited")
        self.state.check_can_send(state, counts_as_message=False)
        return state, message

    def edited(self, state: ChatState, message: StoredMessage) -> dict[str, Any]:
        message.edit_date = self.state.now()
        self.state.counters.edited += 1
        self.state.message_changed(message)
        return message.to_api()


def _clean_entities(value: Any, field: str) -> list[dict[str, Any]]:
    error = bad_request(f"can't parse {field} JSON object", "invalid_json")
    if not isinstance(value, list):
        raise error
    entities: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict):
            raise error
        kind, offset, length = item.get("type"), item.get("offset"), item.get("length")
        if not isinstance(kind, str) or not isinstance(offset, int) or not isinstance(length, int):
            raise error
        if offset < 0 or length <= 0:
            continue
        entities.append({k: item[k] for k in ENTITY_KEYS if item.get(k) is not None})
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return entities
