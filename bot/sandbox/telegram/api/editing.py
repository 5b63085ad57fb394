"""Editing and deleting the bot's messages."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..params import Params
from .base import BotApi, api_method

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


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
    state = api.state.chat_state(p.chat_id())
    message_id = p.integer(
        "message_id", required=True, message="message identifier is not specified"
    )
    message = state.messages.get(message_id or 0)
    if message is None or message.deleted:
        raise bad_request("message to delete not found", "message_not_found")
    if message.successful_payment or message.refunded_payment:
        raise bad_request("message can't be deleted", "message_cant_be_deleted")
    api.state.message_deleted(message)
    api.state.counters.deleted += 1
    return True


@api_method("deleteMessages")
async def delete_messages(api: BotApi, p: Params) -> Any:
    state = api.state.chat_state(p.chat_id())
    ids = p.parsed("message_ids", error="can't parse message identifiers JSON object")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified", "missing_field")
    deleted = 0
    for message_id in ids:
        message = state.messages.get(message_id) if isinstance(message_id, int) else None
        if message is not None and not message.deleted:
            api.state.message_deleted(message)
            deleted += 1
    if not deleted:
        raise bad_request("message to delete not found", "message_not_found")
    api.state.counters.deleted += deleted
    return True
