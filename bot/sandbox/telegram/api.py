"""The Bot API methods: validation, Telegram's error texts, and the objects they return."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .entities import HtmlParseError, auto_entities, parse_html
from .errors import ApiError, bad_request, missing, not_found
from .files import extension_for, guess_mime, image_info, name_from_url
from .keyboards import Markup, parse_inline_only, parse_markup
from .models import CallbackAnswer, ChatState, StoredFile, StoredMessage
from .params import Params, UploadedFile

if TYPE_CHECKING:
    from .emulator import TelegramEmulator

log = logging.getLogger(__name__)

Method = Callable[["BotApi", Params], Awaitable[Any]]
METHODS: dict[str, tuple[str, Method]] = {}

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SCOPES_PLAIN = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
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
    """Runs Bot API methods against an emulator's state."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self.emu = emulator

    async def call(self, method: str, params: Params) -> Any:
        """Run ``method``; raises ApiError (counted as a violation or a 429)."""
        entry = METHODS.get(method.lower())
        counters = self.emu.counters
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
    def limits(self) -> Any:
        return self.emu.limits

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
                target_state = self.emu.chat_state(params["chat_id"])
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
        self.emu.check_can_send(state)
        self.emu.store_message(state, message)
        self.emu.counters.sent += 1
        if markup is not None:
            self.emu.set_keyboard(state, markup.other)
        return message

    def editable(self, p: Params) -> tuple[ChatState, StoredMessage]:
        if "inline_message_id" in p:
            raise bad_request("MESSAGE_ID_INVALID", "message_not_found")
        state = self.emu.chat_state(p.chat_id())
        message_id = p.integer(
            "message_id", required=True, message="message identifier is not specified"
        )
        message = state.messages.get(message_id or 0)
        if message is None or message.deleted:
            raise bad_request("message to edit not found", "message_not_found")
        if not message.from_bot:
            raise bad_request("message can't be edited", "message_cant_be_edited")
        self.emu.check_can_send(state, counts_as_message=False)
        return state, message

    def edited(self, state: ChatState, message: StoredMessage) -> dict[str, Any]:
        message.edit_date = self.emu.now()
        self.emu.counters.edited += 1
        self.emu.message_changed(message)
        return message.to_api()

    def input_file(self, p: Params, field: str, kind: str) -> StoredFile:
        value = p.file(field)
        if value is None:
            raise bad_request(f"there is no {field} in the request", "missing_field")
        if isinstance(value, UploadedFile):
            return self.store_upload(value, kind)
        known = self.emu.file(value)
        if known is not None:
            if known.kind != kind:
                raise bad_request(
                    f"can't use file of type {known.kind.title()} as {kind.title()}",
                    "file_invalid",
                )
            return known
        if re.match(r"^https?://[^\s/]+", value):
            return self.emu.add_file(
                StoredFile(
                    file_id=_file_id(kind),
                    file_unique_id=_unique_id(),
                    kind=kind,
                    url=value,
                    filename=name_from_url(value),
                    mime_type=guess_mime(name_from_url(value), None),
                    width=512 if kind == "photo" else 0,
                    height=512 if kind == "photo" else 0,
                )
            )
        raise bad_request("wrong file identifier/HTTP URL specified", "file_invalid")

    def store_upload(self, upload: UploadedFile, kind: str) -> StoredFile:
        number = self.emu.new_id()
        mime = guess_mime(upload.filename, upload.content_type)
        width = height = 0
        if kind == "photo":
            info = image_info(upload.data)
            if info is None:
                raise bad_request("IMAGE_PROCESS_FAILED", "file_invalid")
            mime, width, height = info
        if not upload.data:
            raise bad_request("file must be non-empty", "file_invalid")
        ext = extension_for(mime, upload.filename)
        folder = "photos" if kind == "photo" else "documents"
        return self.emu.add_file(
            StoredFile(
                file_id=_file_id(kind),
                file_unique_id=_unique_id(),
                kind=kind,
                data=upload.data,
                filename=upload.filename,
                mime_type=mime,
                width=width,
                height=height,
                file_path=f"{folder}/file_{number}.{ext}",
            )
        )


def _file_id(kind: str) -> str:
    prefix = "AgACAgIAAxkBAA" if kind == "photo" else "BQACAgIAAxkBAA"
    return prefix + secrets.token_urlsafe(30)


def _unique_id() -> str:
    return "AQAD" + secrets.token_urlsafe(9)


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


def _scope_key(emu: TelegramEmulator, p: Params) -> tuple[Any, ...]:
    scope = p.parsed("scope", error="can't parse BotCommandScope JSON object")
    if scope is None:
        return ("default",)
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object", "invalid_json")
    kind = scope["type"]
    if kind in SCOPES_PLAIN:
        return (kind,)
    if kind in ("chat", "chat_administrators", "chat_member"):
        state = emu.chat_state(scope.get("chat_id"))
        if kind == "chat_member":
            user_id = scope.get("user_id")
            if not isinstance(user_id, int):
                raise bad_request("user not found", "user_not_found")
            return (kind, state.chat_id, user_id)
        return (kind, state.chat_id)
    raise bad_request("wrong scope type specified", "invalid_scope")


def _language(p: Params) -> str:
    language = p.string("language_code") or ""
    if language and not re.match(r"^[a-z]{2}$", language):
        raise bad_request("LANG_CODE_INVALID", "invalid_language")
    return language


# ---------------------------------------------------------------------- bot and updates


@api_method("getMe")
async def get_me(api: BotApi, p: Params) -> Any:
    return {
        **api.emu.bot_user,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("logOut")
async def log_out(api: BotApi, p: Params) -> Any:
    return True


@api_method("close")
async def close(api: BotApi, p: Params) -> Any:
    return True


@api_method("getUpdates")
async def get_updates(api: BotApi, p: Params) -> Any:
    emu = api.emu
    if emu.webhook is not None:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
            kind="conflict",
        )
    offset = p.integer("offset") or 0
    limit = p.integer("limit") or 100
    limit = min(max(limit, 1), 100)
    timeout = min(max(p.integer("timeout") or 0, 0), 50)
    allowed = p.parsed("allowed_updates", error="can't parse allowed updates JSON object")
    if allowed is not None:
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            raise bad_request("can't parse allowed updates JSON object", "invalid_json")
        emu.set_allowed_updates(allowed)
    emu.confirm_updates(offset)
    return await emu.long_poll(limit, timeout)


@api_method("setWebhook")
async def set_webhook(api: BotApi, p: Params) -> Any:
    from .emulator import WebhookConfig

    url = p.string("url") or ""
    drop = p.boolean("drop_pending_updates")
    if not url:
        api.emu.set_webhook(None, drop_pending=drop)
        return True
    if not re.match(r"^https?://[^\s/]+", url):
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    secret = p.string("secret_token")
    if secret is not None and not re.match(r"^[A-Za-z0-9_-]{1,256}$", secret):
        raise bad_request("secret token contains unallowed characters", "invalid_secret")
    allowed = p.parsed("allowed_updates", error="can't parse allowed updates JSON object")
    if allowed is not None and not isinstance(allowed, list):
        raise bad_request("can't parse allowed updates JSON object", "invalid_json")
    max_connections = min(max(p.integer("max_connections") or 40, 1), 100)
    api.emu.set_webhook(
        WebhookConfig(url, secret, max_connections, allowed or None), drop_pending=drop
    )
    return True


@api_method("deleteWebhook")
async def delete_webhook(api: BotApi, p: Params) -> Any:
    api.emu.set_webhook(None, drop_pending=p.boolean("drop_pending_updates"))
    return True


@api_method("getWebhookInfo")
async def get_webhook_info(api: BotApi, p: Params) -> Any:
    config = api.emu.webhook
    info: dict[str, Any] = {
        "url": config.url if config else "",
        "has_custom_certificate": False,
        "pending_update_count": len(api.emu.pending_updates),
    }
    if config is not None:
        info["max_connections"] = config.max_connections
        info["ip_address"] = "127.0.0.1"
        if config.allowed_updates:
            info["allowed_updates"] = config.allowed_updates
        if config.last_error_date is not None:
            info["last_error_date"] = config.last_error_date
        if config.last_error_message:
            info["last_error_message"] = config.last_error_message
    return info


# ---------------------------------------------------------------------- commands and profile


@api_method("setMyCommands")
async def set_my_commands(api: BotApi, p: Params) -> Any:
    value = p.parsed("commands", error="can't parse commands JSON object")
    if value is None:
        raise missing("commands", "commands must be non-empty")
    if not isinstance(value, list):
        raise bad_request("can't parse commands JSON object", "invalid_json")
    if len(value) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH", "invalid_commands")
    commands: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object", "invalid_json")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not COMMAND_RE.match(command):
            raise bad_request("BOT_COMMAND_INVALID", "invalid_commands")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID", "invalid_commands")
        commands.append({"command": command, "description": description})
    key = (_scope_key(api.emu, p), _language(p))
    if commands:
        api.emu.commands[key] = commands
    else:
        api.emu.commands.pop(key, None)
    api.emu._notify({"type": "commands"})
    return True


@api_method("getMyCommands")
async def get_my_commands(api: BotApi, p: Params) -> Any:
    return api.emu.commands.get((_scope_key(api.emu, p), _language(p)), [])


@api_method("deleteMyCommands")
async def delete_my_commands(api: BotApi, p: Params) -> Any:
    api.emu.commands.pop((_scope_key(api.emu, p), _language(p)), None)
    api.emu._notify({"type": "commands"})
    return True


def _profile_text(field: str, limit: int, method_get: str, method_set: str) -> None:
    async def setter(api: BotApi, p: Params) -> Any:
        value = p.string(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long", "too_long")
        key = (field, _language(p))
        if value:
            api.emu.bot_texts[key] = value
        else:
            api.emu.bot_texts.pop(key, None)
        return True

    async def getter(api: BotApi, p: Params) -> Any:
        language = _language(p)
        texts = api.emu.bot_texts
        default = api.emu.bot_name if field == "name" else ""
        return {field: texts.get((field, language), texts.get((field, ""), default))}

    api_method(method_set)(setter)
    api_method(method_get)(getter)


_profile_text("name", 64, "getMyName", "setMyName")
_profile_text("description", 512, "getMyDescription", "setMyDescription")
_profile_text("short_description", 120, "getMyShortDescription", "setMyShortDescription")


@api_method("setChatMenuButton")
async def set_chat_menu_button(api: BotApi, p: Params) -> Any:
    button = p.parsed("menu_button", error="can't parse menu button JSON object")
    chat_id = p.integer("chat_id")
    if button is None:
        api.emu.menu_buttons.pop(chat_id, None)
    elif isinstance(button, dict) and button.get("type") in ("commands", "default", "web_app"):
        api.emu.menu_buttons[chat_id] = button
    else:
        raise bad_request("can't parse menu button JSON object", "invalid_json")
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(api: BotApi, p: Params) -> Any:
    buttons = api.emu.menu_buttons
    chat_id = p.integer("chat_id")
    return buttons.get(chat_id) or buttons.get(None) or {"type": "commands"}


@api_method("getChat")
async def get_chat(api: BotApi, p: Params) -> Any:
    state = api.emu.chat_state(p.chat_id())
    return {
        **state.chat,
        "accent_color_id": abs(state.chat_id) % 7,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


@api_method("getChatMember")
async def get_chat_member(api: BotApi, p: Params) -> Any:
    emu = api.emu
    state = emu.chat_state(p.chat_id())
    user_id = p.integer("user_id", required=True, message="user not found")
    if user_id == emu.bot_id:
        return {"status": "member", "user": emu.bot_user}
    persona = next((x for x in emu.personas if x.user_id == user_id), None)
    if persona is None:
        raise bad_request("user not found", "user_not_found")
    if not state.is_group:
        if state.chat_id != user_id:
            raise bad_request("user not found", "user_not_found")
        if state.blocked:
            return {"status": "kicked", "user": persona.as_user(), "until_date": 0}
        return {"status": "member", "user": persona.as_user()}
    group = next(g for g in emu.groups if g.chat_id == state.chat_id)
    if user_id not in group.member_ids:
        return {"status": "left", "user": persona.as_user()}
    if persona.is_admin_hint:
        return {"status": "creator", "user": persona.as_user(), "is_anonymous": False}
    return {"status": "member", "user": persona.as_user()}


# ---------------------------------------------------------------------- sending


@api_method("sendMessage")
async def send_message(api: BotApi, p: Params) -> Any:
    state = api.emu.chat_state(p.chat_id())
    text, entities = api.text_body(p)
    markup = api.markup(p)
    message = api.emu.new_bot_message(
        state,
        text=text,
        entities=entities,
        reply_markup=markup.inline,
        keyboard_markup=markup.other,
        link_preview_options=api.link_preview(p),
        reply_to=api.reply_target(p, state),
        protect_content=p.boolean("protect_content"),
    )
    return api.deliver(state, message, markup).to_api()


async def _send_media(api: BotApi, p: Params, kind: str) -> Any:
    state = api.emu.chat_state(p.chat_id())
    caption, caption_entities = api.caption_body(p)
    markup = api.markup(p)
    reply_to = api.reply_target(p, state)
    file = api.input_file(p, kind, kind)
    message = api.emu.new_bot_message(
        state,
        caption=caption,
        caption_entities=caption_entities,
        reply_markup=markup.inline,
        keyboard_markup=markup.other,
        reply_to=reply_to,
        protect_content=p.boolean("protect_content"),
        **{kind: file},
    )
    return api.deliver(state, message, markup).to_api()


@api_method("sendPhoto")
async def send_photo(api: BotApi, p: Params) -> Any:
    return await _send_media(api, p, "photo")


@api_method("sendDocument")
async def send_document(api: BotApi, p: Params) -> Any:
    return await _send_media(api, p, "document")


@api_method("sendChatAction")
async def send_chat_action(api: BotApi, p: Params) -> Any:
    state = api.emu.chat_state(p.chat_id())
    action = p.string("action", required=True, message="action is empty")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request", "invalid_action")
    api.emu.check_can_send(state, counts_as_message=False)
    state.last_action = action
    api.emu._notify({"type": "action", "chat_id": state.chat_id, "action": action})
    return True


def _source_message(api: BotApi, p: Params, what: str) -> StoredMessage:
    source_chat = api.emu.chat_state(p.chat_id("from_chat_id"))
    message_id = p.integer(
        "message_id", required=True, message="message identifier is not specified"
    )
    message = source_chat.messages.get(message_id or 0)
    if message is None or message.deleted:
        raise bad_request(f"message to {what} not found", "message_not_found")
    if message.invoice is not None or message.successful_payment or message.refunded_payment:
        raise bad_request(f"message can't be {what}ed", "message_cant_be_copied")
    if message.protect_content:
        raise bad_request(f"message can't be {what}ed", "message_cant_be_copied")
    return message


@api_method("copyMessage")
async def copy_message(api: BotApi, p: Params) -> Any:
    state = api.emu.chat_state(p.chat_id())
    source = _source_message(api, p, "copy")
    markup = api.markup(p)
    caption, caption_entities = source.caption, list(source.caption_entities)
    if "caption" in p:
        caption, caption_entities = api.caption_body(p)
    is_media = source.photo is not None or source.document is not None
    message = api.emu.new_bot_message(
        state,
        text=source.text,
        entities=list(source.entities),
        caption=caption if is_media else None,
        caption_entities=caption_entities if is_media else [],
        photo=source.photo,
        document=source.document,
        reply_markup=markup.inline,
        keyboard_markup=markup.other,
        reply_to=api.reply_target(p, state),
        protect_content=p.boolean("protect_content"),
    )
    return {"message_id": api.deliver(state, message, markup).message_id}


@api_method("forwardMessage")
async def forward_message(api: BotApi, p: Params) -> Any:
    state = api.emu.chat_state(p.chat_id())
    source = _source_message(api, p, "forward")
    message = api.emu.new_bot_message(
        state,
        text=source.text,
        entities=list(source.entities),
        caption=source.caption,
        caption_entities=list(source.caption_entities),
        photo=source.photo,
        document=source.document,
        forward_origin={"type": "user", "date": source.date, "sender_user": source.sender},
        protect_content=p.boolean("protect_content"),
    )
    return api.deliver(state, message).to_api()


# ---------------------------------------------------------------------- editing and deleting


@api_method("editMessageText")
async def edit_message_text(api: BotApi, p: Params) -> Any:
    state, message = api.editable(p)
    if message.text is None:
        raise bad_request("there is no text in the message to edit", "no_text")
    text, entities = api.text_body(p)
    markup = api.inline_markup(p)
    preview = api.link_preview(p)
    if (
        text == message.text
        and entities == message.entities
        and markup == message.reply_markup
        and (preview is None or preview == message.link_preview_options)
    ):
        raise bad_request(NOT_MODIFIED, "message_not_modified")
    message.text, message.entities, message.reply_markup = text, entities, markup
    if preview is not None:
        message.link_preview_options = preview
    return api.edited(state, message)


@api_method("editMessageCaption")
async def edit_message_caption(api: BotApi, p: Params) -> Any:
    state, message = api.editable(p)
    if message.photo is None and message.document is None:
        raise bad_request("there is no caption in the message to edit", "no_caption")
    caption, entities = api.caption_body(p)
    markup = api.inline_markup(p)
    if (
        caption == message.caption
        and entities == message.caption_entities
        and markup == message.reply_markup
    ):
        raise bad_request(NOT_MODIFIED, "message_not_modified")
    message.caption, message.caption_entities, message.reply_markup = caption, entities, markup
    return api.edited(state, message)


@api_method("editMessageReplyMarkup")
async def edit_message_reply_markup(api: BotApi, p: Params) -> Any:
    state, message = api.editable(p)
    markup = api.inline_markup(p)
    if markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED, "message_not_modified")
    message.reply_markup = markup
    return api.edited(state, message)


@api_method("deleteMessage")
async def delete_message(api: BotApi, p: Params) -> Any:
    state = api.emu.chat_state(p.chat_id())
    message_id = p.integer(
        "message_id", required=True, message="message identifier is not specified"
    )
    message = state.messages.get(message_id or 0)
    if message is None or message.deleted:
        raise bad_request("message to delete not found", "message_not_found")
    if message.successful_payment or message.refunded_payment:
        raise bad_request("message can't be deleted", "message_cant_be_deleted")
    api.emu.message_deleted(message)
    api.emu.counters.deleted += 1
    return True


@api_method("deleteMessages")
async def delete_messages(api: BotApi, p: Params) -> Any:
    state = api.emu.chat_state(p.chat_id())
    ids = p.parsed("message_ids", error="can't parse message identifiers JSON object")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified", "missing_field")
    deleted = 0
    for message_id in ids:
        message = state.messages.get(message_id) if isinstance(message_id, int) else None
        if message is not None and not message.deleted:
            api.emu.message_deleted(message)
            deleted += 1
    if not deleted:
        raise bad_request("message to delete not found", "message_not_found")
    api.emu.counters.deleted += deleted
    return True


# ---------------------------------------------------------------------- callback queries


@api_method("answerCallbackQuery")
async def answer_callback_query(api: BotApi, p: Params) -> Any:
    query_id = p.string("callback_query_id")
    record = api.emu.callback_query(query_id or "")
    if record is None or record.answer is not None:
        raise bad_request(QUERY_INVALID, "query_invalid")
    text = p.string("text")
    limit = api.limits.max_callback_answer_length
    if text is not None and limit is not None and len(text) > limit:
        raise bad_request("MESSAGE_TOO_LONG", "callback_answer_too_long")
    answer = CallbackAnswer(
        query_id=record.query_id,
        user_id=record.user_id,
        chat_id=record.chat_id,
        message_id=record.message_id,
        data=record.data,
        text=text,
        show_alert=p.boolean("show_alert"),
        url=p.string("url"),
    )
    record.answer = answer
    api.emu.record_answer(answer)
    return True


# ---------------------------------------------------------------------- payments (Stars)


def _invoice(api: BotApi, p: Params) -> dict[str, Any]:
    title = p.string("title", required=True, message="INVOICE_TITLE_EMPTY") or ""
    description = p.string("description", required=True, message="INVOICE_DESCRIPTION_EMPTY")
    payload = p.string("payload", required=True, message="INVOICE_PAYLOAD_EMPTY") or ""
    currency = (p.string("currency", required=True, message="CURRENCY_EMPTY") or "").upper()
    provider_token = p.string("provider_token") or ""
    if not 1 <= len(title) <= 32:
        raise bad_request("INVOICE_TITLE_INVALID", "invoice_invalid")
    if not description or not 1 <= len(description) <= 255:
        raise bad_request("INVOICE_DESCRIPTION_INVALID", "invoice_invalid")
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID", "invoice_invalid")
    if not re.match(r"^[A-Z]{3}$", currency):
        raise bad_request("CURRENCY_INVALID", "invoice_invalid")
    prices = p.parsed("prices", error="can't parse prices JSON object")
    if not isinstance(prices, list) or not prices:
        raise bad_request("can't parse prices JSON object", "invalid_json")
    for price in prices:
        if (
            not isinstance(price, dict)
            or not isinstance(price.get("label"), str)
            or not isinstance(price.get("amount"), int)
            or isinstance(price.get("amount"), bool)
        ):
            raise bad_request("can't parse prices JSON object", "invalid_json")
    total = sum(price["amount"] for price in prices)
    if currency == "XTR":
        if provider_token:
            raise bad_request("PAYMENT_PROVIDER_INVALID", "invoice_invalid")
        if len(prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID", "invoice_invalid")
        if not 1 <= total <= api.emu.max_stars_amount:
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID", "invoice_invalid")
    else:
        if not provider_token:
            raise bad_request("PAYMENT_PROVIDER_INVALID", "invoice_invalid")
        if total <= 0:
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID", "invoice_invalid")
    return {
        "title": title,
        "description": description,
        "payload": payload,
        "currency": currency,
        "total_amount": total,
        "prices": prices,
        "start_parameter": p.string("start_parameter") or "",
        "photo_url": p.string("photo_url"),
    }


@api_method("sendInvoice")
async def send_invoice(api: BotApi, p: Params) -> Any:
    state = api.emu.chat_state(p.chat_id())
    invoice = _invoice(api, p)
    markup = api.markup(p)
    if markup.other is not None:
        raise bad_request("inline keyboard expected", "invalid_markup")
    if markup.inline is not None:
        rows = markup.inline["inline_keyboard"]
        if not rows or not rows[0] or not rows[0][0].get("pay"):
            raise bad_request("REPLY_MARKUP_BUY_EMPTY", "invoice_invalid")
    message = api.emu.new_bot_message(
        state,
        invoice={
            "title": invoice["title"],
            "description": invoice["description"],
            "start_parameter": invoice["start_parameter"],
            "currency": invoice["currency"],
            "total_amount": invoice["total_amount"],
        },
        invoice_payload=invoice["payload"],
        reply_markup=markup.inline,
        reply_to=api.reply_target(p, state),
        protect_content=p.boolean("protect_content"),
    )
    return api.deliver(state, message).to_api()


@api_method("createInvoiceLink")
async def create_invoice_link(api: BotApi, p: Params) -> Any:
    invoice = _invoice(api, p)
    link = "https://t.me/$" + secrets.token_urlsafe(18)
    api.emu.invoice_links[link] = invoice
    return link


@api_method("answerPreCheckoutQuery")
async def answer_pre_checkout_query(api: BotApi, p: Params) -> Any:
    query_id = p.string("pre_checkout_query_id") or ""
    if "ok" not in p:
        raise missing("ok", "ok is empty")
    ok = p.boolean("ok")
    error = p.string("error_message")
    if not ok and not error:
        raise bad_request("error_message is empty", "missing_field")
    if not api.emu.answer_pre_checkout(query_id, ok, error):
        raise bad_request("QUERY_ID_INVALID", "query_invalid")
    return True


@api_method("refundStarPayment")
async def refund_star_payment(api: BotApi, p: Params) -> Any:
    user_id = p.integer("user_id", required=True, message="USER_ID_INVALID")
    charge_id = p.string("telegram_payment_charge_id", required=True, message="CHARGE_ID_EMPTY")
    payment = api.emu.payments.get(charge_id or "")
    if payment is None or payment.user_id != user_id:
        raise bad_request("CHARGE_NOT_FOUND", "charge_invalid")
    if payment.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED", "charge_already_refunded")
    api.emu.refund(payment)
    return True


@api_method("getMyStarBalance")
async def get_my_star_balance(api: BotApi, p: Params) -> Any:
    return {"amount": api.emu.stars_balance()}


# ---------------------------------------------------------------------- files


@api_method("getFile")
async def get_file(api: BotApi, p: Params) -> Any:
    file_id = p.string("file_id", required=True, message="file_id is empty") or ""
    file = api.emu.file(file_id)
    if file is None:
        raise bad_request("invalid file_id", "file_invalid")
    result: dict[str, Any] = {"file_id": file.file_id, "file_unique_id": file.file_unique_id}
    if file.data is not None:
        result["file_size"] = file.size
        result["file_path"] = file.file_path
    return result
