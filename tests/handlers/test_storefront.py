"""The customer's storefront through the real dispatcher: every type, bad input, money."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.methods import SendMessage
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.provider.models import ServiceType
from bot.shop.enums import OrderState
from bot.shop.money import to_micro
from db.repositories.users import UserRepo
from tests.harness import Customer, ShopApp, catalog_id, open_service, running_shop

pytestmark = pytest.mark.shop("plain", alice="100")

LINK = "https://instagram.com/p/abc123"


async def _orders(app: ShopApp, customer: Customer) -> list:
    async with app.shop() as shop:
        user, _ = await shop.users.enter(
            customer.user.id, username=None, first_name=customer.user.first_name, language="en"
        )
        page = await shop.orders.page_for_user(user.id, per_page=50)
        return list(page.orders)


ANSWERS = {
    "Send the link": LINK,
    "Send the link to the media": "https://instagram.com/p/media1",
    "How many?": None,  # the service minimum, filled per service
    "Send the comments": None,
    "Send the usernames": None,
    "Send the keywords": "smm panel\nbuy followers",
    "Send the groups": "https://t.me/group_one\nhttps://t.me/group_two",
    "Send the hashtags": "#travel\n#sea",
    "Send the hashtag.": "#travel",
    "Send the username.": "@natgeo",
    "Which answer": "2",
    "Minimum per post": None,
    "Maximum per post": None,
    "For how many new posts": "3",
    "Also for how many existing": "0",
    "Until when?": "31/12/2099",
}


async def _fill_form(customer: Customer, service_min: int) -> None:
    for _ in range(12):
        text = customer.last_text
        if "Check your order" in text:
            return
        if "Drip-feed" in text:
            await customer.click("Skip")
            continue
        if "Delay before each post" in text:
            await customer.click("30")
            continue
        for prompt, answer in ANSWERS.items():
            if prompt in text:
                if answer is None:
                    if prompt in {"Send the comments", "Send the usernames"}:
                        answer = "\n".join(f"line{i}" for i in range(service_min))
                    else:
                        answer = str(service_min)
                await customer.send(answer)
                break
        else:
            raise AssertionError(f"unexpected question: {text}")
    raise AssertionError("the form did not finish")


@pytest.mark.parametrize("db_kind", ["sqlite"])
@pytest.mark.parametrize("kind", list(ServiceType))
async def test_full_order_for_every_type(app: ShopApp, alice: Customer, kind: ServiceType) -> None:
    service = app.sim.find_service(kind)
    sid = await catalog_id(app, service.service_id)
    await open_service(alice, sid)
    await _fill_form(alice, service.min)
    summary = alice.last_text
    assert "Total:" in summary
    before = await app.balance(alice)
    await alice.click("Confirm")
    assert "placed" in alice.last_text, alice.last_text
    [order] = await _orders(app, alice)
    assert order.state is OrderState.ACTIVE and order.provider_order_id
    assert await app.balance(alice) == before - order.charge
    assert app.sim.calls["add"] == 1
    sent = app.sim.order(order.provider_order_id).fields
    assert sent["service"] == str(service.service_id)


async def test_double_confirm_places_one_order(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    confirm = alice.find_button("Confirm")
    await asyncio.gather(alice.press(confirm[1], confirm[0]), alice.press(confirm[1], confirm[0]))
    orders = await _orders(app, alice)
    assert len(orders) == 1 and app.sim.calls["add"] == 1
    assert await app.balance(alice) == to_micro("100") - orders[0].charge
    await alice.press(confirm[1], confirm[0])  # a third tap, after the flow ended
    assert len(await _orders(app, alice)) == 1 and app.sim.calls["add"] == 1


@pytest.mark.parametrize(
    ("answer", "reply"),
    [
        ("abc", "whole number"),
        ("1.5", "whole number"),
        ("5", "Send a number from"),
        ("99999999", "Send a number from"),
    ],
)
async def test_bad_quantity_is_refused_and_asked_again(
    app: ShopApp, alice: Customer, answer: str, reply: str
) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(answer)
    assert reply in alice.last_text
    await alice.send(str(service.min))
    assert "Check your order" in alice.last_text


@pytest.mark.parametrize(
    "link", ["hello", "javascript:alert(1)", "mailto:a@b.com", "https://" + "x" * 600 + ".com"]
)
async def test_bad_link_is_refused(app: ShopApp, alice: Customer, link: str) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(link)
    assert "link" in alice.last_text.lower() and "Step 1" not in alice.last_text
    assert await _orders(app, alice) == []


async def test_comment_list_empty_or_oversized(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.CUSTOM_COMMENTS)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send("\n \n")
    assert "Send from" in alice.last_text or "at least one line" in alice.last_text
    await alice.send("\n".join(f"c{i}" for i in range(service.max + 1)))
    assert "Send from" in alice.last_text or "too long" in alice.last_text
    assert await _orders(app, alice) == []


async def test_insufficient_funds_then_topup_then_confirm(app: ShopApp) -> None:
    bob = app.customer(1003, first_name="Bob")
    await bob.send("/start")
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(bob, await catalog_id(app, service.service_id))
    await bob.send(LINK)
    await bob.send(str(service.max))
    await bob.click("Confirm")
    assert "Not enough on your balance" in bob.last_text
    # Top-ups are off in this shop: no button offers one (an admin can still credit).
    assert not any("Top up" in label for label, _ in bob.buttons())
    assert await _orders(app, bob) == [] and app.sim.calls["add"] == 0
    await app.credit(bob, "5000")
    await bob.click("Confirm")
    assert "placed" in bob.last_text
    assert len(await _orders(app, bob)) == 1


async def test_price_change_shows_new_summary(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    app.sim.change_service(service.service_id, rate=service.rate * 3)
    app.clock.advance(minutes=1)
    await app.sync_catalog()
    await alice.click("Confirm")
    assert "price changed" in alice.last_text
    assert await _orders(app, alice) == []
    await alice.click("Confirm")
    assert "placed" in alice.last_text


async def test_provider_refuses(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    app.sim.faults.reject_duplicate_links = True
    for _ in range(2):
        await open_service(alice, await catalog_id(app, service.service_id))
        await alice.send(LINK)
        await alice.send(str(service.min))
        await alice.click("Confirm")
    assert "already an active order for this link" in alice.last_text
    orders = await _orders(app, alice)
    assert [o.state for o in orders] == [OrderState.FAILED, OrderState.ACTIVE]
    assert orders[0].refunded == orders[0].charge
    assert await app.balance(alice) == to_micro("100") - orders[1].charge


async def test_provider_does_not_answer(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    app.sim.faults.add_hang_after_create = True
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    await alice.click("Confirm")
    assert "did not answer in time" in alice.last_text
    [order] = await _orders(app, alice)
    assert order.state is OrderState.UNKNOWN and order.refunded == 0
    assert app.sim.calls["add"] == 1  # never retried


async def test_another_customers_order_is_not_shown(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    await alice.click("Confirm")
    await alice.click("Order #")
    card_data = alice.find_button("Refresh")[1]
    mallory = app.customer(1666, first_name="Mallory")
    await mallory.send("/start")
    for data in (card_data, card_data.replace("o:r:", "o:c:"), card_data.replace("o:r:", "o:x:")):
        await mallory.press(data)
    assert all(LINK not in m.text for m in mallory.messages())
    assert any("Not found" in text for text in mallory.alerts())
    assert (await _orders(app, alice))[0].state is OrderState.ACTIVE


@pytest.mark.parametrize(
    "data",
    ["c:s:0:zzzzzzzz:0", "s:c:999999:0", "o:c:424242:0", "f:y:0", "garbage", "c:c:77::0", "l:xx"],
)
async def test_tampered_or_stale_callbacks(app: ShopApp, alice: Customer, data: str) -> None:
    await alice.press(data)
    assert alice.alerts(), "a tampered button gets an answer"
    assert await _orders(app, alice) == []


async def test_refresh_refill_and_cancel(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, refill=True, cancel=True, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    await alice.click("Confirm")
    await alice.click("Order #")
    await alice.click("Refresh")
    calls = app.sim.calls["status"]
    await alice.click("Refresh")  # within 30 s: not asked again
    assert app.sim.calls["status"] == calls
    [order] = await _orders(app, alice)
    app.sim.script(order.provider_order_id, status="Completed")
    app.clock.advance(seconds=31)
    await alice.click("Refresh")
    assert "completed" in alice.last_text
    await alice.click("Refill")
    assert "Refill #" in alice.last_text
    assert app.sim.calls["refill"] == 1

    # A second order, canceled while in progress: refunded when the panel says so.
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK + "x")
    await alice.send(str(service.min))
    await alice.click("Confirm")
    await alice.click("Order #")
    await alice.click("Cancel order")
    await alice.click("Yes, cancel")
    assert any("Cancellation requested" in a for a in alice.alerts())
    app.clock.advance(seconds=31)
    await alice.click("Refresh")
    second = (await _orders(app, alice))[0]
    assert second.state is OrderState.CANCELED and second.refunded == second.charge


async def test_cancel_leaves_any_flow(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send("/cancel")
    assert "cancelled" in alice.messages()[-2].text
    await alice.send("followers")  # outside a flow: a search again
    assert "Found" in alice.last_text


async def test_search_hides_hidden_and_unsupported(app: ShopApp, alice: Customer) -> None:
    unknown = next(s for s in app.sim.services if ServiceType.parse(s.type) is None)
    await alice.send(f"#{await catalog_id(app, unknown.service_id)}")
    assert "did not find" in alice.last_text


async def test_language_switch_applies_at_once(app: ShopApp, alice: Customer) -> None:
    await alice.send("/language")
    await alice.click("Русский")
    assert "Главное меню" in alice.last_text or "меню" in alice.last_text.lower()
    await alice.send("/help")
    assert "Как" in alice.last_text or "заказ" in alice.last_text


async def test_russian_customer_gets_russian(app: ShopApp) -> None:
    boris = app.customer(1002, first_name="Борис", language="ru")
    await boris.send("/start")
    assert "Баланс" in boris.last_text


async def test_banned_and_maintenance(app: ShopApp, alice: Customer) -> None:
    async with app.shop() as shop:
        user, _ = await shop.users.enter(
            alice.user.id, username=None, first_name="Alice", language="en"
        )
    async with app.deps.session_factory() as session, session.begin():
        await UserRepo(session).set_banned(user.id, True)
    await alice.send("/orders")
    assert "closed" in alice.last_text
    sent = len(alice.messages())
    await alice.send("/start")
    assert len(alice.messages()) == sent + 1  # one polite message, nothing else
    async with app.deps.session_factory() as session, session.begin():
        await UserRepo(session).set_banned(user.id, False)
    async with app.shop() as shop:
        await shop.settings.set_maintenance(True)
    await alice.send("/start")
    assert "maintenance" in alice.last_text


async def test_every_reply_is_valid_html(app: ShopApp, alice: Customer) -> None:
    from bot.sandbox.telegram import parse_html

    await alice.send("<b>unclosed & <script>")
    await alice.send("/help")
    for call in app.session.methods(SendMessage):
        parse_html(call.text)  # raises on what Telegram would refuse


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_unexpected_error_apologises_and_alerts_operators(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_shop(engine, operator_chat_id=-100777) as app:
        alice = app.customer(1001)
        await alice.send("/start")
        await _unexpected_error(app, alice, monkeypatch)


async def _unexpected_error(app: ShopApp, alice: Customer, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.shop.catalog import CatalogService

    async def broken(self: CatalogService) -> list:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(CatalogService, "platforms", broken)
    before = await app.balance(alice)
    await alice.send("/cancel")  # the main menu, whose New order is a button
    await alice.click("New order")
    assert any("Sorry, something went wrong" in a for a in alice.alerts())
    assert not any("nothing was charged" in a for a in alice.alerts())
    assert await app.balance(alice) == before
    from sqlalchemy import text

    async with app.deps.session_factory() as session, session.begin():
        texts = list(await session.scalars(text("SELECT text FROM outbox")))
    assert any("database on fire" in t for t in texts)


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_operators_hear_of_refused_and_unknown_orders(engine: AsyncEngine) -> None:
    from sqlalchemy import text

    async with running_shop(engine, operator_chat_id=-100777) as app:
        alice = app.customer(1001)
        await alice.send("/start")
        await app.credit(alice, "100")
        service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
        for fault in ("reject_duplicate_links", "add_hang_after_create"):
            setattr(app.sim.faults, fault, True)
            for _ in range(2 if fault == "reject_duplicate_links" else 1):
                await open_service(alice, await catalog_id(app, service.service_id))
                await alice.send(LINK)
                await alice.send(str(service.min))
                await alice.click("Confirm")
            setattr(app.sim.faults, fault, False)
        async with app.deps.session_factory() as session, session.begin():
            rows = list(await session.execute(text("SELECT chat_id, text FROM outbox")))
        alerts = [t for chat, t in rows if chat == -100777]
        assert any("refused" in t and "You have active order" in t for t in alerts)
        assert any("No answer from the panel" in t for t in alerts)
        assert not any("Placed order" in t for t in alerts)  # order-placed alerts are off


async def test_paused_panel_charges_nothing(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    async with app.shop() as shop:
        await shop.settings.pause_panel("Not enough funds on balance", need=1)
    await alice.click("Confirm")
    # The tap was answered already (placing can take a while): the reason is a message.
    assert "temporarily unavailable" in alice.last_text
    assert await _orders(app, alice) == [] and app.sim.calls["add"] == 0
    assert await app.balance(alice) == to_micro("100")
