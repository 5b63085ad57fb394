"""Telegram's limits and error replies: flood control (exact, on a fake clock), sizes, HTML,
and malformed requests, which get Telegram's JSON errors and never a 500."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox.telegram import LimitSettings, RateLimiter, TelegramEmulator, TokenBucket
from bot.sandbox.telegram.models import Persona

from .conftest import FakeMonotonic, make_bot

ALICE, BORIS = 1001, 1002


async def test_burst_to_one_chat_gets_429_with_retry_after(
    tg_bot: Bot, tg_emulator: TelegramEmulator, tg_clock: FakeMonotonic
) -> None:
    ok, limited = 0, []
    for n in range(100):
        try:
            await tg_bot.send_message(ALICE, f"spam {n}")
            ok += 1
        except TelegramRetryAfter as exc:
            limited.append(exc.retry_after)
    burst = tg_emulator.limits.chat_burst
    assert ok == burst
    assert len(limited) == 100 - burst and set(limited) == {1}
    assert tg_emulator.counters.too_many_requests == 100 - burst
    assert tg_emulator.counters.sent == burst
    assert tg_emulator.counters.calls["sendMessage"] == 100

    tg_clock.advance(0.5)
    with pytest.raises(TelegramRetryAfter):
        await tg_bot.send_message(ALICE, "too early")
    tg_clock.advance(0.5)
    await tg_bot.send_message(ALICE, "one per second again")
    await tg_bot.send_message(BORIS, "other chats are not affected")


async def test_retry_after_grows_with_the_deficit() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(
        LimitSettings(chat_per_second=0.25, chat_burst=1, global_per_second=None), clock=clock
    )
    assert limiter.acquire(1, is_group=False) is None
    assert limiter.acquire(1, is_group=False) == 4
    clock.advance(3.5)
    assert limiter.acquire(1, is_group=False) == 1
    clock.advance(0.5)
    assert limiter.acquire(1, is_group=False) is None


async def test_thirty_messages_a_second_overall(
    tg_bot: Bot, tg_emulator: TelegramEmulator, tg_clock: FakeMonotonic
) -> None:
    for n in range(40):
        tg_emulator.add_persona(Persona(5000 + n, f"Bulk {n}"))
    results = []
    for n in range(40):
        try:
            await tg_bot.send_message(5000 + n, "broadcast")
            results.append("ok")
        except TelegramRetryAfter:
            results.append("429")
    assert results.count("ok") == 30 and results[30:] == ["429"] * 10
    tg_clock.advance(1)
    await tg_bot.send_message(5035, "broadcast")


async def test_group_limit_twenty_a_minute() -> None:
    clock = FakeMonotonic()
    limiter = RateLimiter(LimitSettings(), clock=clock)
    sent = 0
    for _ in range(60):
        if limiter.acquire(-100, is_group=True) is None:
            sent += 1
        clock.advance(1)
    assert 20 <= sent <= 40  # a burst of 20, then one every three seconds
    clock.advance(60)
    assert limiter.acquire(-100, is_group=True) is None


def test_token_bucket_refills_to_capacity() -> None:
    bucket = TokenBucket(rate=1, capacity=3, now=0)
    for _ in range(3):
        assert bucket.wait_time(0) == 0
        bucket.take(0)
    assert bucket.wait_time(0) == pytest.approx(1)
    assert bucket.wait_time(100) == 0 and bucket.tokens == 3


async def test_limits_can_be_switched_off(tg_emulator: TelegramEmulator, tg_bot: Bot) -> None:
    tg_emulator.limits = False
    for n in range(50):
        await tg_bot.send_message(ALICE, f"no flood control {n}")
    await tg_bot.send_message(ALICE, "x" * 5000)
    await tg_bot.send_message(
        ALICE,
        "button",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="d" * 100)]]
        ),
    )
    lenient = await tg_bot.send_message(ALICE, "<script>x</script> <b>bold")
    assert lenient.text == "<script>x</script> bold"
    assert tg_emulator.counters.too_many_requests == 0
    tg_emulator.limits = LimitSettings(chat_burst=2, global_per_second=None)
    await tg_bot.send_message(BORIS, "1")
    await tg_bot.send_message(BORIS, "2")
    with pytest.raises(TelegramRetryAfter):
        await tg_bot.send_message(BORIS, "3")


async def test_text_length_limit(tg_bot: Bot, tg_clock: FakeMonotonic) -> None:
    await tg_bot.send_message(ALICE, "x" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await tg_bot.send_message(ALICE, "x" * 4097)
    # the limit applies to the text after entity parsing
    await tg_bot.send_message(ALICE, "<b>" + "y" * 4096 + "</b>")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await tg_bot.send_photo(ALICE, "https://example.com/a.png", caption="c" * 1025)


async def test_callback_data_limit(tg_bot: Bot, tg_emulator: TelegramEmulator) -> None:
    def markup(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="b", callback_data=data)]]
        )

    await tg_bot.send_message(ALICE, "ok", reply_markup=markup("d" * 64))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await tg_bot.send_message(ALICE, "too long", reply_markup=markup("d" * 65))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await tg_bot.send_message(ALICE, "bytes count", reply_markup=markup("я" * 33))
    assert tg_emulator.counters.violations["button_data_invalid"] == 2


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("hi <br> there", 'Unsupported start tag "br" at byte offset 3'),
        ('<div class="x">x</div>', 'Unsupported start tag "div"'),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("stray</b>", "Unexpected end tag at byte offset 5"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("5 < 6", 'Unsupported start tag "" at byte offset 2'),
    ],
)
async def test_html_is_checked_like_telegram(tg_bot: Bot, html: str, error: str) -> None:
    with pytest.raises(TelegramBadRequest) as caught:
        await tg_bot.send_message(ALICE, html)
    assert "can't parse entities: " + error in caught.value.message


async def test_all_telegram_tags_are_accepted(tg_bot: Bot) -> None:
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span>'
        "<tg-spoiler>t</tg-spoiler>"
        '<a href="https://example.com">a</a><code>c</code><pre>p</pre>'
        '<pre><code class="language-python">x = 1</code></pre><blockquote>q</blockquote>'
        "<blockquote expandable>e</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        " &lt;escaped&gt; &amp; &quot; &#9733;"
    )
    sent = await tg_bot.send_message(ALICE, html)
    assert sent.text and sent.text.endswith('<escaped> & " ★')
    types = [e.type for e in sent.entities or []]
    for kind in (
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "text_link",
        "code",
        "pre",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
    ):
        assert kind in types, kind


# ---------------------------------------------------------------------- malformed requests


async def raw(
    emulator: TelegramEmulator,
    method: str,
    *,
    token: str | None = None,
    data: Any = None,
    json_body: Any = None,
    body: bytes | None = None,
    content_type: str | None = None,
    http: str = "POST",
) -> tuple[int, dict[str, Any]]:
    url = f"{emulator.base_url}/bot{token or emulator.token}/{method}"
    headers = {"Content-Type": content_type} if content_type else None
    async with aiohttp.ClientSession() as session:
        kwargs: dict[str, Any] = {"headers": headers}
        if json_body is not None:
            kwargs["json"] = json_body
        elif body is not None:
            kwargs["data"] = body
        elif data is not None:
            kwargs["data"] = data
        async with session.request(http, url, **kwargs) as response:
            assert response.content_type == "application/json"
            return response.status, json.loads(await response.text())


async def test_error_shapes_for_malformed_requests(tg_emulator: TelegramEmulator) -> None:
    emu = tg_emulator
    assert await raw(emu, "sendMessage", data={"text": "x"}) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"},
    )
    assert await raw(emu, "sendMessage", data={"chat_id": "1001"}) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"},
    )
    assert await raw(emu, "sendMessage", json_body={"chat_id": 1001, "text": "   "}) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"},
    )
    status, reply = await raw(
        emu, "sendMessage", data={"chat_id": "1001", "text": "x", "reply_markup": "{not json"}
    )
    assert (status, reply["description"]) == (
        400,
        "Bad Request: can't parse reply keyboard markup JSON object",
    )
    status, reply = await raw(
        emu, "sendMessage", data={"chat_id": "1001", "text": "x", "reply_markup": "[1, 2]"}
    )
    assert (status, reply["description"]) == (
        400,
        "Bad Request: can't parse reply keyboard markup JSON object",
    )
    assert await raw(emu, "getMe", token="123456:WRONG") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await raw(emu, "getMe", token="nonsense") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await raw(emu, "sendTelepathy", data={"chat_id": "1"}) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert (await raw(emu, "", http="GET"))[0] == 404
    assert await raw(emu, "sendMessage", data={"chat_id": "42", "text": "x"}) == (
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
    )
    assert (await raw(emu, "sendMessage", data={"chat_id": "@nobody", "text": "x"}))[0] == 400
    status, reply = await raw(emu, "getMe", http="GET")
    assert status == 200 and reply["ok"] and reply["result"]["is_bot"]
    status, reply = await raw(emu, "sendMessage", data={"chat_id": "@alice", "text": "by name"})
    assert status == 200 and reply["result"]["chat"]["id"] == ALICE
    status, reply = await raw(emu, "SENDMESSAGE", json_body={"chat_id": ALICE, "text": "case"})
    assert status == 200
    assert emu.counters.violations["unauthorized"] == 2
    assert emu.counters.violations["unknown_method"] == 2
    assert emu.counters.violations["missing_field"] == 3


async def test_rate_limit_reply_shape(
    tg_emulator: TelegramEmulator, tg_clock: FakeMonotonic
) -> None:
    for _ in range(tg_emulator.limits.chat_burst):
        assert (await raw(tg_emulator, "sendMessage", data={"chat_id": "1001", "text": "x"}))[
            0
        ] == 200
    assert await raw(tg_emulator, "sendMessage", data={"chat_id": "1001", "text": "x"}) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )


GARBAGE: list[dict[str, Any]] = [
    {"body": b"\xff\xfe\x00garbage", "content_type": "application/json"},
    {"body": b"[1, 2, 3]", "content_type": "application/json"},
    {"body": b"--x\r\nbroken multipart", "content_type": "multipart/form-data; boundary=x"},
    {"body": b"%%%&&&===", "content_type": "application/x-www-form-urlencoded"},
    {"json_body": {"chat_id": True, "text": ["list"]}},
    {"json_body": {"chat_id": {"nested": 1}, "text": {"a": 1}}},
    {"json_body": {"chat_id": 1001, "text": "x", "reply_markup": {"inline_keyboard": "no"}}},
    {"json_body": {"chat_id": 1001, "text": "x", "reply_markup": {"inline_keyboard": [[1]]}}},
    {
        "json_body": {
            "chat_id": 1001,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"text": "plain"}]]},
        }
    },
    {
        "json_body": {
            "chat_id": 1001,
            "text": "x",
            "reply_markup": {"inline_keyboard": [[{"text": "u", "url": "javascript:alert(1)"}]]},
        }
    },
    {"json_body": {"chat_id": 1001, "text": "x", "entities": "nope"}},
    {"json_body": {"chat_id": 1001, "text": "x", "entities": [{"type": 1}]}},
    {"json_body": {"chat_id": 1001, "text": "x", "reply_parameters": {"message_id": "x"}}},
    {"json_body": {"chat_id": 1001, "text": "x", "parse_mode": "Klingon"}},
    {"json_body": {"chat_id": 1001, "text": "x", "link_preview_options": [1]}},
    {"data": {"chat_id": "1001", "text": "x", "reply_to_message_id": "abc"}},
    {"data": {"chat_id": "1001", "text": "x", "protect_content": "maybe"}},
]


@pytest.mark.parametrize("request_kwargs", GARBAGE)
async def test_garbage_never_gets_a_500(
    tg_emulator: TelegramEmulator, request_kwargs: dict[str, Any]
) -> None:
    status, reply = await raw(tg_emulator, "sendMessage", **request_kwargs)
    assert status == 400, reply
    assert reply["ok"] is False and reply["description"].startswith("Bad Request: ")
    assert tg_emulator.counters.violations["internal_error"] == 0


@pytest.mark.parametrize(
    "method",
    [
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "deleteMessage",
        "deleteMessages",
        "answerCallbackQuery",
        "sendInvoice",
        "createInvoiceLink",
        "answerPreCheckoutQuery",
        "refundStarPayment",
        "sendPhoto",
        "sendDocument",
        "copyMessage",
        "forwardMessage",
        "sendChatAction",
        "setMyCommands",
        "getFile",
        "getChat",
        "getChatMember",
        "setWebhook",
    ],
)
async def test_every_method_refuses_empty_requests_cleanly(
    tg_emulator: TelegramEmulator, method: str
) -> None:
    status, reply = await raw(tg_emulator, method, data={"chat_id": "1001"})
    assert status in (200, 400), reply
    if status == 400:
        assert reply["description"].startswith("Bad Request: ")
    status, reply = await raw(tg_emulator, method, json_body={"bogus": [1, {"x": None}]})
    assert status in (200, 400), reply
    assert tg_emulator.counters.violations["internal_error"] == 0


async def test_emulator_rejects_bad_token_format() -> None:
    with pytest.raises(ValueError, match="not a bot token"):
        TelegramEmulator(token="SANDBOX")


async def test_a_second_bot_token_is_unauthorized(tg_emulator: TelegramEmulator) -> None:
    assert tg_emulator.base_url
    stranger = make_bot(tg_emulator.base_url, "654321:OTHER")
    from aiogram.exceptions import TelegramUnauthorizedError

    with pytest.raises(TelegramUnauthorizedError):
        await stranger.get_me()
    await stranger.session.close()
