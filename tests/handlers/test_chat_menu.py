"""The persistent menu, /help, greetings and unknown commands, cancelling an order (asked
once, panel refusals in the customer's words), maintenance, and the buttons under order
notices."""

from __future__ import annotations

import json

import pytest
from aiogram.types import ReplyKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.orders import StatusPoller
from bot.provider.models import ServiceType
from bot.shop.enums import OrderState
from bot.shop.orders.models import OrderDTO
from handlers.common.error_texts import panel_reason
from tests.handlers.arrange import ADMIN, LINK, admin_shop, customer, outbox, user_id
from tests.harness import Customer, ShopApp, catalog_id, open_service

pytestmark = pytest.mark.shop("plain", alice="100")


def _reply_keyboard(someone: Customer) -> list[str]:
    for sent in reversed(someone.messages()):
        if isinstance(sent.reply_markup, ReplyKeyboardMarkup):
            return [b.text for row in sent.reply_markup.keyboard for b in row]
    raise AssertionError("no persistent menu was set")


async def _place(app: ShopApp, someone: Customer, **kinds: bool) -> OrderDTO:
    """An order placed through the chat, of a plain service with the given abilities."""
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False, **kinds)
    await open_service(someone, await catalog_id(app, service.service_id))
    await someone.send(LINK)
    await someone.send(str(service.min))
    await someone.click("Confirm")
    assert "placed" in someone.last_text
    uid = await user_id(app, someone)
    async with app.shop() as shop:
        return (await shop.orders.page_for_user(uid, per_page=1)).orders[0]


# --- the persistent menu ---------------------------------------------------------------


async def test_start_sets_the_menu_and_its_buttons_work(app: ShopApp, alice: Customer) -> None:
    labels = _reply_keyboard(alice)
    assert labels == [
        "🛒 New order",
        "📋 My orders",
        "💰 Balance / Top up",
        "👥 Referral",
        "💬 Support",
        "🌐 Language",
    ]
    await alice.send("📋 My orders")
    assert "no orders yet" in alice.last_text
    await alice.send("💰 Balance / Top up")
    assert "100.00 USD" in alice.last_text and any("Top up" in b for b, _ in alice.buttons())
    await alice.send("🛒 New order")
    assert any("Instagram" in b for b, _ in alice.buttons())
    await alice.send("🌐 Language")
    assert "Choose your language" in alice.last_text
    await alice.send("👥 Referral")
    assert "start=ref_" in alice.last_text or any("t.me" in b for b, _ in alice.buttons())


async def test_the_menu_in_russian(app: ShopApp) -> None:
    boris = await customer(app, 1002, first_name="Борис", language="ru")
    assert "📋 Мои заказы" in _reply_keyboard(boris)
    await boris.send("📋 Мои заказы")
    assert "пока нет заказов" in boris.last_text
    await boris.send("💬 Поддержка")
    assert "Поддержка" in boris.last_text


async def test_the_menu_follows_the_language(app: ShopApp, alice: Customer) -> None:
    await alice.send("/language")
    await alice.click("Русский")
    labels = _reply_keyboard(alice)
    assert "💰 Баланс / Пополнить" in labels and "Меню" in alice.last_text
    await alice.send("💰 Баланс / Пополнить")
    assert "Баланс" in alice.last_text
    await alice.send("📋 My orders")  # the old keyboard's button still works
    assert "пока нет заказов" in alice.last_text


async def test_a_menu_button_leaves_the_form(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send("💰 Balance / Top up")
    assert "100.00 USD" in alice.last_text
    await alice.send("followers")  # the form is over: a search, not a link
    assert "Found" in alice.last_text


async def test_referral_is_in_the_menu_only_when_referrals_are_on(engine: AsyncEngine) -> None:
    async with admin_shop(engine) as app:
        app.deps.settings.referral_percent = 0  # type: ignore[assignment]
        bob = await customer(app, 1002, first_name="Bob")
        assert "👥 Referral" not in _reply_keyboard(bob)
        await bob.send("/help")
        assert "/referral" not in bob.last_text


async def test_support_with_and_without_a_contact(app: ShopApp, alice: Customer) -> None:
    await alice.send("💬 Support")  # opens a ticket: which order is it about?
    assert "Support" in alice.last_text and "write to" not in alice.last_text
    assert any("Not about an order" in label for label, _ in alice.buttons())
    app.deps.settings.support_contact = "@shop_help"
    await alice.send("/support")
    assert "You can also write to @shop_help" in alice.last_text


async def test_help_lists_what_a_customer_can_do(app: ShopApp, alice: Customer) -> None:
    await alice.send("/help")
    for command in (
        "/start",
        "/orders",
        "/balance",
        "/topup",
        "/promo",
        "/referral",
        "/language",
        "/support",
        "/paysupport",
        "/cancel",
    ):
        assert command in alice.last_text, command


# --- kind replies ------------------------------------------------------------------------


@pytest.mark.parametrize("said", ["Hi", "hello!", "Привет", "здравствуйте", "Hi 👋"])
async def test_a_greeting_gets_the_menu(app: ShopApp, alice: Customer, said: str) -> None:
    await alice.send(said)
    assert alice.last_text.startswith("👋 Hello, Alice!") and "did not find" not in alice.last_text
    assert any("New order" in label for label, _ in alice.buttons())


async def test_an_unknown_command_gets_the_menu(app: ShopApp, alice: Customer) -> None:
    await alice.send("/foo")
    assert "do not know that command" in alice.last_text and "/help" in alice.last_text
    assert any("New order" in label for label, _ in alice.buttons())
    await alice.send("followers")  # other text still searches
    assert "Found" in alice.last_text


# --- cancelling an order -----------------------------------------------------------------


async def test_cancel_asks_first_and_acts_once(app: ShopApp, alice: Customer) -> None:
    order = await _place(app, alice, cancel=True)
    await alice.send("/orders")
    await alice.click(f"#{order.id}")
    await alice.click("Cancel order")
    assert "Cancel order <b>#" in alice.last_text and app.sim.calls["cancel"] == 0
    await alice.click("Keep it")  # back to the card, nothing asked
    assert app.sim.calls["cancel"] == 0 and any("Cancel order" in b for b, _ in alice.buttons())
    await alice.click("Cancel order")
    confirm, yes = alice.find_button("Yes, cancel")
    await alice.press(yes, confirm)
    assert "Cancellation requested" in alice.alerts()[-1] and app.sim.calls["cancel"] == 1
    assert "Cancellation requested" in alice.last_text
    assert not any("Cancel order" in b for b, _ in alice.buttons())
    await alice.press(yes, confirm)  # the same confirmation again
    assert "already asked to cancel" in alice.alerts()[-1] and app.sim.calls["cancel"] == 1


async def test_a_stale_cancel_confirmation_is_out_of_date(app: ShopApp, alice: Customer) -> None:
    order = await _place(app, alice, cancel=True)
    await alice.send("/orders")
    await alice.click(f"#{order.id}")
    await alice.click("Cancel order")
    confirm, yes = alice.find_button("Yes, cancel")
    assert order.provider_order_id is not None
    app.sim.script(order.provider_order_id, status="Completed")
    await StatusPoller(app.deps).run_cycle()  # the order finished meanwhile
    await alice.press(yes, confirm)
    assert alice.alerts()[-1].startswith("This button is out of date")
    assert app.sim.calls["cancel"] == 0


@pytest.mark.parametrize("language", ["en", "ru"])
async def test_the_panels_refusal_in_the_customers_words(app: ShopApp, language: str) -> None:
    bob = await customer(app, 1002, first_name="Bob", language=language)
    await app.credit(bob, "100")
    order = await _place_as(app, bob)
    assert order.provider_order_id is not None
    # The panel finished it, the shop has not heard yet: the panel refuses to cancel.
    app.sim.script(order.provider_order_id, status="Completed")
    await bob.press(f"o:y:{order.id}:0", bob.last)
    said = bob.alerts()[-1]
    assert "finished" not in said and "canceled" not in said  # no raw panel text
    expected = {"en": "cannot cancel this order any more", "ru": "уже не может отменить"}
    assert expected[language] in said
    # Declined: the request is not pending any more, the card offers Cancel again.
    await bob.press(f"o:c:{order.id}:0", bob.last)
    assert "Cancellation requested" not in bob.last_text


async def _place_as(app: ShopApp, someone: Customer) -> OrderDTO:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False, cancel=True)
    uid = await user_id(app, someone)
    sid = await catalog_id(app, service.service_id)
    async with app.shop() as shop:
        draft = await shop.orders.quote(uid, sid, {"link": LINK, "quantity": service.min})
        return (await shop.placement.place(draft)).order


def test_unknown_refusals_get_a_general_answer(app: ShopApp) -> None:
    i18n = app.deps.i18n
    with i18n.context(), i18n.use_locale("ru"):
        assert panel_reason("Some brand new refusal") == panel_reason(None)
        assert "Some" not in panel_reason("Some brand new refusal")
        assert panel_reason("Incorrect order ID") != panel_reason(None)


# --- maintenance -------------------------------------------------------------------------


async def test_maintenance_keeps_orders_balance_and_help(engine: AsyncEngine) -> None:
    async with admin_shop(engine) as app:
        admin = await customer(app, ADMIN, first_name="Ada")
        alice = await customer(app, 1001)
        await app.credit(alice, "100")
        order = await _place(app, alice)
        await admin.send("/maintenance on")
        for said, expected in (
            ("/orders", f"#{order.id}"),
            ("📋 My orders", f"#{order.id}"),
            ("/balance", "USD"),
            ("💰 Balance / Top up", "USD"),
            ("/help", "/orders"),
        ):
            await alice.send(said)
            assert "closed for maintenance" not in alice.last_text, said
            text = alice.last_text + " ".join(label for label, _ in alice.buttons())
            assert expected in text, said
        await alice.send("/orders")
        await alice.click(f"#{order.id}")  # the card opens
        assert "Order #" in alice.last_text
        for refused in ("/start", "followers", "🛒 New order", "/topup"):
            await alice.send(refused)
            assert "closed for maintenance" in alice.last_text, refused
        await alice.click("Menu")
        await alice.click("New order")
        assert "closed for maintenance" in alice.alerts()[-1]


# --- the buttons under notices -----------------------------------------------------------


async def _finish(app: ShopApp, order: OrderDTO) -> list[list[dict[str, str]]]:
    """Complete the order at the panel, let the poller notice; the notice's buttons."""
    assert order.provider_order_id is not None
    app.sim.script(order.provider_order_id, status="Completed")
    await StatusPoller(app.deps).run_cycle()
    [notice] = [m for m in await outbox(app) if f"#{order.id}</b> is completed" in m.text]
    markup = notice.reply_markup
    assert markup is not None
    keyboard = json.loads(markup) if isinstance(markup, str) else markup
    return keyboard["inline_keyboard"]


def _data(rows: list[list[dict[str, str]]], part: str) -> str:
    return next(b["callback_data"] for row in rows for b in row if part in b["text"])


async def test_notice_buttons_order_again_refill_and_menu(app: ShopApp, alice: Customer) -> None:
    order = await _place(app, alice, refill=True)
    rows = await _finish(app, order)
    labels = [b["text"] for row in rows for b in row]
    assert labels == ["🔁 Order again", "♻️ Refill", "🏠 Menu"]
    before = len(alice.messages())
    await alice.press(_data(rows, "Order again"))
    assert len(alice.messages()) == before + 1 and "Send the link" in alice.last_text
    await alice.send(LINK)  # the new form takes the answer
    assert "How many" in alice.last_text
    await alice.press(_data(rows, "Menu"))
    assert "Main menu" in alice.last_text
    await alice.press(_data(rows, "Refill"))
    assert "Refill requested" in alice.alerts()[-1] and app.sim.calls["refill"] == 1
    assert "Refill #" in alice.last_text  # the card, as a new message


async def test_no_refill_button_when_the_service_has_none(app: ShopApp, alice: Customer) -> None:
    order = await _place(app, alice, refill=False)
    labels = [b["text"] for row in await _finish(app, order) for b in row]
    assert labels == ["🔁 Order again", "🏠 Menu"]


async def test_notice_buttons_of_another_customer_find_nothing(
    app: ShopApp, alice: Customer
) -> None:
    order = await _place(app, alice, refill=True)
    rows = await _finish(app, order)
    mallory = await customer(app, 1666, first_name="Mallory")
    for part in ("Order again", "Refill"):
        before = len(mallory.messages())
        await mallory.press(_data(rows, part))
        assert "Not found" in mallory.alerts()[-1], part
        assert len(mallory.messages()) == before
    assert app.sim.calls["refill"] == 0
    await mallory.send(LINK)  # no form was opened for Mallory: a search
    assert "Send the link" not in mallory.last_text and "How many" not in mallory.last_text
    assert (await _orders_of(app, alice))[0].state is OrderState.COMPLETED


async def _orders_of(app: ShopApp, someone: Customer) -> list[OrderDTO]:
    uid = await user_id(app, someone)
    async with app.shop() as shop:
        return list((await shop.orders.page_for_user(uid, per_page=10)).orders)
