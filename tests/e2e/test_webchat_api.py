"""The web chat's server side without a browser: its JSON API, the live WebSocket, safe
rendering of messages, and the headers that keep uploaded files and messages inert."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox.telegram import OPERATORS_CHAT_ID, TelegramEmulator, render_html

from .conftest import make_bot
from .test_telegram_conformance import png

ALICE = 1001


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    emulator = TelegramEmulator(limits=False)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    assert emu.base_url
    client = make_bot(emu.base_url, emu.token, parse_mode=None)
    yield client
    await client.session.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get_json(http: aiohttp.ClientSession, url: str) -> Any:
    async with http.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def post_json(http: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    async with http.post(url, json=body) as response:
        return response.status, await response.json()


async def test_page_and_assets_are_local_with_a_strict_csp(
    emu: TelegramEmulator, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{emu.base_url}/") as response:
        assert response.status == 200
        page = await response.text()
        csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "http://" not in page.replace("http://www.w3.org", "")
    assert "https://" not in page
    for asset in ("app.js", "app.css"):
        async with http.get(f"{emu.base_url}/static/{asset}") as response:
            assert response.status == 200
            body = await response.text()
            assert "https://" not in body and "@import" not in body
    async with http.get(f"{emu.base_url}/static/../emulator.py") as response:
        assert response.status == 404


async def test_state_chat_send_and_click(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    state = await get_json(http, f"{emu.base_url}/webchat/api/state")
    assert [p["name"] for p in state["personas"]] == ["Alice", "Boris", "Admin"]
    assert [p["language"] for p in state["personas"]] == ["en", "ru", "en"]
    assert [p["admin"] for p in state["personas"]] == [False, False, True]
    assert state["groups"][0]["title"] == "Operators"
    assert state["groups"][0]["members"] == [{"id": 1000, "name": "Admin"}]

    status, reply = await post_json(
        http, f"{emu.base_url}/webchat/api/send", {"user_id": ALICE, "text": "/start"}
    )
    assert status == 200 and reply["ok"]
    [update] = await bot.get_updates()
    assert update.message and update.message.text == "/start"

    sent = await bot.send_message(
        ALICE,
        "Pick one",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="A", callback_data="a")],
                [InlineKeyboardButton(text="Site", url="https://example.com")],
            ]
        ),
    )
    chat = await get_json(http, f"{emu.base_url}/webchat/api/chats/{ALICE}?viewer={ALICE}")
    last = chat["messages"][-1]
    assert last["id"] == sent.message_id and last["from_bot"]
    assert last["keyboard"] == [
        [{"text": "A", "kind": "callback", "data": "a"}],
        [{"text": "Site", "kind": "url", "url": "https://example.com"}],
    ]
    status, reply = await post_json(
        http,
        f"{emu.base_url}/webchat/api/click",
        {"user_id": ALICE, "chat_id": ALICE, "message_id": sent.message_id, "data": "a"},
    )
    assert status == 200 and reply["query_id"]
    updates = await bot.get_updates(offset=update.update_id + 1)
    assert updates[0].callback_query and updates[0].callback_query.id == reply["query_id"]

    status, reply = await post_json(
        http,
        f"{emu.base_url}/webchat/api/click",
        {"user_id": ALICE, "chat_id": ALICE, "message_id": 999, "data": "a"},
    )
    assert status == 404 and not reply["ok"]
    status, reply = await post_json(http, f"{emu.base_url}/webchat/api/send", {"user_id": ALICE})
    assert status == 400
    async with http.post(f"{emu.base_url}/webchat/api/send", data=b"not json") as response:
        assert response.status == 400


async def test_websocket_streams_messages_edits_deletes_and_answers(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    async with http.ws_connect(f"{emu.base_url}/webchat/ws") as ws:

        async def next_event(kind: str) -> dict[str, Any]:
            while True:
                message = await ws.receive(timeout=5)
                event = json.loads(message.data)
                if event["type"] == kind:
                    return event

        sent = await bot.send_message(ALICE, "<b>not bold</b> without parse_mode")
        event = await next_event("message")
        assert event["message"]["html"] == "&lt;b&gt;not bold&lt;/b&gt; without parse_mode"
        await bot.edit_message_text(
            "<i>now italic</i>", chat_id=ALICE, message_id=sent.message_id, parse_mode="HTML"
        )
        event = await next_event("message")
        assert event["message"]["html"] == "<i>now italic</i>" and event["message"]["edit_date"]
        await bot.send_chat_action(ALICE, "typing")
        assert (await next_event("action"))["action"] == "typing"
        await bot.delete_message(ALICE, sent.message_id)
        assert (await next_event("delete"))["message_id"] == sent.message_id

        with_button = await bot.send_message(
            ALICE,
            "click",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x")]]
            ),
        )
        update = await emu.click(ALICE, with_button.message_id, "x")
        assert update.callback_query
        await bot.answer_callback_query(update.callback_query.id, "Done!", show_alert=True)
        answer = await next_event("callback_answer")
        assert answer["text"] == "Done!" and answer["show_alert"] is True

        await bot.send_message(
            ALICE, "kb", reply_markup={"keyboard": [["One", "Two"]], "one_time_keyboard": True}
        )
        keyboard = await next_event("keyboard")
        assert keyboard["keyboard"]["rows"] == [["One", "Two"]] and keyboard["keyboard"]["one_time"]

        emu.block(ALICE)
        assert (await next_event("blocked"))["blocked"] is True


async def test_files_are_served_inert(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    photo = await bot.send_photo(ALICE, BufferedInputFile(png(), "p.png"))
    html_doc = await bot.send_document(
        ALICE, BufferedInputFile(b"<script>alert(1)</script>", "evil.html")
    )
    url_photo = await bot.send_photo(ALICE, "https://example.com/x.jpg")
    assert photo.photo and html_doc.document and url_photo.photo
    chat = await get_json(http, f"{emu.base_url}/webchat/api/chats/{ALICE}")
    by_id = {m["id"]: m for m in chat["messages"]}
    src = by_id[photo.message_id]["photo"]["src"]
    async with http.get(f"{emu.base_url}{src}") as response:
        assert response.content_type == "image/png"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    href = by_id[html_doc.message_id]["document"]["href"]
    async with http.get(f"{emu.base_url}{href}") as response:
        assert response.content_type == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert "sandbox" in response.headers["Content-Security-Policy"]
    placeholder = by_id[url_photo.message_id]["photo"]
    assert placeholder["src"] is None and placeholder["label"] == "https://example.com/x.jpg"


async def test_group_view_clicks_as_its_admin(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    await bot.send_message(OPERATORS_CHAT_ID, "Order 7 is stuck")
    chat = await get_json(http, f"{emu.base_url}/webchat/api/chats/{OPERATORS_CHAT_ID}")
    assert chat["clicker"] == 1000 and chat["messages"][0]["html"] == "Order 7 is stuck"
    async with http.get(f"{emu.base_url}/webchat/api/chats/-5") as response:
        assert response.status == 404


@pytest.mark.parametrize(
    ("text", "entities", "expected"),
    [
        ("<img src=x onerror=alert(1)>", [], "&lt;img src=x onerror=alert(1)&gt;"),
        (
            "click",
            [{"type": "text_link", "offset": 0, "length": 5, "url": "javascript:alert(1)"}],
            '<span class="tg-link-blocked">click</span>',
        ),
        (
            "x",
            [
                {
                    "type": "text_link",
                    "offset": 0,
                    "length": 1,
                    "url": 'https://e.com/"onmouseover="alert(1)',
                }
            ],
            '<a href="https://e.com/&quot;onmouseover=&quot;alert(1)" target="_blank" '
            'rel="noopener noreferrer nofollow">x</a>',
        ),
        (
            "code",
            [{"type": "pre", "offset": 0, "length": 4, "language": '"><script>'}],
            '<pre class="tg-pre" data-language="&quot;&gt;&lt;script&gt;">code</pre>',
        ),
        (
            "overlap",
            [
                {"type": "bold", "offset": 0, "length": 4},
                {"type": "italic", "offset": 2, "length": 5},
            ],
            "<b>ov<i>er</i></b><i>lap</i>",
        ),
        ("bad", [{"type": "bold", "offset": 2, "length": 99}], "ba<b>d</b>"),
        (
            "tg",
            [{"type": "url", "offset": 0, "length": 2}],
            '<span class="tg-link-blocked">tg</span>',
        ),
    ],
)
def test_render_html_escapes_everything(
    text: str, entities: list[dict[str, Any]], expected: str
) -> None:
    assert render_html(text, entities) == expected


async def test_a_member_writes_in_a_group_and_replies_to_a_message(
    emu: TelegramEmulator, bot: Bot, http: aiohttp.ClientSession
) -> None:
    posted = await bot.send_message(OPERATORS_CHAT_ID, "🎫 Ticket #1")
    url = f"{emu.base_url}/webchat/api/send"
    body = {"user_id": 1000, "chat_id": OPERATORS_CHAT_ID, "text": "on it"}
    status, reply = await post_json(http, url, {**body, "reply_to": posted.message_id})
    assert status == 200 and reply["ok"]
    chat = await get_json(http, f"{emu.base_url}/webchat/api/chats/{OPERATORS_CHAT_ID}")
    written = chat["messages"][-1]
    assert written["sender_id"] == 1000 and written["reply_to"]["id"] == posted.message_id
    assert chat["messages"][0]["snippet"] == "🎫 Ticket #1"
    status, _ = await post_json(http, url, {**body, "user_id": ALICE})  # not a member
    assert status == 403
    status, _ = await post_json(http, url, {**body, "reply_to": 999})
    assert status == 404
    status, _ = await post_json(http, url, {**body, "chat_id": -5})
    assert status == 404
