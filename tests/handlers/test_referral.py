"""Referrals through the real dispatcher: links, rewards on Stars top-ups, no self-referral,
no loops, garbage start parameters."""

from __future__ import annotations

import pytest
from aiogram.methods import RefundStarPayment
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.shop.enums import LedgerKind
from bot.shop.money import to_micro
from bot.shop.users import referral_code
from db.repositories.users import UserRepo
from tests.handlers.arrange import ADMIN, OPERATORS, ledger_entry, outbox, user_id
from tests.handlers.stars import pay, stars_env
from tests.harness import Customer, ShopApp, running_shop

pytestmark = [pytest.mark.parametrize("db_kind", ["sqlite"]), pytest.mark.shop("stars")]


async def referrer_of(app: ShopApp, customer: Customer) -> int | None:
    async with app.deps.session_factory() as session, session.begin():
        user = await UserRepo(session).by_telegram_id(customer.user.id)
        assert user is not None
        return user.referrer_id


async def link_of(customer: Customer) -> str:
    await customer.send("/referral")
    text = customer.last_text
    start = text.index("https://t.me/")
    return text[start:].split()[0]


async def top_up(app: ShopApp, customer: Customer, preset: str = "10.01") -> str:
    """A preset button ("⭐385"), or else a custom amount: 10.01 USD is 770 Stars, an
    amount whose 5% reward must be rounded down."""
    await customer.send("/topup")
    if preset.startswith("⭐"):
        await customer.click(preset)
    else:
        await customer.click("Other amount")
        await customer.send(preset)
    paid = await pay(app, customer)
    assert paid.ok and paid.charge_id
    return paid.charge_id


async def test_referral_link_and_reward(app: ShopApp, alice: Customer) -> None:
    link = await link_of(alice)
    alice_id = await user_id(app, alice)
    assert link == f"https://t.me/storefront_bot?start=ref_{referral_code(alice_id)}"
    assert "You invited 0 people" in alice.last_text
    [share] = [b for row in alice.last.reply_markup.inline_keyboard for b in row if b.url]
    assert share.url.startswith("https://t.me/share/url?url=https%3A%2F%2Ft.me%2F")

    bob = app.customer(1002, first_name="Bob")
    await bob.send("/start " + link.split("start=")[1])
    assert await referrer_of(app, bob) == alice_id
    charge_id = await top_up(app, bob)  # 770 Stars -> 10.01 USD

    reward = await ledger_entry(app, f"referral:{charge_id}")
    assert reward is not None and reward.kind is LedgerKind.REFERRAL
    assert reward.user_id == alice_id
    assert reward.amount == to_micro("0.50")  # 5% of 10.01, rounded down to the cent
    assert await app.balance(alice) == to_micro("0.50")
    assert await app.balance(bob) == to_micro("10.01")
    [notice] = await outbox(app, alice.user.id)
    assert "0.50 USD" in notice.text and "reward" in notice.text
    assert "Referral reward" in (await outbox(app, OPERATORS))[-1].text

    await alice.send("/referral")
    assert "You invited 1 person" in alice.last_text
    assert "Rewards earned: <b>0.50 USD</b>" in alice.last_text

    # A second top-up earns again; a replayed payment does not.
    second = await top_up(app, bob, "⭐385")
    assert second != charge_id
    assert await app.balance(alice) == to_micro("0.75")


async def test_no_self_referral_and_referrer_fixed_at_first_start(
    app: ShopApp, alice: Customer
) -> None:
    alice_id = await user_id(app, alice)
    own = f"/start ref_{referral_code(alice_id)}"
    await alice.send(own)  # an existing customer: nothing changes
    assert await referrer_of(app, alice) is None

    # A newcomer guessing the code their own id will get: it does not exist yet.
    carol = app.customer(1003, first_name="Carol")
    await carol.send(f"/start ref_{referral_code(alice_id + 1)}")
    assert await referrer_of(app, carol) is None

    bob = app.customer(1002, first_name="Bob")
    await bob.send(own)
    assert await referrer_of(app, bob) == alice_id
    # No loop: Alice starting Bob's link later changes nothing, nor Bob a second link.
    await alice.send(f"/start ref_{referral_code(await user_id(app, bob))}")
    await bob.send(f"/start ref_{referral_code(await user_id(app, carol))}")
    assert await referrer_of(app, alice) is None
    assert await referrer_of(app, bob) == alice_id

    await top_up(app, alice)
    assert await app.balance(bob) == 0  # Alice has no referrer: nobody is rewarded


@pytest.mark.parametrize(
    "param",
    [
        "ref_",
        "ref_!!!",
        "ref_zzzzzzzzzzzzz",
        "ref_zzzzzzzzzzzz",  # too large an id
        "ref_0",
        "ref_999999",  # nobody
        "REF_1 extra words",
        "ref_-1",
        "x" * 500,
        "ref_\u0661",  # an Arabic-Indic digit
    ],
)
async def test_garbage_referral_parameters_are_ignored(
    app: ShopApp, alice: Customer, param: str
) -> None:
    bob = app.customer(1002, first_name="Bob")
    await bob.send(f"/start {param}")
    assert "Hi, Bob" in bob.last_text
    assert await referrer_of(app, bob) is None


async def test_refund_takes_the_reward_back(app: ShopApp, alice: Customer) -> None:
    link = await link_of(alice)
    bob = app.customer(1002, first_name="Bob")
    await bob.send("/start " + link.split("start=")[1])
    charge_id = await top_up(app, bob)
    assert await app.balance(alice) == to_micro("0.50")
    admin = app.customer(ADMIN, first_name="Admin")
    await admin.send(f"/starsrefund {charge_id}")
    assert "Stars refunded" in admin.last_text and "referral reward" in admin.last_text
    assert len(app.session.methods(RefundStarPayment)) == 1
    assert await app.balance(bob) == 0 and await app.balance(alice) == 0


async def test_no_reward_when_percent_is_zero(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    stars_env(monkeypatch)
    monkeypatch.setenv("REFERRAL_PERCENT", "0")
    async with running_shop(engine) as app:
        alice = app.customer(1001)
        await alice.send("/start")
        bob = app.customer(1002, first_name="Bob")
        await bob.send(f"/start ref_{referral_code(await user_id(app, alice))}")
        await top_up(app, bob)
        assert await app.balance(alice) == 0
        await alice.send("/referral")
        assert "0% of every top-up" in alice.last_text
