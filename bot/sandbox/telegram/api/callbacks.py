"""Answering callback queries (the clicks on inline buttons)."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..models import CallbackAnswer
from ..params import Params
from .base import BotApi, api_method

QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


@api_method("answerCallbackQuery")
async def answer_callback_query(api: BotApi, p: Params) -> Any:
    query_id = p.string("callback_query_id")
    record = api.state.callback_query(query_id or "")
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
    api.state.record_answer(answer)
    return True
