"""/export through the real dispatcher: the CSV document checked row by row, the date
window, formula injection, and every malformed form answered with the usage line."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from bot.shop.money import to_micro
from db.models import Setting
from tests.handlers.arrange import ADMIN, audit, customer, place
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("admin")

USAGE = "Usage: <code>/export orders|ledger|customers [from] [to]</code>"


def _csv(sent_file: bytes | None) -> list[list[str]]:
    assert sent_file is not None, "no document"
    assert sent_file.startswith("\ufeff".encode())  # the BOM spreadsheets look for
    return list(csv.reader(io.StringIO(sent_file.decode("utf-8-sig"), newline="")))


async def test_orders_export_row_by_row(app: ShopApp, admin: Customer, alice: Customer) -> None:
    order = await place(app, alice)
    await admin.send("/export orders")
    sent = admin.last
    assert sent.method == "sendDocument" and sent.filename == "orders_start_2026-01-01.csv"
    assert sent.text == "📄 Orders: 1 row, everything so far."
    header, row = _csv(sent.file)
    assert header == [
        "id",
        "created_at",
        "customer_telegram_id",
        "customer_username",
        "service_id",
        "service",
        "category",
        "link",
        "quantity",
        "state",
        "charge",
        "refunded",
        "cost",
        "currency",
        "panel_order_id",
        "finished_at",
    ]
    record = dict(zip(header, row, strict=True))
    assert record["id"] == str(order.id)
    assert record["created_at"] == "2026-01-01T12:00:00+00:00"
    assert record["customer_telegram_id"] == "1001" and record["customer_username"] == "alice"
    assert record["service"] == order.service_name and record["state"] == "active"
    assert record["link"] == order.link and record["quantity"] == str(order.quantity)
    assert record["charge"] == f"{order.charge / 1e6:.2f}" and record["refunded"] == "0.00"
    assert record["currency"] == "USD" and record["finished_at"] == ""
    assert record["panel_order_id"] == order.provider_order_id
    [entry] = [r for r in await audit(app) if r.action == "export"]
    assert (entry.target_id, entry.details) == ("orders", {"from": None, "to": None, "rows": 1})


async def test_ledger_and_customers_escape_formulas(app: ShopApp, admin: Customer) -> None:
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@cmd", "\tTab", "Plain"]
    for offset, name in enumerate(names):
        await customer(app, 2000 + offset, first_name=name)
    eve = await customer(app, 2100, first_name="Eve", username="eve")
    await app.credit(eve, "3")
    await admin.send("/credit @eve 1.50 =1+1")
    await admin.click("Confirm")
    await admin.send("/debit @eve 2 -SUM(A1)")
    await admin.click("Confirm")
    await admin.send("/export customers")
    header, *rows = _csv(admin.last.file)
    assert header[:5] == ["id", "joined_at", "telegram_id", "username", "first_name"]
    first_names = {r[2]: r[4] for r in rows}
    assert [first_names[str(2000 + i)] for i in range(len(names))] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-2",
        "'@cmd",
        "'\tTab",
        "Plain",
    ]
    eve_row = dict(zip(header, next(r for r in rows if r[2] == "2100"), strict=True))
    assert eve_row["balance"] == "2.50" and eve_row["banned"] == "no"
    await admin.send("/export ledger")
    header, *rows = _csv(admin.last.file)
    eve_rows = [dict(zip(header, r, strict=True)) for r in rows if r[2] == "2100"]
    assert [(r["kind"], r["amount"], r["balance_after"], r["note"]) for r in eve_rows] == [
        ("adjustment", "3.00", "3.00", ""),
        ("adjustment", "1.50", "4.50", "'=1+1"),
        ("adjustment", "-2.00", "2.50", "'-SUM(A1)"),  # the amount stays a number
    ]
    assert all(r["currency"] == "USD" for r in eve_rows)
    assert eve_rows[1]["admin_id"] == str(ADMIN)


async def test_the_window_is_inclusive_utc_days(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    first = await place(app, alice)  # 2026-01-01 12:00
    app.clock.advance(hours=12)  # 2026-01-02 00:00: the next day
    second = await place(app, alice)
    app.clock.advance(days=1, seconds=-1)  # 2026-01-02 23:59:59
    third = await place(app, alice)
    app.clock.advance(seconds=1)  # 2026-01-03 00:00
    fourth = await place(app, alice)

    async def ids(command: str) -> list[str]:
        await admin.send(command)
        return [row[0] for row in _csv(admin.last.file)[1:]]

    assert await ids("/export orders 2026-01-02 2026-01-02") == [str(second.id), str(third.id)]
    assert await ids("/export orders 2026-01-01 2026-01-01") == [str(first.id)]
    assert await ids("/export orders 2026-01-02") == [str(o.id) for o in (second, third, fourth)]
    assert await ids("/export ORDERS") == [str(o.id) for o in (first, second, third, fourth)]
    assert await ids("/export orders 2025-01-01 2025-12-31") == []
    assert admin.last.filename == "orders_2025-01-01_2025-12-31.csv"
    assert admin.last.text == "📄 Orders: 0 rows, 2025-01-01 – 2025-12-31 (UTC)."


async def test_many_rows_are_read_page_by_page(
    app: ShopApp, admin: Customer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.shop.exports.PAGE", 3)
    for offset in range(8):
        await customer(app, 3000 + offset, first_name=f"C{offset}")
    await admin.send("/export customers")
    rows = _csv(admin.last.file)[1:]
    assert [r[2] for r in rows] == [str(ADMIN)] + [str(3000 + i) for i in range(8)]
    assert len({r[0] for r in rows}) == len(rows)


async def test_malformed_exports_get_the_usage_line(app: ShopApp, admin: Customer) -> None:
    for command in [
        "/export",
        "/export sales",
        "/export orders 2026-1-2",
        "/export orders 02.01.2026",
        "/export orders 2026-02-30",
        "/export orders 2026-01-02 2026-01-01",
        "/export orders 2026-01-01 2026-01-02 2026-01-03",
        "/export orders ２０２６-01-01",
        "/export orders yesterday",
    ]:
        before = len(admin.messages())
        await admin.send(command)
        assert len(admin.messages()) == before + 1, command
        assert admin.last_text == USAGE, command
        assert admin.last.method == "sendMessage", command
    assert [r for r in await audit(app) if r.action == "export"] == []
    async with app.deps.session_factory() as session, session.begin():
        assert list(await session.scalars(select(Setting.key))) == []


async def test_export_does_not_exist_for_customers(app: ShopApp, alice: Customer) -> None:
    await alice.send("/export orders")
    assert alice.last.method == "sendMessage" and alice.last.file is None
    assert await app.balance(alice) == to_micro("50")
