"""Sending: text, photos and documents, chat actions, copies and forwards."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..models import StoredMessage
from ..params import Params
from .base import BotApi, api_method
from .files import input_file

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


@api_method("sendMessage")
async def send_message(api: BotApi, p: Params) -> Any:
    state = api.state.chat_state(p.chat_id())
    text, entities = api.text_body(p)
    markup = api.markup(p)
    message = api.state.new_bot_message(
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
    state = api.state.chat_state(p.chat_id())
    caption, caption_entities = api.caption_body(p)
    markup = api.markup(p)
    reply_to = api.reply_target(p, state)
    file = input_file(api, p, kind, kind)
    message = api.state.new_bot_message(
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
    state = api.state.chat_state(p.chat_id())
    action = p.string("action", required=True, message="action is empty")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request", "invalid_action")
    api.state.check_can_send(state, counts_as_message=False)
    state.last_action = action
    api.state.notify({"type": "action", "chat_id": state.chat_id, "action": action})
    return True


def _source_message(api: BotApi, p: Params, what: str) -> StoredMessage:
    source_chat = api.state.chat_state(p.chat_id("from_chat_id"))
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
    state = api.state.chat_state(p.chat_id())
    source = _source_message(api, p, "copy")
    markup = api.markup(p)
    caption, caption_entities = source.caption, list(source.caption_entities)
    if "caption" in p:
        caption, caption_entities = api.caption_body(p)
    is_media = source.photo is not None or source.document is not None
    message = api.state.new_bot_message(
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
    state = api.state.chat_state(p.chat_id())
    source = _source_message(api, p, "forward")
    message = api.state.new_bot_message(
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
