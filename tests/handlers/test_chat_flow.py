"""The order form's buttons carry the form's token; receipts are never edited; a late
placement result arrives at the bottom of the chat."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText
from sqlalchemy import func, select

from bot.provider.models import ServiceType
from db.models import Order
from tests.handlers.arrange import LINK
from tests.harness import Customer, ShopApp, catalog_id, open_service

pytestmark = pytest.mark.shop("plain", alice="100")


async def _orders(app: ShopApp) -> int:
    async with app.deps.session_factory() as session, session.begin():
        return await session.scalar(select(func.count()).select_from(Order)) or 0


def _last_answer(app: ShopApp) -> AnswerCallbackQuery:
    return app.session.methods(AnswerCallbackQuery)[-1]


def _edited(app: ShopApp, message_id: int) -> list[EditMessageText]:
    return [m for m in app.session.methods(EditMessageText) if m.message_id == message_id]


async def _until(done: Callable[[], bool]) -> None:
    for _ in range(1000):
        if done():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the panel was not asked")


async def _service(app: ShopApp) -> tuple[int, int]:
    service = app.sim.find_service(ServiceType.DEFAULT, dripfeed=False)
    return await catalog_id(app, service.service_id), service.min


async def test_stale_cancel_and_confirm_of_an_earlier_form_change_nothing(
    app: ShopApp, alice: Customer
) -> None:
    sid, minimum = await _service(app)
    # Form A, up to its summary: its Confirm and Cancel are kept for later.
    await open_service(alice, sid)
    first_question, first_cancel = alice.find_button("Cancel")
    await alice.send(LINK)
    await alice.send(str(minimum))
    summary, confirm = alice.find_button("Confirm")
    _, summary_cancel = alice.find_button("Cancel")
    # Form B opens from the service card: A's buttons are out of date from now on.
    card, order = next(
        (sent, data)
        for sent in reversed(alice.messages())
        for label, data in alice.buttons(sent)
        if label == "🛒 Order"
    )
    await alice.press(order, card)
    await alice.send(LINK + "b")
    asking = alice.last_text
    assert "How many" in asking
    for sent, data in (
        (summary, confirm),
        (summary, summary_cancel),
        (first_question, first_cancel),
    ):
        before = len(alice.messages())
        await alice.press(data, sent)
        answer = _last_answer(app)
        assert answer.text and answer.text.startswith("This button is out of date")
        assert not answer.show_alert  # a toast
        assert len(alice.messages()) == before and alice.last_text == asking
    assert not _edited(app, summary.message_id) and not _edited(app, first_question.message_id)
    assert await _orders(app) == 0
    # Form B is intact: the next answer is its quantity, not a search.
    await alice.send(str(minimum))
    assert "Check your order" in alice.last_text and LINK + "b" in alice.last_text
    await alice.click("Confirm")
    assert "placed" in alice.last_text and await _orders(app) == 1


async def test_a_tampered_token_is_out_of_date(app: ShopApp, alice: Customer) -> None:
    sid, _ = await _service(app)
    await open_service(alice, sid)
    sent, data = alice.find_button("Cancel")
    token = data.split(":")[2]
    for forged in (data.replace(token, "0" * len(token)), "f:x::0", "f:x:" + "a" * 40 + ":0"):
        await alice.press(forged, sent)
    assert all(a.startswith("This button is out of date") for a in alice.alerts())
    await alice.send(LINK)
    assert "How many" in alice.last_text  # still the same form


async def test_the_token_fits_telegram_and_cancel_of_the_current_form_works(
    app: ShopApp, alice: Customer
) -> None:
    sid, _ = await _service(app)
    await open_service(alice, sid)
    sent, data = alice.find_button("Cancel")
    assert len(data.encode()) <= 64
    await alice.press(data, sent)
    assert "cancelled" in alice.last_text
    await alice.send("followers")  # the form is over: text is a search again
    assert "Found" in alice.last_text


async def test_receipts_are_never_edited(app: ShopApp, alice: Customer) -> None:
    sid, minimum = await _service(app)
    await open_service(alice, sid)
    await alice.send(LINK)
    await alice.send(str(minimum))
    summary, _ = alice.find_button("Confirm")
    await alice.click("Confirm")
    receipt = alice.last
    assert "placed" in receipt.text and receipt.message_id != summary.message_id
    await alice.click("Confirm")  # the summary's Confirm once more: the form is over
    assert alice.alerts()[-1].startswith("This button is out of date")
    assert await _orders(app) == 1 and alice.last.message_id == receipt.message_id
    assert "Check your order" in app.session.messages[(alice.user.id, summary.message_id)].text
    text = receipt.text
    for part in ("Order #", "New order", "Menu", "Order #"):
        data = next(d for label, d in alice.buttons(receipt) if part in label)
        before = len(alice.messages())
        await alice.press(data, receipt)
        assert len(alice.messages()) == before + 1, part  # a new message at the bottom
    assert not _edited(app, receipt.message_id)
    stored = app.session.messages[(alice.user.id, receipt.message_id)]
    assert stored.text == text and not stored.history


async def test_a_late_result_arrives_at_the_bottom(app: ShopApp, alice: Customer) -> None:
    sid, minimum = await _service(app)
    await open_service(alice, sid)
    await alice.send(LINK)
    await alice.send(str(minimum))
    summary, confirm = alice.find_button("Confirm")
    app.sim.faults.latency = 0.3  # the panel is slow to answer `add`
    adds = app.sim.calls["add"]
    placing = asyncio.create_task(alice.press(confirm, summary))
    await _until(lambda: app.sim.calls["add"] > adds)  # the panel has it, and takes its time
    app.sim.faults.latency = 0.0
    await alice.send("/orders")  # the customer moved on meanwhile
    listing = alice.last
    await placing
    assert alice.last.message_id > listing.message_id and "placed" in alice.last_text
    assert not _edited(app, summary.message_id) and not _edited(app, listing.message_id)
