"""Promo codes through the real dispatcher: the admin commands, redemption once per
customer, never more uses than the total, even with concurrent redemptions."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from db.models import AuditEntry, LedgerEntry, PromoCode, PromoRedemption
from tests.handlers.arrange import ledger_entry, user_id
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("stars")


async def promo_row(app: ShopApp, code: str) -> PromoCode:
    async with app.deps.session_factory() as session, session.begin():
        row = await session.scalar(select(PromoCode).where(PromoCode.code == code))
        assert row is not None
        return row


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_admin_creates_lists_and_switches_off(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await admin.send("/promo create spring25 2.50 10 7")
    assert "Promo code created" in admin.last_text and "SPRING25" in admin.last_text
    assert "used 0 of 10" in admin.last_text and "until 2026-01-08" in admin.last_text
    await admin.send("/promo create WELCOME 1 3")
    await admin.send("/promo list")
    listing = admin.last_text
    assert listing.index("WELCOME") < listing.index("SPRING25")
    assert "active" in listing

    await alice.send("/promo spring25")
    assert "applied" in alice.last_text and "2.50 USD" in alice.last_text
    await admin.send("/promo off SPRING25")
    assert "switched off" in admin.last_text and "used 1 of 10" in admin.last_text
    bob = app.customer(1002, first_name="Bob")
    await bob.send("/promo SPRING25")
    assert "no longer active" in bob.last_text
    assert await app.balance(bob) == 0

    # Codes are never reused, even switched off.
    await admin.send("/promo create spring25 5 5")
    assert "exists already" in admin.last_text
    async with app.deps.session_factory() as session, session.begin():
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["promo_create", "promo_create", "promo_off"]


@pytest.mark.parametrize("db_kind", ["sqlite"])
@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("/promo create", "Usage"),
        ("/promo create AB 1 1", "cannot be a code"),
        ("/promo create LIST 1 1", "cannot be a code"),
        ("/promo create <b>x</b> 1 1", "cannot be a code"),
        ("/promo create GOOD abc 1", "positive number"),
        ("/promo create GOOD -1 1", "positive number"),
        ("/promo create GOOD 0 1", "positive number"),
        ("/promo create GOOD 1.0000001 1", "positive number"),
        ("/promo create GOOD 1 0", "Uses must be"),
        ("/promo create GOOD 1 1.5", "Uses must be"),
        ("/promo create GOOD 1 99999999", "Uses must be"),
        ("/promo create GOOD 1 5 0", "Days must be"),
        ("/promo create GOOD 1 5 x", "Days must be"),
        ("/promo create GOOD 1 5 7 extra", "Usage"),
        ("/promo off", "Admins"),
        ("/promo off NOPE", "no such promo code"),
    ],
)
async def test_admin_bad_input(app: ShopApp, admin: Customer, command: str, reply: str) -> None:
    await admin.send(command)
    assert reply in admin.last_text, admin.last_text
    assert "&lt;b&gt;" in admin.last_text or "<b>x</b>" not in admin.last_text
    async with app.deps.session_factory() as session, session.begin():
        assert await session.scalar(select(func.count()).select_from(PromoCode)) == 0


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_admin_commands_do_not_exist_for_customers(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    for command in ("/promo create FREE 100 100", "/promo list", "/promo off FREE"):
        await alice.send(command)
        assert "do not know that command" in alice.last_text, command  # the fallback
    async with app.deps.session_factory() as session, session.begin():
        assert await session.scalar(select(func.count()).select_from(PromoCode)) == 0
    await alice.send("/promo")
    assert "Send <code>/promo CODE</code>" in alice.last_text and "Admins" not in alice.last_text
    await admin.send("/promo")
    assert "Admins" in admin.last_text


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_redeem_once_per_customer(app: ShopApp, admin: Customer, alice: Customer) -> None:
    await admin.send("/promo create GIFT 3 100")
    await alice.send("/promo gift")
    assert "applied" in alice.last_text and "Balance: <b>3.00 USD</b>" in alice.last_text
    await alice.send("/promo GIFT")
    assert "already used" in alice.last_text
    await asyncio.gather(*(alice.send("/promo GIFT") for _ in range(5)))
    assert await app.balance(alice) == to_micro("3")
    entry = await ledger_entry(app, f"promo:GIFT:{await user_id(app, alice)}")
    assert entry is not None and entry.kind is LedgerKind.PROMO
    assert (await promo_row(app, "GIFT")).uses_left == 99


@pytest.mark.parametrize("db_kind", ["sqlite"])
async def test_unknown_expired_and_used_up_codes(
    app: ShopApp, admin: Customer, alice: Customer
) -> None:
    await alice.send("/promo NOSUCH")
    assert "no such promo code" in alice.last_text
    await alice.send("/promo <script>")
    assert "no such promo code" in alice.last_text
    await admin.send("/promo create SOON 1 5 1")
    await admin.send("/promo create ONCE 1 1")
    bob = app.customer(1002, first_name="Bob")
    await bob.send("/promo ONCE")
    await alice.send("/promo ONCE")
    assert "used up" in alice.last_text
    app.clock.advance(days=1, seconds=1)
    await alice.send("/promo SOON")
    assert "expired" in alice.last_text
    assert await app.balance(alice) == 0
    async with app.deps.session_factory() as session, session.begin():
        redemptions = await session.scalar(select(func.count()).select_from(PromoRedemption))
    assert redemptions == 1  # only Bob's: refusals leave nothing behind


async def test_20_concurrent_redemptions_of_5_uses(app: ShopApp, admin: Customer) -> None:
    """Twenty customers redeem at the same moment: exactly five get the money."""
    await admin.send("/promo create LAST5 2 5")
    customers = [app.customer(2000 + i, first_name=f"C{i}") for i in range(20)]
    for customer in customers:
        await customer.send("/start")
    await asyncio.gather(*(customer.send("/promo LAST5") for customer in customers))

    applied = [c for c in customers if "applied" in c.last_text]
    used_up = [c for c in customers if "used up" in c.last_text]
    assert len(applied) == 5 and len(used_up) == 15
    assert (await promo_row(app, "LAST5")).uses_left == 0
    async with app.deps.session_factory() as session, session.begin():
        credited = await session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "promo")
        )
        redemptions = await session.scalar(select(func.count()).select_from(PromoRedemption))
    assert credited == 5 and redemptions == 5
    balances = [await app.balance(c) for c in customers]
    assert sorted(balances) == [0] * 15 + [to_micro("2")] * 5
