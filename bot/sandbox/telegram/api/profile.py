"""Commands, the bot's profile texts and menu button, and what the bot may ask about chats."""

from __future__ import annotations

import re
from typing import Any

from ..errors import bad_request, missing
from ..models import GroupChat
from ..params import Params
from ..state import TelegramState
from .base import BotApi, api_method

SCOPES_PLAIN = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)
COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


def _scope_key(tg: TelegramState, p: Params) -> tuple[Any, ...]:
    scope = p.parsed("scope", error="can't parse BotCommandScope JSON object")
    if scope is None:
        return ("default",)
    if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
        raise bad_request("can't parse BotCommandScope JSON object", "invalid_json")
    kind = scope["type"]
    if kind in SCOPES_PLAIN:
        return (kind,)
    if kind in ("chat", "chat_administrators", "chat_member"):
        state = tg.chat_state(scope.get("chat_id"))
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
    key = (_scope_key(api.state, p), _language(p))
    if commands:
        api.state.commands[key] = commands
    else:
        api.state.commands.pop(key, None)
    api.state.notify({"type": "commands"})
    return True


@api_method("getMyCommands")
async def get_my_commands(api: BotApi, p: Params) -> Any:
    return api.state.commands.get((_scope_key(api.state, p), _language(p)), [])


@api_method("deleteMyCommands")
async def delete_my_commands(api: BotApi, p: Params) -> Any:
    api.state.commands.pop((_scope_key(api.state, p), _language(p)), None)
    api.state.notify({"type": "commands"})
    return True


def _profile_text(field: str, limit: int, method_get: str, method_set: str) -> None:
    async def setter(api: BotApi, p: Params) -> Any:
        value = p.string(field) or ""
        if len(value) > limit:
            raise bad_request(f"{field} is too long", "too_long")
        key = (field, _language(p))
        if value:
            api.state.bot_texts[key] = value
        else:
            api.state.bot_texts.pop(key, None)
        return True

    async def getter(api: BotApi, p: Params) -> Any:
        language = _language(p)
        texts = api.state.bot_texts
        default = api.state.bot_name if field == "name" else ""
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
        api.state.menu_buttons.pop(chat_id, None)
    elif isinstance(button, dict) and button.get("type") in ("commands", "default", "web_app"):
        api.state.menu_buttons[chat_id] = button
    else:
        raise bad_request("can't parse menu button JSON object", "invalid_json")
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(api: BotApi, p: Params) -> Any:
    buttons = api.state.menu_buttons
    chat_id = p.integer("chat_id")
    return buttons.get(chat_id) or buttons.get(None) or {"type": "commands"}


@api_method("getChat")
async def get_chat(api: BotApi, p: Params) -> Any:
    state = api.state.chat_state(p.chat_id())
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
    tg = api.state
    state = tg.chat_state(p.chat_id())
    user_id = p.integer("user_id", required=True, message="user not found")
    channel = next(
        (g for g in tg.groups if g.chat_id == state.chat_id and g.type == "channel"), None
    )
    if channel is not None and user_id is not None:
        return _channel_member(tg, channel, user_id)
    if user_id == tg.bot_id:
        return {"status": "member", "user": tg.bot_user}
    persona = next((x for x in tg.personas if x.user_id == user_id), None)
    if persona is None:
        raise bad_request("user not found", "user_not_found")
    if not state.is_group:
        if state.chat_id != user_id:
            raise bad_request("user not found", "user_not_found")
        if state.blocked:
            return {"status": "kicked", "user": persona.as_user(), "until_date": 0}
        return {"status": "member", "user": persona.as_user()}
    group = next(g for g in tg.groups if g.chat_id == state.chat_id)
    if user_id not in group.member_ids:
        return {"status": "left", "user": persona.as_user()}
    if persona.is_admin_hint:
        return {"status": "creator", "user": persona.as_user(), "is_anonymous": False}
    return {"status": "member", "user": persona.as_user()}


_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_messages",
    "can_edit_messages",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
)


def _channel_member(tg: TelegramState, channel: GroupChat, user_id: int) -> dict[str, Any]:
    """A channel, as Telegram answers its admins: the bot as `bot_status`; others by
    membership. A bot that is not an admin there is refused ("member list is
    inaccessible"), as Telegram refuses it for anyone but itself."""
    if user_id == tg.bot_id:
        if channel.bot_status == "administrator":
            rights = dict.fromkeys(_ADMIN_RIGHTS, True)
            return {
                "status": "administrator",
                "user": tg.bot_user,
                "can_be_edited": False,
                "is_anonymous": False,
                **rights,
            }
        return {"status": channel.bot_status, "user": tg.bot_user}
    if channel.bot_status != "administrator":
        raise bad_request("member list is inaccessible", "member_list_inaccessible")
    persona = next((x for x in tg.personas if x.user_id == user_id), None)
    if persona is None:
        raise bad_request("user not found", "user_not_found")
    if user_id in channel.member_ids:
        return {"status": "member", "user": persona.as_user()}
    return {"status": "left", "user": persona.as_user()}
