"""Admin commands through the real dispatcher: each as an admin, each as a customer (for
whom they do not exist), each malformed form (usage, nothing changes), and their effects."""

from __future__ import annotations

import pytest
from aiogram.methods import SetMyCommands
from sqlalchemy import select, update

from bot.commands import register_commands
from bot.provider.models import ServiceType
from bot.sandbox.provider.catalog import SimService
from bot.shop.enums import LedgerKind
from bot.shop.money import round_up, to_micro
from bot.texts.format import money
from db.models import (
    AuditEntry,
    LedgerEntry,
    Markup,
    Order,
    OutboxMessage,
    ServiceRow,
    Setting,
    User,
)
from tests.handlers.arrange import (
    ADMIN,
    audit,
    count,
    customer,
    ledger,
    outbox,
    place,
    user_id,
)
from tests.harness import Customer, ShopApp, catalog_id

pytestmark = pytest.mark.shop("admin")

EVERY_COMMAND = [
    "/admin",
    "/stats",
    "/stats 7d",
    "/user 1001",
    "/user @alice",
    "/credit 1001 5 gift",
    "/debit 1001 1",
    "/ban 1001",
    "/unban 1001",
    "/markup 50",
    "/markup 5 category Instagram Followers",
    "/markup 5 service 1",
    "/hide 1",
    "/show 1",
    "/sync",
    "/provider",
    "/panels",
    "/panel main off",
    "/panel main on",
    "/backup 1",
    "/order 1",
    "/refund 1",
    "/broadcast",
    "/maintenance on",
    "/maintenance off",
]


async def _state(app: ShopApp) -> tuple[object, ...]:
    """Everything an admin command could change."""
    async with app.deps.session_factory() as session, session.begin():
        users = (await session.execute(select(User.id, User.balance, User.banned))).all()
        ledger_rows = (await session.execute(select(LedgerEntry.id))).all()
        orders = (await session.execute(select(Order.id, Order.state, Order.refunded))).all()
        markups = (await session.execute(select(Markup.key, Markup.percent))).all()
        hidden = (await session.execute(select(ServiceRow.id, ServiceRow.hidden))).all()
        settings = (await session.execute(select(Setting.key, Setting.value))).all()
        audit_rows = (await session.execute(select(AuditEntry.id))).all()
        queued = (await session.execute(select(OutboxMessage.id))).all()
    return users, ledger_rows, orders, markups, hidden, settings, audit_rows, queued


# --- customers: the commands do not exist -----------------------------------------------


async def test_admin_commands_do_not_exist_for_customers(app: ShopApp, alice: Customer) -> None:
    await place(app, alice)
    await alice.send("/qwzxv")
    unknown = (alice.last_text, alice.buttons())
    assert unknown[0].startswith("We do not know that command.")
    before = await _state(app)
    services_calls = app.sim.calls["services"]
    for command in EVERY_COMMAND:
        sent = len(alice.messages())
        await alice.send(command)
        assert len(alice.messages()) == sent + 1, command
        assert (alice.last_text, alice.buttons()) == unknown, command
    await alice.send("Hello everyone")  # not taken as a broadcast: /broadcast did nothing
    assert alice.last_text.startswith("We did not find a service for that.")  # a search
    assert await _state(app) == before
    assert app.sim.calls["services"] == services_calls


async def test_tampered_admin_buttons_are_refused_for_customers(
    app: ShopApp, alice: Customer
) -> None:
    order = await place(app, alice)
    uid = await user_id(app, alice)
    await alice.press("zz:nothing")
    stale = alice.alerts()[-1]
    assert stale == "This button is out of date. Send /start for the current menu."
    before = await _state(app)
    for data in [
        f"ao:F:{order.id}",
        f"ao:f:{order.id}",
        f"ao:X:{order.id}",
        f"ao:l:{order.id}",
        f"ao:c:{order.id}",
        f"au:b:{uid}",
        f"au:c:{uid}",
        "as:all",
        "aa:1",
        "ab:y:0123456789ab",
        "ab:p:0123456789ab",
        "am:y:0123456789ab",
        "am:n:0123456789ab",
        "abm:each:",
        "abm:only:ru",
    ]:
        await alice.press(data)
        assert alice.alerts()[-1] == stale, data
    assert await _state(app) == before


async def test_admin_menu_is_registered_for_admins_only(app: ShopApp) -> None:
    await register_commands(app.bot, app.deps.i18n, admin_ids=[ADMIN, 9002])
    calls = app.session.methods(SetMyCommands)
    admin_scoped = [c for c in calls if c.scope.type == "chat"]
    assert {c.scope.chat_id for c in admin_scoped} == {ADMIN, 9002}
    everyone = [c for c in calls if c.scope.type != "chat"]
    assert everyone and all("stats" not in {cmd.command for cmd in c.commands} for c in everyone)
    for call in admin_scoped:
        names = {cmd.command for cmd in call.commands}
        assert {"admin", "stats", "user", "credit", "debit", "ban", "unban", "markup"} <= names
        assert {"hide", "show", "sync", "provider", "order", "refund", "broadcast"} <= names
        assert {"maintenance", "start", "orders"} <= names


# --- /admin, /stats ---------------------------------------------------------------------


async def test_admin_lists_commands_and_switches_order_alerts(
    app: ShopApp, admin: Customer
) -> None:
    await admin.send("/admin")
    text = admin.last_text
    for syntax in [
        "/stats [today|7d|30d|all]",
        "/user &lt;telegram id | @username&gt;",
        "/credit &lt;id&gt; &lt;amount&gt; [reason]",
        "/debit &lt;id&gt; &lt;amount&gt; [reason]",
        "/ban &lt;id&gt;",
        "/unban &lt;id&gt;",
        "/markup &lt;percent&gt; [category &lt;name&gt; | service &lt;id&gt;]",
        "/hide &lt;service id&gt;",
        "/show &lt;service id&gt;",
        "/sync",
        "/provider",
        "/order &lt;id&gt;",
        "/refund &lt;id&gt;",
        "/broadcast",
        "/maintenance on|off",
        "/starsrefund &lt;charge id&gt;",
        "/promo create &lt;CODE&gt; &lt;amount&gt; &lt;uses&gt; [days] | list | off &lt;CODE&gt;",
    ]:
        assert syntax in text, syntax
    titles = ["Shop", "Customers", "Money", "Orders", "Panels", "Support", "Broadcasts"]
    assert [t for t in titles if f"<b>{t}</b>" not in text] == []
    # In their groups: the customers' commands after the shop's, before the money's.
    assert text.index("<b>Shop</b>") < text.index("/user") < text.index("<b>Money</b>")
    assert "Alerts for every placed order: off" in text
    await admin.click("Turn order alerts on")
    assert "Alerts for every placed order: on" in admin.last_text
    async with app.shop() as shop:
        assert await shop.alert_switches.order_placed()
    actions = [(row.actor_id, row.action, row.details) for row in await audit(app)]
    assert actions == [(ADMIN, "admin", {}), (ADMIN, "alerts.order_placed", {"on": True})]


async def test_stats_counts_from_the_database(app: ShopApp, admin: Customer) -> None:
    alice = await customer(app, 1001, username="alice")
    bob = await customer(app, 1002, first_name="Bob")
    await customer(app, 1003, first_name="Carol")
    for someone in (alice, bob):
        await app.credit(someone, "100")
    completed = await place(app, alice)
    canceled = await place(app, alice)
    partial = await place(app, bob)
    bob_id = await user_id(app, bob)
    async with app.shop() as shop:
        await shop.orders.mark_completed(
            completed.id, provider_charge=to_micro("0.5"), provider_currency="USD"
        )
        await shop.orders.mark_canceled(canceled.id)
        await shop.orders.mark_partial(partial.id, remains=partial.quantity // 2)
        await shop.wallet.credit(bob_id, to_micro("7"), LedgerKind.TOPUP, "stars:1")
    async with app.deps.session_factory() as session, session.begin():
        await session.execute(update(User).where(User.telegram_id == 1003).values(banned=True))
        await session.execute(
            update(User).where(User.telegram_id == 1002).values(unreachable_since=app.clock.now())
        )
    await admin.send("/stats")
    text = admin.last_text
    async with app.deps.session_factory() as session, session.begin():
        orders = {o.id: o for o in await session.scalars(select(Order))}
    charged = sum(o.charge for o in orders.values())
    refunded = sum(o.refunded for o in orders.values())
    cost = round_up(to_micro("0.5") + orders[partial.id].cost, "USD")
    assert "<b>Customers</b>: 4 in all, 4 new, 2 ordered" in text
    assert "unreachable (blocked the bot): 1, banned: 1" in text
    assert "<b>Orders placed</b>: 3" in text
    assert "completed: 1" in text and "canceled: 1" in text and "partial: 1" in text
    assert f"charged: {money(charged, 'USD')}" in text
    assert f"refunded: {money(refunded, 'USD')}" in text
    assert f"revenue: <b>{money(charged - refunded, 'USD')}</b>" in text
    assert f"provider cost: {money(cost, 'USD')}" in text
    assert f"profit: <b>{money(charged - refunded - cost, 'USD')}</b>" in text
    assert "top-ups: 7.00 USD" in text and "admin credits: 200.00 USD" in text
    balances = 200_000_000 + 7_000_000 - charged + refunded
    assert f"held now: {money(balances, 'USD')} on 2 wallets" in text

    # A day later: today is empty; 7d and all still see everything.
    app.clock.advance(days=1)
    await admin.send("/stats today")
    assert "<b>Orders placed</b>: 0" in admin.last_text
    assert "4 in all, 0 new, 0 ordered" in admin.last_text
    await admin.click("7 days")
    assert "<b>Orders placed</b>: 3" in admin.last_text
    app.clock.advance(days=10)
    await admin.send("/stats 7d")
    assert "<b>Orders placed</b>: 0" in admin.last_text
    await admin.send("/stats all")
    assert "<b>Orders placed</b>: 3" in admin.last_text
    assert [row.details for row in await audit(app) if row.action == "stats"] == [
        {"period": p} for p in ("today", "today", "7d", "7d", "all")
    ]


# --- customers: /user, /credit, /debit, /ban -------------------------------------------------


async def test_user_profile_by_id_and_username(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    order = await place(app, alice)
    for ref in ("1001", "@alice", "@ALICE"):
        await admin.send(f"/user {ref}")
        text = admin.last_text
        assert "@alice <code>1001</code>" in text
        assert f"Balance: <b>{money(to_micro('50') - order.charge, 'USD')}</b>" in text
        assert f"#{order.id}" in text and "Latest ledger rows" in text
        assert ("🔄 #1", f"ao:c:{order.id}") in admin.buttons()
    await admin.click("Ban")
    assert "⛔ Banned" in admin.last_text
    await alice.send("/start")
    assert alice.last_text == "Sorry, your access to this shop is closed."
    await admin.click("Unban")
    assert "Banned" not in admin.last_text
    await alice.send("/start")
    assert "Hi, Alice" in alice.last_text
    await admin.click(f"#{order.id}")
    assert f"Order #{order.id}</b>" in admin.last_text
    actions = [row.action for row in await audit(app)]
    assert actions == ["user", "user", "user", "ban", "user", "unban", "user", "order"]


async def test_credit_writes_an_adjustment_and_tells_the_customer(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await admin.send("/credit 1001 12.50 public: sorry for the delay <3")
    assert "Credit <b>12.50 USD</b> to Alice @alice <code>1001</code>?" in admin.last_text
    assert await ledger_entry_count(app) == 1 and await outbox(app, 1001) == []  # asked only
    await admin.click("Confirm")
    assert "Credited 12.50 USD" in admin.last_text and "62.50 USD" in admin.last_text
    assert "sorry for the delay &lt;3" in admin.last_text
    row = (await ledger(app))[-1]
    assert (row.kind, row.amount, row.actor_id, row.note) == (
        LedgerKind.ADJUSTMENT,
        to_micro("12.50"),
        ADMIN,
        "sorry for the delay <3",
    )
    [notice] = await outbox(app, 1001)
    assert "12.50 USD was added to your balance" in notice.text
    assert "62.50 USD" in notice.text and "sorry for the delay &lt;3" in notice.text
    asked, entry = await audit(app)
    assert (asked.action, asked.details["amount"]) == ("credit.ask", "12.50")
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        ADMIN,
        "credit",
        "user",
        "1001",
    )
    assert entry.details["amount"] == "12.50" and entry.details["reason"] == (
        "sorry for the delay <3"
    )
    assert await app.balance(alice) == to_micro("62.50")


async def test_debit_never_goes_below_zero(app: ShopApp, admin: Customer, alice: Customer) -> None:
    await admin.send("/debit @alice 50.01")
    assert "cannot go below zero" in admin.last_text and "50.00 USD" in admin.last_text
    assert await app.balance(alice) == to_micro("50") and await audit(app) == []
    await admin.send("/debit @alice 50 chargeback")
    assert "Balance: 50.00 USD → <b>0.00 USD</b>" in admin.last_text
    assert "Reason (private): chargeback" in admin.last_text
    await admin.click("Confirm")
    assert "Debited 50.00 USD" in admin.last_text and "Balance now 0.00 USD" in admin.last_text
    row = (await ledger(app))[-1]
    assert (row.amount, row.actor_id, row.note) == (-to_micro("50"), ADMIN, "chargeback")
    [notice] = await outbox(app, 1001)  # a debit is announced too, without the private reason
    assert "50.00 USD was taken from your balance" in notice.text
    assert "0.00 USD" in notice.text and "chargeback" not in notice.text
    assert [r.action for r in await audit(app)] == ["debit.ask", "debit"]


async def ledger_entry_count(app: ShopApp) -> int:
    return len(await ledger(app))


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_malformed_commands_get_usage_and_change_nothing(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await place(app, alice)
    cases = {
        "/credit": "Usage: <code>/credit &lt;id&gt; &lt;amount&gt; [reason]</code>",
        "/credit 1001": "Usage: <code>/credit",
        "/credit alice 5": "Usage: <code>/credit",
        "/credit 1001 abc": "positive number with at most 2 decimals, up to 100000 USD",
        "/credit 1001 0": "positive number",
        "/credit 1001 -5": "positive number",
        "/credit 1001 1.234": "positive number",
        "/credit 1001 100000.01": "positive number",
        "/credit 1001 1e3": "positive number",
        "/credit 5555 5": "No customer 5555 is known",
        "/credit @nobody 5": "No customer @nobody is known",
        "/debit": "Usage: <code>/debit",
        "/debit 1001 1000": "cannot go below zero",
        "/debit 1001 0.001": "positive number",
        "/ban": "Usage: <code>/ban &lt;id&gt;</code>",
        "/ban x": "Usage: <code>/ban",
        "/ban 1001 1002": "Usage: <code>/ban",
        "/ban 5555": "No customer 5555",
        f"/ban {ADMIN}": "Admins cannot be banned",
        "/unban": "Usage: <code>/unban",
        "/user": "Usage: <code>/user &lt;telegram id | @username&gt;</code>",
        "/user alice": "Usage: <code>/user",
        "/user 7777": "No customer 7777",
        "/markup": "Usage: <code>/markup",
        "/markup abc": "number from 0 to 1000",
        "/markup -5": "number from 0 to 1000",
        "/markup 1000.5": "number from 0 to 1000",
        "/markup 12.345": "number from 0 to 1000",
        "/markup 10 category": "Usage: <code>/markup",
        "/markup 10 service": "Usage: <code>/markup",
        "/markup 10 service x": "Usage: <code>/markup",
        "/markup 10 brand 1": "Usage: <code>/markup",
        "/markup 10 category No Such Category": "no category «No Such Category»",
        "/markup 10 service 99999": "There is no service #99999",
        "/hide": "Usage: <code>/hide &lt;service id&gt;</code>",
        "/hide x": "Usage: <code>/hide",
        "/hide 99999": "There is no service #99999",
        "/show 1 2": "Usage: <code>/show",
        "/order": "Usage: <code>/order &lt;id&gt;</code>",
        "/order x": "Usage: <code>/order",
        "/order 999": "There is no order #999",
        "/refund": "Usage: <code>/refund",
        "/refund 999": "There is no order #999",
        "/stats yesterday": "one of: today, 7d, 30d, all",
        "/stats 7d 30d": "one of: today, 7d, 30d, all",
        "/maintenance": "Maintenance is off.\nUsage: <code>/maintenance on|off</code>",
        "/maintenance maybe": "Usage: <code>/maintenance on|off</code>",
        "/sync now": (
            "There is no panel <code>now</code>. Panels: <code>main</code>.\n"
            "Usage: <code>/sync [panel]</code>"
        ),
        "/provider please": "Usage: <code>/provider</code>",
        "/broadcast hello": "Usage: <code>/broadcast</code>",
    }
    before = await _state(app)
    for command, reply in cases.items():
        await admin.send(command)
        assert reply in admin.last_text, (command, admin.last_text)
    assert await _state(app) == before


async def test_ban_closes_the_shop_to_the_customer(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await admin.send("/ban @alice")
    assert "is banned" in admin.last_text
    await admin.send("/ban 1001")
    assert "is banned already" in admin.last_text
    await alice.send("/start")
    assert alice.last_text == "Sorry, your access to this shop is closed."
    await admin.send("/unban 1001")
    assert "is unbanned" in admin.last_text
    await alice.send("/balance")
    assert "Balance" in alice.last_text
    assert [(r.action, r.details["changed"]) for r in await audit(app)] == [
        ("ban", True),
        ("ban", False),
        ("unban", True),
    ]


# --- prices and the catalogue ----------------------------------------------------------


async def _card_price(customer_: Customer, service_id: int) -> str:
    await customer_.send(f"#{service_id}")
    return customer_.buttons()[0][0]


async def test_markup_global_category_service(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    sid = await catalog_id(app, service.service_id)
    before = await _card_price(alice, sid)
    await admin.send("/markup 100")
    text = admin.last_text
    assert "Global markup set to <b>100%</b> (was 30%)" in text and "Example: #" in text
    assert " → <b>" in text
    after = await _card_price(alice, sid)
    assert after != before
    async with app.deps.session_factory() as session, session.begin():
        row = await session.get(ServiceRow, sid)
        assert row is not None
    await admin.send(f"/markup 12.5 category {row.category.lower()}")
    assert f"Markup of category «{row.category}» set to <b>12.5%</b> (was 100%)" in admin.last_text
    assert "1 category or service markup still" not in admin.last_text
    await admin.send(f"/markup 0 service {sid}")
    assert f"Markup of service #{sid}" in admin.last_text and "(was 12.5%)" in admin.last_text
    await admin.send("/markup 40")
    assert "2 category and service markups still take precedence" in admin.last_text
    async with app.deps.session_factory() as session, session.begin():
        markups = {m.key: m.percent for m in await session.scalars(select(Markup))}
    assert markups == {
        "global": to_micro("40"),
        f"category:{row.category}": to_micro("12.5"),
        f"service:{sid}": 0,
    }
    entries = [(r.action, r.target_type, r.details["percent"]) for r in await audit(app)]
    assert entries == [
        ("markup", "global", "100"),
        ("markup", "category", "12.5"),
        ("markup", "service", "0"),
        ("markup", "global", "40"),
    ]


async def test_hide_and_show_a_service(app: ShopApp, admin: Customer, alice: Customer) -> None:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    sid = await catalog_id(app, service.service_id)
    await alice.send(f"#{sid}")
    assert "Found 1 service" in alice.last_text
    await admin.send(f"/hide {sid}")
    assert f"Service #{sid}" in admin.last_text and "hidden from customers" in admin.last_text
    await alice.send(f"#{sid}")
    assert alice.last_text.startswith("We did not find a service for that.")
    await admin.send(f"/hide #{sid}")
    assert "is hidden already" in admin.last_text
    await admin.send(f"/show {sid}")
    assert "visible again" in admin.last_text
    await alice.send(f"#{sid}")
    assert "Found 1 service" in alice.last_text
    assert [r.action for r in await audit(app)] == ["hide", "hide", "show"]


async def test_sync_reports_added_changed_hidden(app: ShopApp, admin: Customer) -> None:
    first, second = app.sim.services[0], app.sim.services[1]
    app.sim.change_service(first.service_id, rate=first.rate + 1)
    app.sim.remove_service(second.service_id)
    app.sim.set_catalogue(
        [
            *app.sim.services,
            SimService(
                service_id=9999,
                name="Brand new service",
                type="Default",
                category="Instagram Followers",
                rate=first.rate,
                min=10,
                max=1000,
            ),
        ]
    )
    app.clock.advance(60)
    await admin.send("/sync")
    assert "Loading the panel's catalogue" in admin.messages()[-2].text
    assert "1 added, 1 changed, 1 hidden" in admin.last_text
    [entry] = await audit(app)
    assert (entry.action, entry.details["added"], entry.details["removed"]) == ("sync", 1, 1)

    app.sim.faults.html = True
    await admin.send("/sync")
    assert "not reachable right now; nothing was changed" in admin.last_text
    assert len(await audit(app)) == 1


async def test_provider_shows_balance_and_polling(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await place(app, alice)
    await admin.send("/provider")
    text = admin.last_text
    assert f"Balance: <b>{app.sim.balance:f} USD</b>" in text
    assert "Active orders: 1 · unknown: 0 · being placed: 0" in text
    app.sim.faults.http_5xx = True
    await admin.send("/provider")
    assert "Balance unknown: the panel did not answer" in admin.last_text
    assert [r.action for r in await audit(app)] == ["provider", "provider"]


async def test_maintenance_closes_the_storefront_but_not_for_admins(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await admin.send("/maintenance on")
    assert "Maintenance is on" in admin.last_text
    await alice.send("/start")
    assert "closed for maintenance" in alice.last_text
    await alice.send("/admin")
    assert "closed for maintenance" in alice.last_text
    await admin.send("/start")
    assert "Hi, Ada" in admin.last_text
    await admin.send("/stats")
    assert "Stats: today" in admin.last_text
    await admin.send("/maintenance on")
    assert "It was so already" in admin.last_text
    await admin.send("/maintenance OFF")
    assert "Maintenance is off" in admin.last_text
    await alice.send("/start")
    assert "Hi, Alice" in alice.last_text
    assert [(r.action, r.details) for r in await audit(app) if r.action == "maintenance"] == [
        ("maintenance", {"on": True, "changed": True}),
        ("maintenance", {"on": True, "changed": False}),
        ("maintenance", {"on": False, "changed": True}),
    ]


async def test_every_admin_command_writes_one_audit_row(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await place(app, alice)
    for command in EVERY_COMMAND:
        before = await count(app, AuditEntry)
        await admin.send(command)
        rows = await audit(app)
        expected = 0 if command == "/broadcast" else 1  # the broadcast's row is on Confirm
        assert len(rows) == before + expected, command
        if expected:
            assert rows[-1].actor_id == ADMIN and rows[-1].created_at == app.clock.now()
        if command == "/broadcast":
            await admin.send("/cancel")
