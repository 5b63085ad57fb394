"""Every emulated Bot API method, called through aiogram's own client, so aiogram validates
each reply exactly as it validates Telegram's."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError, TelegramForbiddenError
from aiogram.methods import GetUpdates
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    BufferedInputFile,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LabeledPrice,
    LinkPreviewOptions,
    MenuButtonCommands,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from aiohttp import web

from bot.sandbox.telegram import OPERATORS_CHAT_ID, LimitSettings, TelegramEmulator

from .conftest import make_bot

ALICE, BORIS, ADMIN = 1001, 1002, 1000


def png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


@pytest.fixture
async def emu() -> AsyncIterator[TelegramEmulator]:
    """Limits on, except flood control (the limits tests drive that with a fake clock)."""
    emulator = TelegramEmulator(limits=LimitSettings().without_rate_limits())
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def bot(emu: TelegramEmulator) -> AsyncIterator[Bot]:
    assert emu.base_url
    client = make_bot(emu.base_url, emu.token)
    yield client
    await client.session.close()


async def test_get_me_close_log_out(bot: Bot, emu: TelegramEmulator) -> None:
    me = await bot.get_me()
    assert me.id == 123456 and me.is_bot and me.username == emu.bot_username
    assert await bot.close() is True
    assert await bot.log_out() is True
    assert emu.counters.calls["getMe"] == 1


async def test_send_message_html_entities_and_markup(bot: Bot, emu: TelegramEmulator) -> None:
    sent = await bot.send_message(
        ALICE,
        '<b>Order</b> <i>#42</i> is <a href="https://example.com/o/42">ready</a>\n'
        '<pre><code class="language-json">{"ok": true}</code></pre>'
        "<blockquote expandable>details</blockquote> <tg-spoiler>secret</tg-spoiler>",
        reply_markup=keyboard(("Refill", "o:refill:42"), ("Back", "o:list")),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert isinstance(sent, Message)
    assert sent.from_user and sent.from_user.id == 123456 and sent.from_user.is_bot
    assert sent.chat.id == ALICE and sent.chat.type == "private"
    assert sent.text == 'Order #42 is ready\n{"ok": true}details secret'
    kinds = {e.type: e for e in sent.entities or []}
    assert kinds["bold"].offset == 0 and kinds["bold"].length == 5
    assert kinds["text_link"].url == "https://example.com/o/42"
    assert kinds["pre"].language == "json"
    assert "expandable_blockquote" in kinds and "spoiler" in kinds
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "o:refill:42"
    assert sent.link_preview_options and sent.link_preview_options.is_disabled
    stored = emu.last_bot_message(ALICE)
    assert stored is not None and stored.message_id == sent.message_id
    assert "<b>Order</b>" in stored.html and 'data-language="json"' in stored.html


async def test_utf16_offsets_and_auto_entities(bot: Bot) -> None:
    sent = await bot.send_message(ALICE, "👍 <b>ok</b> see /help or https://t.me/x @support_bot")
    entities = {e.type: e for e in sent.entities or []}
    assert entities["bold"].offset == 3  # the emoji is two UTF-16 code units
    assert sent.text is not None
    assert entities["bot_command"].extract_from(sent.text) == "/help"
    assert entities["url"].extract_from(sent.text) == "https://t.me/x"
    assert entities["mention"].extract_from(sent.text) == "@support_bot"


async def test_reply_keyboard_remove_force_reply_and_reply_parameters(
    bot: Bot, emu: TelegramEmulator
) -> None:
    await emu.send_text(ALICE, "hi")
    first = emu.chat(ALICE)[0]
    kb = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Catalogue"), KeyboardButton(text="Orders")]],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="Choose",
    )
    sent = await bot.send_message(
        ALICE, "Menu", reply_markup=kb, reply_parameters=ReplyParameters(message_id=1)
    )
    assert sent.reply_markup is None  # reply keyboards are not part of the Message
    assert sent.reply_to_message and sent.reply_to_message.message_id == first.message_id
    assert emu.keyboard(ALICE) == {
        "keyboard": [[{"text": "Catalogue"}, {"text": "Orders"}]],
        "resize_keyboard": True,
        "one_time_keyboard": True,
        "input_field_placeholder": "Choose",
    }
    await emu.press_reply_button(ALICE, "Orders")
    assert emu.chat(ALICE)[-1].text == "Orders"
    await bot.send_message(ALICE, "Bye keyboard", reply_markup=ReplyKeyboardRemove())
    assert emu.keyboard(ALICE) is None
    await bot.send_message(ALICE, "Link?", reply_markup=ForceReply(input_field_placeholder="URL"))
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(ALICE, "x", reply_parameters=ReplyParameters(message_id=999))
    ok = await bot.send_message(
        ALICE,
        "x",
        reply_parameters=ReplyParameters(message_id=999, allow_sending_without_reply=True),
    )
    assert ok.reply_to_message is None


async def test_edit_text_markup_and_delete(bot: Bot, emu: TelegramEmulator) -> None:
    sent = await bot.send_message(ALICE, "Step 1", reply_markup=keyboard(("Next", "n")))
    edited = await bot.edit_message_text(
        text="Step <b>2</b>",
        chat_id=ALICE,
        message_id=sent.message_id,
        reply_markup=keyboard(("Done", "d")),
    )
    assert isinstance(edited, Message)
    assert edited.text == "Step 2" and edited.edit_date is not None
    assert edited.reply_markup and edited.reply_markup.inline_keyboard[0][0].text == "Done"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="Step <b>2</b>",
            chat_id=ALICE,
            message_id=sent.message_id,
            reply_markup=keyboard(("Done", "d")),
        )
    only_markup = await bot.edit_message_reply_markup(
        chat_id=ALICE, message_id=sent.message_id, reply_markup=None
    )
    assert isinstance(only_markup, Message) and only_markup.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=ALICE, message_id=sent.message_id)
    stored = emu.message(ALICE, sent.message_id)
    assert stored is not None and stored.text == "Step 2" and stored.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=ALICE, message_id=999)
    await emu.send_text(ALICE, "mine")
    users = [m for m in emu.chat(ALICE) if not m.from_bot]
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text(text="x", chat_id=ALICE, message_id=users[0].message_id)
    assert await bot.delete_message(ALICE, sent.message_id) is True
    assert emu.message(ALICE, sent.message_id).deleted  # type: ignore[union-attr]
    assert sent.message_id not in [m.message_id for m in emu.chat(ALICE)]
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(ALICE, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="again", chat_id=ALICE, message_id=sent.message_id)
    assert emu.counters.edited == 2 and emu.counters.deleted == 1


async def test_callback_query_and_answers(bot: Bot, emu: TelegramEmulator) -> None:
    sent = await bot.send_message(ALICE, "Confirm?", reply_markup=keyboard(("Yes", "c:yes")))
    update = await emu.click(ALICE, sent.message_id, "c:yes")
    query = update.callback_query
    assert query is not None and query.data == "c:yes" and query.from_user.id == ALICE
    assert query.message is not None and query.message.message_id == sent.message_id
    [got] = await bot.get_updates()
    assert got.callback_query and got.callback_query.id == query.id
    assert await bot.answer_callback_query(query.id, text="Order placed", show_alert=True)
    answer = await emu.wait_for_callback_answer(query.id)
    assert answer.text == "Order placed" and answer.show_alert
    assert emu.callback_answers(ALICE) == [answer]
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(LookupError):
        await emu.click(ALICE, sent.message_id, "forged")
    forged = await emu.click(ALICE, sent.message_id, "forged", check=False)
    assert forged.callback_query and forged.callback_query.data == "forged"
    await bot.answer_callback_query(forged.callback_query.id)
    silent = await emu.wait_for_callback_answer(forged)
    assert silent.text is None and not silent.show_alert


async def test_get_updates_long_poll_with_offset(bot: Bot, emu: TelegramEmulator) -> None:
    assert await bot.get_updates(timeout=0) == []
    poll = asyncio.ensure_future(bot.get_updates(timeout=10))
    await asyncio.sleep(0)
    first = await emu.send_text(ALICE, "/start")
    [update] = await asyncio.wait_for(poll, 5)
    assert update.update_id == first.update_id and update.message
    assert update.message.text == "/start"
    assert update.message.entities and update.message.entities[0].type == "bot_command"
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [first.update_id]  # not confirmed yet
    second = await emu.send_text(BORIS, "привет")
    third = await emu.send_text(ALICE, "/help")
    batch = await bot.get_updates(offset=first.update_id + 1, limit=1)
    assert [u.update_id for u in batch] == [second.update_id]
    batch = await bot.get_updates(offset=second.update_id + 1)
    assert [u.update_id for u in batch] == [third.update_id]
    assert batch[0].message and batch[0].message.from_user
    assert batch[0].message.from_user.language_code == "en"
    assert await bot.get_updates(offset=third.update_id + 1, timeout=0) == []


async def test_allowed_updates_and_conflicting_polls(bot: Bot, emu: TelegramEmulator) -> None:
    await bot.get_updates(allowed_updates=["callback_query"], timeout=0)
    await emu.send_text(ALICE, "ignored")
    assert await bot.get_updates(timeout=0) == []
    await bot.get_updates(allowed_updates=[], timeout=0)
    update = await emu.send_text(ALICE, "seen")
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update.update_id]
    await bot.get_updates(offset=update.update_id + 1, timeout=0)
    polls = emu.counters.polls
    older = asyncio.ensure_future(bot(GetUpdates(timeout=10), request_timeout=20))
    await emu.wait_for_counters(lambda c: c.polls > polls)  # the older one is waiting
    newer = asyncio.ensure_future(bot.get_updates(timeout=10))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(older, 5)
    await emu.send_text(BORIS, "wake")
    assert len(await asyncio.wait_for(newer, 5)) == 1


async def test_webhook_delivery_secret_and_retry(bot: Bot, emu: TelegramEmulator) -> None:
    received: asyncio.Queue[tuple[dict[str, Any], str | None]] = asyncio.Queue()
    failures = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        await received.put((await request.json(), secret))
        if (await request.json()).get("message", {}).get("text") == "/ping":
            return web.json_response({"method": "sendMessage", "chat_id": ALICE, "text": "pong"})
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        await emu.send_text(BORIS, "before")  # dropped by drop_pending_updates
        assert await bot.set_webhook(url, secret_token="s3cr3t_T0ken", drop_pending_updates=True)
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()

        update = await emu.send_text(ALICE, "/start")
        body, secret = await asyncio.wait_for(received.get(), 5)
        assert secret == "s3cr3t_T0ken"
        assert body["update_id"] == update.update_id and body["message"]["text"] == "/start"
        assert emu.counters.webhook_failures == 1 and emu.counters.webhook_deliveries == 1
        info = await bot.get_webhook_info()
        assert info.last_error_message is None or "500" in info.last_error_message

        await emu.send_text(ALICE, "/ping")
        await asyncio.wait_for(received.get(), 5)
        reply = await emu.wait_for_bot_message(ALICE, lambda m: m.text == "pong")
        assert reply.from_bot

        assert await bot.delete_webhook(drop_pending_updates=True)
        assert (await bot.get_webhook_info()).url == ""
        later = await emu.send_text(ALICE, "polling again")
        assert [u.update_id for u in await bot.get_updates(timeout=0)] == [later.update_id]
    finally:
        await runner.cleanup()


async def test_webhook_error_is_reported(bot: Bot, emu: TelegramEmulator) -> None:
    app = web.Application()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await runner.cleanup()  # nothing listens there any more
    await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
    await emu.send_text(ALICE, "lost?")
    await emu.wait_for_counters(lambda c: c.webhook_failures >= 1)
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Connection refused"
    assert info.pending_update_count == 1 and info.last_error_date is not None
    await bot.delete_webhook()


async def test_commands_with_scopes_and_languages(bot: Bot, emu: TelegramEmulator) -> None:
    customer = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="orders", description="My orders"),
    ]
    russian = [BotCommand(command="start", description="Начать")]
    admin = [*customer, BotCommand(command="admin", description="Admin panel")]
    assert await bot.set_my_commands(customer)
    assert await bot.set_my_commands(russian, language_code="ru")
    assert await bot.set_my_commands(customer, scope=BotCommandScopeAllPrivateChats())
    assert await bot.set_my_commands(admin, scope=BotCommandScopeChat(chat_id=ADMIN))
    assert [c.command for c in await bot.get_my_commands()] == ["start", "orders"]
    assert (await bot.get_my_commands(language_code="ru"))[0].description == "Начать"
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ADMIN))
    assert [c.command for c in scoped] == ["start", "orders", "admin"]
    assert await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ALICE)) == []
    assert [c["command"] for c in emu.commands_for(ADMIN)][-1] == "admin"
    assert [c["command"] for c in emu.commands_for(ALICE)] == ["start", "orders"]
    assert await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=ADMIN))
    assert await bot.get_my_commands(scope=BotCommandScopeChat(chat_id=ADMIN)) == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.set_my_commands(customer, scope=BotCommandScopeChat(chat_id=424242))


async def test_profile_menu_chat_and_member(bot: Bot, emu: TelegramEmulator) -> None:
    assert await bot.set_my_description("SMM shop", language_code="en")
    assert (await bot.get_my_description(language_code="en")).description == "SMM shop"
    assert await bot.set_my_short_description("Shop")
    assert (await bot.get_my_short_description()).short_description == "Shop"
    assert (await bot.get_my_name()).name == emu.bot_name
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert isinstance(await bot.get_chat_menu_button(), MenuButtonCommands)
    chat = await bot.get_chat(OPERATORS_CHAT_ID)
    assert chat.title == "Operators" and chat.type == "supergroup"
    owner = await bot.get_chat_member(OPERATORS_CHAT_ID, ADMIN)
    assert owner.status == "creator"
    assert (await bot.get_chat_member(OPERATORS_CHAT_ID, ALICE)).status == "left"
    assert (await bot.get_chat_member(ALICE, ALICE)).status == "member"


async def test_group_messages(bot: Bot, emu: TelegramEmulator) -> None:
    sent = await bot.send_message(OPERATORS_CHAT_ID, "⚠️ Order <b>17</b> is unknown")
    assert sent.chat.type == "supergroup" and sent.chat.title == "Operators"
    assert emu.last_bot_message(OPERATORS_CHAT_ID) is not None
    await emu.send_text(ADMIN, "/order 17", chat_id=OPERATORS_CHAT_ID)
    [update] = await bot.get_updates()
    assert update.message and update.message.chat.id == OPERATORS_CHAT_ID
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(-100999, "nobody")


async def test_chat_action_and_block(bot: Bot, emu: TelegramEmulator) -> None:
    assert await bot.send_chat_action(ALICE, ChatAction.TYPING)
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(ALICE, "dancing")  # type: ignore[arg-type]
    earlier = await bot.send_message(ALICE, "before the block")
    emu.block(ALICE)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "still there?")
    with pytest.raises(TelegramForbiddenError):
        await bot.edit_message_text("edited", chat_id=ALICE, message_id=earlier.message_id)
    assert emu.message(ALICE, earlier.message_id).text == "before the block"  # type: ignore[union-attr]
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(ALICE, ChatAction.TYPING)
    [update] = await bot.get_updates()
    assert update.my_chat_member and update.my_chat_member.new_chat_member.status == "kicked"
    emu.unblock(ALICE)
    assert (await bot.send_message(ALICE, "welcome back")).text == "welcome back"
    assert emu.counters.violations["blocked"] == 3


async def test_photo_and_document_upload_file_id_url_and_download(
    bot: Bot, emu: TelegramEmulator
) -> None:
    photo = await bot.send_photo(
        ALICE, BufferedInputFile(png(3, 2), "chart.png"), caption="<b>Stats</b>"
    )
    assert photo.photo and photo.photo[-1].width == 3 and photo.photo[-1].height == 2
    assert photo.caption == "Stats" and photo.caption_entities
    file_id = photo.photo[-1].file_id
    again = await bot.send_photo(BORIS, file_id)
    assert again.photo and again.photo[-1].file_id == file_id
    by_url = await bot.send_photo(ALICE, "https://example.com/banner.jpg")
    assert by_url.photo
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(ALICE, "no-such-file-id")
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(ALICE, BufferedInputFile(b"not an image", "x.png"))

    doc = await bot.send_document(
        ALICE, BufferedInputFile(b"id,status\n1,done\n", "orders.csv"), caption="Export"
    )
    assert doc.document and doc.document.file_name == "orders.csv"
    assert doc.document.mime_type == "text/csv" and doc.document.file_size == 17
    with pytest.raises(TelegramBadRequest, match="can't use file of type Document as Photo"):
        await bot.send_photo(ALICE, doc.document.file_id)
    file = await bot.get_file(doc.document.file_id)
    assert file.file_path
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == b"id,status\n1,done\n"
    assert (await bot.send_document(BORIS, "https://example.com/terms.pdf")).document


async def test_copy_and_forward(bot: Bot, emu: TelegramEmulator) -> None:
    await emu.send_text(ALICE, "Please check https://instagram.com/p/abc")
    source = emu.chat(ALICE)[-1]
    copied = await bot.copy_message(OPERATORS_CHAT_ID, ALICE, source.message_id)
    stored = emu.message(OPERATORS_CHAT_ID, copied.message_id)
    assert stored is not None and stored.from_bot and stored.text == source.text
    forwarded = await bot.forward_message(OPERATORS_CHAT_ID, ALICE, source.message_id)
    assert forwarded.forward_origin is not None
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(OPERATORS_CHAT_ID, ALICE, 9999)


async def test_stars_invoice_pay_and_refund(bot: Bot, emu: TelegramEmulator) -> None:
    invoice = await bot.send_invoice(
        ALICE,
        title="Top up 100 ⭐",
        description="Adds $1.30 to your wallet",
        payload="topup:1001:100",
        currency="XTR",
        prices=[LabeledPrice(label="Top up", amount=100)],
    )
    assert invoice.invoice and invoice.invoice.total_amount == 100
    assert invoice.invoice.currency == "XTR"

    async def bot_side() -> str:
        [pre] = await bot.get_updates(timeout=5)
        assert pre.pre_checkout_query and pre.pre_checkout_query.invoice_payload == "topup:1001:100"
        assert pre.pre_checkout_query.total_amount == 100
        assert await bot.answer_pre_checkout_query(pre.pre_checkout_query.id, ok=True)
        [paid] = await bot.get_updates(offset=pre.update_id + 1, timeout=5)
        assert paid.message and paid.message.successful_payment
        return paid.message.successful_payment.telegram_payment_charge_id

    outcome, charge_id = await asyncio.gather(emu.pay(ALICE, invoice.message_id), bot_side())
    assert outcome.ok and outcome.telegram_payment_charge_id == charge_id
    assert emu.message(ALICE, invoice.message_id).paid_charge_id == charge_id  # type: ignore[union-attr]
    assert (await bot.get_my_star_balance()).amount == 100
    assert await bot.refund_star_payment(ALICE, charge_id)
    with pytest.raises(TelegramBadRequest, match="CHARGE_ALREADY_REFUNDED"):
        await bot.refund_star_payment(ALICE, charge_id)
    with pytest.raises(TelegramBadRequest, match="CHARGE_NOT_FOUND"):
        await bot.refund_star_payment(BORIS, "nope")
    assert emu.payments[charge_id].refunded
    assert emu.chat(ALICE)[-1].refunded_payment is not None


async def test_pre_checkout_declined_and_invoice_link(bot: Bot, emu: TelegramEmulator) -> None:
    link = await bot.create_invoice_link(
        title="Top up",
        description="50 Stars",
        payload="topup:50",
        currency="XTR",
        prices=[LabeledPrice(label="Top up", amount=50)],
    )
    assert link.startswith("https://t.me/$")

    async def decline() -> None:
        [pre] = await bot.get_updates(timeout=5)
        assert pre.pre_checkout_query
        await bot.answer_pre_checkout_query(
            pre.pre_checkout_query.id, ok=False, error_message="Shop is in maintenance"
        )

    outcome, _ = await asyncio.gather(emu.pay_link(BORIS, link), decline())
    assert not outcome.ok and outcome.error_message == "Shop is in maintenance"
    assert not emu.payments
    with pytest.raises(TelegramBadRequest, match="QUERY_ID_INVALID"):
        await bot.answer_pre_checkout_query("123", ok=True)


async def test_invoice_validation(bot: Bot) -> None:
    prices = [LabeledPrice(label="x", amount=10)]
    with pytest.raises(TelegramBadRequest, match="PAYMENT_PROVIDER_INVALID"):
        await bot.send_invoice(
            ALICE, "t", "d", "p", currency="XTR", prices=prices, provider_token="real-provider"
        )
    with pytest.raises(TelegramBadRequest, match="STARS_INVOICE_INVALID"):
        await bot.send_invoice(ALICE, "t", "d", "p", currency="XTR", prices=prices * 2)
    with pytest.raises(TelegramBadRequest, match="REPLY_MARKUP_BUY_EMPTY"):
        await bot.send_invoice(
            ALICE, "t", "d", "p", currency="XTR", prices=prices, reply_markup=keyboard(("x", "y"))
        )
    pay_first = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Pay 10 ⭐", pay=True)]]
    )
    sent = await bot.send_invoice(
        ALICE, "t", "d", "p", currency="XTR", prices=prices, reply_markup=pay_first
    )
    assert sent.reply_markup and sent.reply_markup.inline_keyboard[0][0].pay


async def test_pay_timeout_when_bot_never_answers() -> None:
    emulator = TelegramEmulator(pre_checkout_timeout=0.05)
    await emulator.start()
    try:
        assert emulator.base_url
        client = make_bot(emulator.base_url, emulator.token)
        sent = await client.send_invoice(
            ALICE, "t", "d", "p", currency="XTR", prices=[LabeledPrice(label="x", amount=5)]
        )
        outcome = await emulator.pay(ALICE, sent.message_id)
        assert not outcome.ok and "did not answer" in (outcome.error_message or "")
        await client.session.close()
    finally:
        await emulator.stop()
