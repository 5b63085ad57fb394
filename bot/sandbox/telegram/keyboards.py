"""reply_markup validation: inline keyboards, reply keyboards, removal and force reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .entities import normalize_url
from .errors import bad_request

PARSE_ERROR = "can't parse reply keyboard markup JSON object"
INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
INLINE_EXTRA = ("style", "icon_custom_emoji_id")
REPLY_BUTTON_FIELDS = (
    "request_users",
    "request_chat",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
    "style",
    "icon_custom_emoji_id",
)
REPLY_KEYBOARD_FIELDS = (
    "is_persistent",
    "resize_keyboard",
    "one_time_keyboard",
    "input_field_placeholder",
    "selective",
)
MAX_BUTTONS = 100


@dataclass(frozen=True)
class Markup:
    """``inline`` is echoed back in the Message; ``other`` (reply keyboard, remove, force
    reply) only changes the chat's keyboard and is not part of the returned Message."""

    inline: dict[str, Any] | None = None
    other: dict[str, Any] | None = None


def parse_markup(value: Any, *, max_callback_bytes: int | None) -> Markup:
    if value is None or value == {}:
        return Markup()
    if not isinstance(value, dict):
        raise bad_request(PARSE_ERROR, "invalid_json")
    if "inline_keyboard" in value:
        return Markup(inline=_inline(value["inline_keyboard"], max_callback_bytes))
    if "keyboard" in value:
        return Markup(other=_reply_keyboard(value))
    if "remove_keyboard" in value:
        if value["remove_keyboard"] is not True:
            raise bad_request("remove_keyboard must be true", "invalid_markup")
        return Markup(other={"remove_keyboard": True, "selective": bool(value.get("selective"))})
    if "force_reply" in value:
        if value["force_reply"] is not True:
            raise bad_request("force_reply must be true", "invalid_markup")
        other: dict[str, Any] = {"force_reply": True}
        if isinstance(value.get("input_field_placeholder"), str):
            other["input_field_placeholder"] = value["input_field_placeholder"]
        return Markup(other=other)
    raise bad_request(PARSE_ERROR, "invalid_json")


def parse_inline_only(value: Any, *, max_callback_bytes: int | None) -> dict[str, Any] | None:
    markup = parse_markup(value, max_callback_bytes=max_callback_bytes)
    if markup.other is not None:
        raise bad_request("inline keyboard expected", "invalid_markup")
    return markup.inline


def _inline(rows: Any, max_callback_bytes: int | None) -> dict[str, Any]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
            "invalid_markup",
        )
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("reply markup is too long", "invalid_markup")
    result: list[list[dict[str, Any]]] = []
    for row in rows:
        out_row: list[dict[str, Any]] = []
        for button in row:
            out_row.append(_inline_button(button, max_callback_bytes))
        if out_row:
            result.append(out_row)
    return {"inline_keyboard": result}


def _inline_button(button: Any, max_callback_bytes: int | None) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object",
            "invalid_markup",
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            "can't parse inline keyboard button: Text must be a String", "invalid_markup"
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID", "invalid_markup")
    actions = [key for key in INLINE_ACTIONS if button.get(key) not in (None, False)]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
            "invalid_markup",
        )
    out: dict[str, Any] = {"text": text}
    action = actions[0]
    value = button[action]
    if action == "callback_data":
        if not isinstance(value, str) or not value:
            raise bad_request("BUTTON_DATA_INVALID", "button_data_invalid")
        if max_callback_bytes is not None and len(value.encode("utf-8")) > max_callback_bytes:
            raise bad_request("BUTTON_DATA_INVALID", "button_data_invalid")
    elif action == "url":
        url = normalize_url(value) if isinstance(value, str) else None
        if url is None:
            raise bad_request("BUTTON_URL_INVALID", "button_url_invalid")
        value = url
    elif action == "pay":
        value = True
    out[action] = value
    for key in INLINE_EXTRA:
        if button.get(key) is not None:
            out[key] = button[key]
    return out


def _reply_keyboard(value: dict[str, Any]) -> dict[str, Any]:
    rows = value["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays',
            "invalid_markup",
        )
    keyboard: list[list[dict[str, Any]]] = []
    for row in rows:
        out_row: list[dict[str, Any]] = []
        for button in row:
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    "can't parse keyboard button: Text must be a String", "invalid_markup"
                )
            if not button["text"].strip():
                raise bad_request("keyboard button text is empty", "invalid_markup")
            out_button = {"text": button["text"]}
            for key in REPLY_BUTTON_FIELDS:
                if button.get(key) not in (None, False):
                    out_button[key] = button[key]
            out_row.append(out_button)
        if out_row:
            keyboard.append(out_row)
    if sum(len(row) for row in keyboard) > 300:
        raise bad_request("reply markup is too long", "invalid_markup")
    out: dict[str, Any] = {"keyboard": keyboard}
    for key in REPLY_KEYBOARD_FIELDS:
        if value.get(key) not in (None, False):
            out[key] = value[key]
    return out


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not markup:
        return []
    return [button for row in markup.get("inline_keyboard", []) for button in row]
