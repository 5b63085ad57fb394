"""REQUIRED_CHANNEL through the real dispatcher: a customer who has not joined is asked to,
one who has shops as usual; orders in flight, /orders, /balance, /help and admins are
never held back; the start-up check that the bot is an admin of the channel."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import GetChatMember, TelegramMethod

from bot.channel import channel_problem
from bot.sandbox.recording import BOT_USER
from tests.handlers.arrange import default_service, place
from tests.harness import Customer, ShopApp, open_service

pytestmark = pytest.mark.shop("admin")

CHANNEL = "@shop_news"
PROMPT = "📢 To use the shop, please join our channel @shop_news first."


def _require(app: ShopApp) -> dict[int, str]:
    app.deps.settings.required_channel = CHANNEL
    statuses = {BOT_USER.id: "administrator"}
    app.session.channels[CHANNEL] = statuses
    return statuses


def _checks(app: ShopApp) -> int:
    return len(app.session.methods(GetChatMember))


async def test_a_customer_who_has_not_joined_is_asked_to(app: ShopApp, alice: Customer) -> None:
    members = _require(app)
    for text in ("/start", "followers", "#1"):
        await alice.send(text)
        assert alice.last_text.startswith(PROMPT), text
    markup = alice.last.reply_markup
    assert markup.inline_keyboard[0][0].url == "https://t.me/shop_news"
    assert [label for label, _ in alice.buttons()] == ["📢 Open @shop_news", "✅ Check again"]
    await alice.click("Check again")
    assert (
        alice.alerts()[-1]
        == "We do not see you in @shop_news yet. Join it, then tap «Check again»."
    )
    members[1001] = "member"
    await alice.click("Check again")
    assert alice.last_text == "✅ Thank you for joining! The shop is open to you."
    await alice.click("Open the menu")
    assert alice.last_text.startswith("🏠 Main menu")
    await alice.send("/start")
    assert "Hi, Alice" in alice.last_text


async def test_a_member_is_asked_about_once_in_a_while(app: ShopApp, alice: Customer) -> None:
    _require(app)[1001] = "member"
    await alice.send("/start")
    await alice.send("followers")
    assert _checks(app) == 1 and not alice.last_text.startswith(PROMPT)
    app.clock.advance(minutes=11)
    await alice.send("/start")
    assert _checks(app) == 2 and "Hi, Alice" in alice.last_text


@pytest.mark.parametrize("status", ["left", "kicked"])
async def test_a_gated_button_gets_the_prompt(app: ShopApp, alice: Customer, status: str) -> None:
    await alice.send("🛒 New order")
    menu_button = alice.buttons()[0][1]  # a platform of the catalogue
    _require(app)[1001] = status
    await alice.press(menu_button)
    assert alice.last_text.startswith(PROMPT)


async def test_orders_balance_help_and_orders_in_flight_are_never_held_back(
    app: ShopApp, alice: Customer
) -> None:
    order = await place(app, alice)
    sid, _ = await default_service(app)
    await open_service(alice, sid)  # an order form begun before the channel was required
    _require(app)
    await alice.send("https://instagram.com/p/abc123")
    assert not alice.last_text.startswith(PROMPT)  # the form goes on
    await alice.send("/cancel")
    await alice.send("/orders")
    assert f"#{order.id}" in str(alice.buttons())
    await alice.click(f"#{order.id}")
    assert f"#{order.id}" in alice.last_text and not alice.last_text.startswith(PROMPT)
    await alice.send("/balance")
    assert "Balance" in alice.last_text
    await alice.send("/help")
    assert not alice.last_text.startswith(PROMPT)
    await alice.send("/start")
    assert alice.last_text.startswith(PROMPT)  # the storefront itself waits


async def test_the_persistent_menu_keeps_orders_balance_and_support_open(
    app: ShopApp, alice: Customer
) -> None:
    order = await place(app, alice)
    _require(app)
    await alice.send("📋 My orders")
    assert f"#{order.id}" in str(alice.buttons())
    await alice.send("💰 Balance / Top up")
    assert "Balance" in alice.last_text
    await alice.send("💬 Support")
    assert not alice.last_text.startswith(PROMPT)
    await alice.send("/support")
    assert not alice.last_text.startswith(PROMPT)
    await alice.send("🛒 New order")
    assert alice.last_text.startswith(PROMPT)  # a new order waits for the channel


async def test_admins_are_never_asked(app: ShopApp, admin: Customer) -> None:
    _require(app)
    await admin.send("/start")
    await admin.send("/stats")
    assert not any(m.text.startswith(PROMPT) for m in admin.messages())
    assert _checks(app) == 0


async def test_a_check_telegram_cannot_answer_lets_the_customer_in(
    app: ShopApp, alice: Customer
) -> None:
    _require(app)
    record = app.session.make_request

    async def make_request(bot: Bot, method: TelegramMethod[Any], timeout: int | None = None):  # type: ignore[no-untyped-def]
        if isinstance(method, GetChatMember):
            raise TelegramNetworkError(method, "Connection reset by peer")
        return await record(bot, method, timeout)

    app.session.make_request = make_request  # type: ignore[method-assign]
    await alice.send("/start")
    assert "Hi, Alice" in alice.last_text


async def test_start_up_says_when_the_bot_is_not_an_admin_there(app: ShopApp) -> None:
    statuses = _require(app)
    assert await channel_problem(app.bot, CHANNEL) is None
    statuses[BOT_USER.id] = "member"
    assert await channel_problem(app.bot, CHANNEL) == (
        "REQUIRED_CHANNEL: the bot is not an admin of @shop_news (it is member); "
        "add it as an administrator of the channel"
    )
    problem = await channel_problem(app.bot, "@no_such_channel")
    assert problem == (
        "REQUIRED_CHANNEL: Telegram does not know @no_such_channel for this bot "
        "(Bad Request: chat not found)"
    )
    app.session.errors.clear()  # refused on purpose: Telegram refuses an unknown channel


async def test_without_the_setting_nothing_is_checked(app: ShopApp, alice: Customer) -> None:
    await alice.send("/start")
    assert "Hi, Alice" in alice.last_text and _checks(app) == 0
