import pytest

from tests.harness import ShopApp

pytestmark = pytest.mark.parametrize("db_kind", ["sqlite"])


async def test_start_and_browse(app: ShopApp) -> None:
    alice = app.customer(1001)
    await alice.send("/start")
    assert "Hi, Alice" in alice.last_text
    await alice.click("New order")
    print(alice.last_text, alice.buttons())
    await alice.click("Instagram")
    print(alice.last_text, alice.buttons())


async def test_order_default(app: ShopApp) -> None:
    alice = app.customer(1001)
    await alice.send("/start")
    await app.credit(alice, "50")
    await alice.click("New order")
    await alice.click("Instagram")
    await alice.click("Instagram Followers")
    await alice.click("USD/1k")  # a service: its price first
    print(alice.last_text)
    await alice.click("Order")
    print(alice.last_text)
    await alice.send("https://instagram.com/p/abc")
    print(alice.last_text)
    await alice.send("1000")
    print(alice.last_text, alice.buttons())
    if "runs" in alice.last_text:
        await alice.click("Skip")
    print(alice.last_text, alice.buttons())
    await alice.click("Confirm")
    print(alice.last_text, alice.buttons())
    print(await app.balance(alice))
    await alice.click("Order #")
    print(alice.last_text, alice.buttons())
