"""Form details through the real dispatcher, in English and Russian: drip-feed totals,
the shortfall and its exact top-up, links without a scheme, unit prices that check, plural
forms and dates in the customer's language, and the usual completion time on the card."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest

from bot.provider.models import ServiceType
from bot.shop.money import round_up, to_micro
from handlers.orders.callbacks import OrderAction, OrderCD
from handlers.storefront.callbacks import ServiceAction, ServiceCD
from tests.handlers.arrange import LINK, default_service, place
from tests.handlers.stars import RATE, last_invoice, pay
from tests.harness import Customer, ShopApp, catalog_id, open_service

pytestmark = pytest.mark.shop("plain", alice="100")


async def _start_form(customer: Customer, service_id: int) -> None:
    """Open the service's form by its button's data (any language)."""
    await customer.send(f"#{service_id}")
    await customer.press(ServiceCD(action=ServiceAction.ORDER, service_id=service_id).pack())


async def _drip_summary(customer: Customer, app: ShopApp, runs: int) -> tuple[int, str]:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=True)
    sid = await catalog_id(app, service.service_id)
    await _start_form(customer, sid)
    await customer.send("instagram.com/p/abc123")
    await customer.send(str(service.min))
    await customer.send(str(runs))
    await customer.send("30")
    return service.min, customer.last_text


async def _card(customer: Customer, order_id: int) -> str:
    await customer.press(OrderCD(action=OrderAction.CARD, order_id=order_id).pack())
    return customer.last_text


# --- drip-feed totals -----------------------------------------------------------------


async def test_drip_feed_total_in_summary_receipt_and_card(app: ShopApp, alice: Customer) -> None:
    per_run, summary = await _drip_summary(alice, app, 5)
    total = per_run * 5
    line = f"💧 In total: 5 runs × {per_run:,} = <b>{total:,}</b>"
    assert line in summary, summary
    await alice.click("Confirm")
    receipt = alice.last_text
    assert "placed" in receipt and line in receipt, receipt
    order_id = int(receipt.split("#")[1].split("<")[0])
    assert line in await _card(alice, order_id)
    sent = next(iter(app.sim.orders.values())).fields
    assert (sent["quantity"], sent["runs"]) == (str(per_run), "5")


@pytest.mark.parametrize(("runs", "word"), [(2, "запуска"), (5, "запусков"), (21, "запуск")])
async def test_drip_feed_runs_in_russian_plural_forms(app: ShopApp, runs: int, word: str) -> None:
    boris = app.customer(1002, first_name="Борис", language="ru")
    await boris.send("/start")
    await app.credit(boris, "10000")
    per_run, summary = await _drip_summary(boris, app, runs)
    total = f"{per_run * runs:,}".replace(",", "\u00a0")
    assert f"💧 Всего: {runs} {word} × " in summary and f"<b>{total}</b>" in summary, summary


async def test_runs_hint_names_the_runs_range(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=True)
    await open_service(alice, await catalog_id(app, service.service_id))
    await alice.send(LINK)
    await alice.send(str(service.min))
    await alice.send("many")
    assert "whole number from 2 to 100" in alice.last_text and "1000" not in alice.last_text


# --- links without a scheme -----------------------------------------------------------


async def test_link_without_a_scheme_is_accepted_and_shown_normalized(
    app: ShopApp, alice: Customer
) -> None:
    sid, minimum = await default_service(app)
    await open_service(alice, sid)
    await alice.send("instagram.com/p/abc123")
    assert "How many?" in alice.last_text
    await alice.send(str(minimum))
    assert "<code>https://instagram.com/p/abc123</code>" in alice.last_text
    await alice.click("Confirm")
    [sent] = app.sim.orders.values()
    assert sent.fields["link"] == "https://instagram.com/p/abc123"


# --- unit prices ----------------------------------------------------------------------


async def test_unit_price_has_the_decimals_to_check_a_total(app: ShopApp, alice: Customer) -> None:
    # 0.5398 per 1000 at the panel, 30% markup: 0.70174 per 1000 for the customer, so a
    # rounded "0.71" would not explain that 5,000 cost 3.51.
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    app.sim.change_service(service.service_id, rate=Decimal("0.5398"), min=10, max=100000)
    app.clock.advance(minutes=1)
    await app.sync_catalog()
    sid = await catalog_id(app, service.service_id)
    await alice.send(f"#{sid}")
    assert alice.buttons()[0][0].startswith("0.7018 USD/1k · ")
    await alice.press(alice.buttons()[0][1])
    assert "<b>0.7018 USD</b> per 1000" in alice.last_text
    await alice.click("Order")
    await alice.send(LINK)
    await alice.send("5000")
    assert "Total: <b>3.51 USD</b>" in alice.last_text
    assert round_up(to_micro("0.7018") * 5, "USD") == to_micro("3.51")


# --- the balance after, never negative ------------------------------------------------


async def test_short_balance_says_what_is_missing_without_top_ups(app: ShopApp) -> None:
    bob = app.customer(1003, first_name="Bob")
    await bob.send("/start")
    await app.credit(bob, "0.05")
    sid, _ = await default_service(app)
    await open_service(bob, sid)
    await bob.send(LINK)
    await bob.send("10000")
    summary = bob.last_text
    assert "Balance after" not in summary and "-" not in summary.split("Total:")[1]
    assert "💰 Your balance: 0.05 USD. Missing: <b>" in summary
    # Top-ups are off in this shop: nothing offers one.
    assert not any("Top up" in label for label, _ in bob.buttons())


@pytest.mark.shop("stars")
async def test_shortfall_offers_the_exact_top_up_in_stars(app: ShopApp, alice: Customer) -> None:
    await app.credit(alice, "0.10")
    sid, _ = await default_service(app)
    await open_service(alice, sid)
    await alice.send(LINK)
    await alice.send("10000")
    summary = alice.last_text
    missing = to_micro(summary.split("Missing: <b>")[1].split(" ")[0])
    # Offered on the summary itself, before any failed confirm.
    label = next(label for label, _ in alice.buttons() if "Top up" in label)
    credit = to_micro(label.split("Top up ")[1].split(" ")[0])
    stars = int(label.split("⭐")[1])
    rate = Decimal(RATE)
    fewer = to_micro(((stars - 1) * rate).quantize(Decimal("0.01"), rounding=ROUND_DOWN))
    assert credit >= missing > fewer  # the fewest Stars that cover what is missing
    await alice.click("Top up")
    assert last_invoice(app, alice).prices[0].amount == stars
    assert (await pay(app, alice)).ok
    assert "Balance after: " in alice.last_text
    assert await app.balance(alice) == to_micro("0.10") + credit
    await alice.click("Confirm")
    assert "placed" in alice.last_text
    assert await app.balance(alice) == credit - missing  # the order cost 0.10 + missing


# --- Russian: plural forms, dates, agreement ------------------------------------------


@pytest.mark.shop("stars")
async def test_top_up_menu_in_russian_says_one_star(app: ShopApp) -> None:
    boris = app.customer(1002, first_name="Борис", language="ru")
    await boris.send("/topup")
    assert "1 звезда = 0,013 USD" in boris.last_text and "Star" not in boris.last_text


async def test_order_card_in_russian_dates_and_state(app: ShopApp) -> None:
    boris = app.customer(1002, first_name="Борис", language="ru")
    await boris.send("/start")
    await app.credit(boris, "100")
    order = await place(app, boris)
    card = await _card(boris, order.id)
    assert f"<b>Заказ #{order.id}</b> — выполняется" in card
    assert "1 янв." in card and "12:00" in card, card  # the fake clock's 2026-01-01 12:00
    async with app.shop() as shop:
        await shop.orders.mark_completed(order.id, remains=0)
    assert f"<b>Заказ #{order.id}</b> — выполнен\n" in await _card(boris, order.id)


async def test_order_card_in_english_dates(app: ShopApp, alice: Customer) -> None:
    order = await place(app, alice)
    card = await _card(alice, order.id)
    assert "🕒 Placed: Jan 1" in card and "12:00" in card and "2026-01-01" not in card


# --- the usual completion time --------------------------------------------------------


async def _complete_after(app: ShopApp, customer: Customer, minutes: int) -> int:
    order = await place(app, customer)
    app.clock.advance(minutes=minutes)
    async with app.shop() as shop:
        await shop.orders.mark_completed(order.id, remains=0)
    return order.id


async def test_usual_time_from_our_own_completed_orders(app: ShopApp, alice: Customer) -> None:
    for minutes in (60, 120, 90, 150):
        last = await _complete_after(app, alice, minutes)
    assert "Usually takes" not in await _card(alice, last)  # 4 orders are not enough
    last = await _complete_after(app, alice, 30)
    card = await _card(alice, last)
    # The median of 30, 60, 90, 120, 150 minutes.
    assert "⏱ Usually takes about 1 hour 30 minutes (measured on our last 5 completed orders)" in (
        card
    ), card


async def test_usual_time_in_russian(app: ShopApp) -> None:
    boris = app.customer(1002, first_name="Борис", language="ru")
    await boris.send("/start")
    await app.credit(boris, "1000")
    for _ in range(21):  # 21 orders: the singular form that "21" takes in Russian
        last = await _complete_after(app, boris, 1500)
    card = await _card(boris, last)
    assert "⏱ Обычное время выполнения: 1 день 1 час (по нашему последнему 21 " in card, card


async def test_usual_time_from_the_panels_field(app: ShopApp, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    app.sim.change_service(service.service_id, average_time="2 hours 15 minutes")
    app.clock.advance(minutes=1)
    await app.sync_catalog()
    order = await place(app, alice)
    card = await _card(alice, order.id)
    assert "⏱ Usually takes about 2 hours 15 minutes (the provider's estimate)" in card
    app.sim.change_service(service.service_id, average_time=None, average_time_key="avg_time")
    app.sim.change_service(service.service_id, average_time=45)
    app.clock.advance(minutes=1)
    await app.sync_catalog()
    assert "about 45 minutes (the provider's estimate)" in await _card(alice, order.id)
