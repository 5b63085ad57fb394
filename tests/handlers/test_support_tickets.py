"""Support tickets through the real dispatcher: a customer opens one, operators answer it by
replying in their chat, the customer writes again, it closes and reopens; who gets what."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery

from bot.jobs.tickets import close_stale_tickets
from bot.shop.enums import TicketState
from bot.support_buttons import OperatorAction, OperatorCD, TicketAction, TicketCD
from db.models import SupportTicket
from tests.handlers.arrange import OPERATORS, audit, count, customer, outbox, place
from tests.handlers.support_world import (
    open_ticket,
    operator,
    ops_messages,
    photo,
    send_photo,
    thread_of,
    ticket_messages,
    tickets,
)
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("admin")


async def test_a_whole_ticket_life(app: ShopApp, alice: Customer) -> None:
    order = await place(app, alice)
    ticket_id = await open_ticket(alice, "My order is slow", order_label=f"#{order.id}")
    # The thread message: the ticket, who (with the admin links), the order, the text.
    thread = thread_of(app, ticket_id)
    for part in (
        "🟢 open",
        "@alice (id 1001) · /user 1001",
        "language en",
        "· balance ",
        f"About order: #{order.id} (/order {order.id})",
        "<blockquote>My order is slow</blockquote>",
        "Taken by: nobody yet",
    ):
        assert part in thread.text, part
    assert [label for label, _ in _buttons(thread)] == [
        "🙋 Take",
        "✅ Close",
        f"📄 Order #{order.id}",
    ]
    assert f"Your ticket #{ticket_id} is open" in alice.last_text

    olga = operator(app, 5001, "Olga", "olga")
    await olga.write("We are on it", reply_to=thread)
    assert alice.last_text == f"💬 <b>Support</b> · ticket #{ticket_id}\n\nWe are on it"
    assert [label for label, _ in alice.buttons()] == ["✍️ Reply"]
    assert "💬 answered" in thread_of(app, ticket_id).text  # the thread message was edited

    # The customer writes again: a reply to the thread in the operators' chat, state open.
    await alice.click("Reply")
    await alice.send("Thanks, still slow")
    assert "Sent to support" in alice.last_text
    follow = ops_messages(app)[-1]
    assert "Ticket #" in follow.text and "Thanks, still slow" in follow.text
    assert "🟢 open" in thread_of(app, ticket_id).text

    # A reply to that later message of the thread reaches the customer too.
    await olga.write("Fixed now", reply_to=follow)
    assert alice.last_text.endswith("Fixed now")

    # Take, then Close: the thread says so; the customer's notice waits in the outbox.
    await olga.press(thread_of(app, ticket_id), "Take")
    assert "Taken by: @olga (id 5001)" in thread_of(app, ticket_id).text
    await olga.press(thread_of(app, ticket_id), "Close")
    closed = thread_of(app, ticket_id)
    assert (
        "⚪️ closed" in closed.text and next(label for label, _ in _buttons(closed)) == "🔓 Reopen"
    )
    [notice] = [row for row in await outbox(app, alice.user.id) if "closed" in row.text]
    assert notice.reply_markup is not None
    reopen = TicketCD(action=TicketAction.REOPEN, ticket=ticket_id).pack()
    assert reopen in str(notice.reply_markup)

    # The customer reopens it from the notice and writes: the operators see both.
    await alice.press(reopen)
    assert "open again" in alice.last_text
    assert "reopened" in ops_messages(app)[-1].text
    assert "🟢 open" in thread_of(app, ticket_id).text
    await alice.send("One more thing")
    assert "One more thing" in ops_messages(app)[-1].text
    [row] = await tickets(app)
    assert row.state is TicketState.OPEN and row.closed_at is None


async def test_two_operators_answer_two_customers(app: ShopApp, alice: Customer) -> None:
    bob = await customer(app, 1002, first_name="Bob", username="bob")
    alice_ticket = await open_ticket(alice, "Alice here")
    bob_ticket = await open_ticket(bob, "Bob here")
    olga, pavel = operator(app, 5001, "Olga"), operator(app, 5002, "Pavel")
    await olga.write("For Bob", reply_to=thread_of(app, bob_ticket))
    await pavel.write("For Alice", reply_to=thread_of(app, alice_ticket))
    alice_got = [m.text for m in alice.messages() if "Support</b> · ticket" in m.text]
    bob_got = [m.text for m in bob.messages() if "Support</b> · ticket" in m.text]
    assert alice_got == [f"💬 <b>Support</b> · ticket #{alice_ticket}\n\nFor Alice"]
    assert bob_got == [f"💬 <b>Support</b> · ticket #{bob_ticket}\n\nFor Bob"]


async def test_what_operators_say_outside_a_ticket_goes_nowhere(
    app: ShopApp, alice: Customer
) -> None:
    await open_ticket(alice, "Hello shop")
    alert = await app.bot.send_message(OPERATORS, "⚠️ some alert")
    before = len(app.session.calls)
    olga = operator(app, 5001, "Olga")
    await olga.write("just chatting")  # not a reply
    await olga.write("followers")  # would be a search in a private chat
    await olga.write(
        "re: the alert",
        reply_to=next(m for m in ops_messages(app) if m.message_id == alert.message_id),
    )
    assert app.session.calls[before:] == []  # no answer, no error, nothing to the customer
    assert len(await ticket_messages(app)) == 1


async def test_a_reply_to_a_closed_ticket_needs_reopen(app: ShopApp, alice: Customer) -> None:
    ticket_id = await open_ticket(alice, "Question")
    olga = operator(app, 5001, "Olga")
    await olga.press(thread_of(app, ticket_id), "Close")
    seen = len(alice.messages())
    await olga.write("Late answer", reply_to=thread_of(app, ticket_id))
    assert len(alice.messages()) == seen  # not delivered
    note = ops_messages(app)[-1]
    assert "is closed" in note.text and [label for label, _ in _buttons(note)] == ["🔓 Reopen"]
    assert (await tickets(app))[0].state is TicketState.CLOSED
    await olga.press(note, "Reopen")
    assert (await tickets(app))[0].state is TicketState.OPEN
    await olga.write("Late answer", reply_to=thread_of(app, ticket_id))
    assert alice.last_text.endswith("Late answer")
    assert (await tickets(app))[0].state is TicketState.ANSWERED


async def test_a_customer_who_blocked_the_bot(app: ShopApp, alice: Customer) -> None:
    ticket_id = await open_ticket(alice, "Question")
    app.session.blocked.add(alice.user.id)
    olga = operator(app, 5001, "Olga")
    await olga.write("Answer", reply_to=thread_of(app, ticket_id))
    note = ops_messages(app)[-1]
    assert "Not delivered" in note.text and "blocked" in note.text
    [row] = await tickets(app)
    assert row.state is TicketState.OPEN and row.answered_at is None
    assert len(await ticket_messages(app)) == 1  # the answer was not recorded
    assert "🟢 open" in thread_of(app, ticket_id).text


async def test_photos_go_both_ways(app: ShopApp, alice: Customer) -> None:
    await alice.send("/support")
    await alice.click("Not about an order")
    await send_photo(alice, "the screenshot")
    [row] = await tickets(app)
    thread = thread_of(app, row.id)
    assert "the screenshot" in thread.text
    copy = ops_messages(app)[-1]
    assert copy.method == "copyMessage" and "the screenshot" in copy.text
    # An operator answers with a photo (a reply to the copied photo: also the ticket's).
    olga = operator(app, 5001, "Olga")
    await olga.write(None, reply_to=copy, **photo("do this"))
    got = alice.messages()[-1]
    assert got.method == "copyMessage" and got.text.endswith("do this")
    assert "ticket #" in got.text


async def test_limits_rate_and_size(app: ShopApp, alice: Customer) -> None:
    await alice.send("/support")
    await alice.click("Not about an order")
    await alice.send("x" * 2001)
    assert "too long" in alice.last_text and "2001" in alice.last_text
    assert await count(app, SupportTicket) == 0  # nothing stored
    await alice.send("x" * 2000)  # still in the flow: the limit itself is fine
    for n in range(2):
        await open_ticket(alice, f"again {n}")
    await alice.send("/support")
    assert "3 new tickets an hour" in alice.last_text
    assert await count(app, SupportTicket) == 3
    app.clock.advance(hours=1, seconds=1)
    await alice.send("/support")
    assert "Which order" in alice.last_text or "Tap below" in alice.last_text

    # Follow-ups: a bound per minute.
    ticket_id = (await tickets(app))[0].id
    await alice.press(TicketCD(action=TicketAction.WRITE, ticket=ticket_id).pack())
    for n in range(10):  # the tickets' first messages are an hour old: not counted
        await alice.send(f"more {n}")
        await alice.press(TicketCD(action=TicketAction.WRITE, ticket=ticket_id).pack())
    before = len(await ticket_messages(app))
    await alice.send("one too many")
    assert "wait a minute" in alice.last_text
    assert len(await ticket_messages(app)) == before


async def test_tampered_and_foreign_buttons(app: ShopApp, alice: Customer) -> None:
    bob = await customer(app, 1002, first_name="Bob")
    await app.credit(bob, "50")
    bobs_order = await place(app, bob)
    bobs_ticket = await open_ticket(bob, "Bob's")
    await alice.send("/support")
    await alice.press(TicketCD(action=TicketAction.ORDER, order=bobs_order.id).pack())
    assert alice.alerts()[-1] == "That order was not found among yours."
    await alice.press(TicketCD(action=TicketAction.WRITE, ticket=bobs_ticket).pack())
    assert alice.alerts()[-1] == "That ticket was not found."
    await alice.press(TicketCD(action=TicketAction.REOPEN, ticket=bobs_ticket).pack())
    assert alice.alerts()[-1] == "That ticket was not found."
    for data in ("tk:w:١٢:0", "tk:w:99999999999999999999:0", "tk:zz:1:0", "to:c:-1"):
        await alice.press(data)
        assert "out of date" in alice.alerts()[-1], data
    # An operators' button pressed outside the operators' chat does nothing.
    await alice.press(OperatorCD(action=OperatorAction.CLOSE, ticket=bobs_ticket).pack())
    assert "out of date" in alice.alerts()[-1]
    assert [t.state for t in await tickets(app)] == [TicketState.OPEN]
    # An operator's button for a ticket that does not exist.
    olga = operator(app, 5001, "Olga")
    await olga.press_data(
        thread_of(app, bobs_ticket), OperatorCD(action=OperatorAction.TAKE, ticket=999).pack()
    )
    assert app.session.methods(AnswerCallbackQuery)[-1].text == "That ticket was not found."


async def test_tickets_lists_by_filter(app: ShopApp, admin: Customer, alice: Customer) -> None:
    first = await open_ticket(alice, "one")
    second = await open_ticket(alice, "two")
    third = await open_ticket(alice, "three")
    staff = operator(app, admin.user.id, "Ada")  # the admin is in the operators' chat too
    await staff.press(thread_of(app, second), "Take")
    await staff.press(thread_of(app, third), "Close")
    await admin.send("/tickets")
    assert "(open): 2" in admin.last_text
    assert f"#{first} ·" in admin.last_text and f"#{third} ·" not in admin.last_text
    assert "/user 1001" in admin.last_text
    await admin.send("/tickets mine")
    assert "(mine): 1" in admin.last_text and f"#{second} ·" in admin.last_text
    await admin.send("/tickets ALL")
    assert "(all): 3" in admin.last_text and "⚪️ closed" in admin.last_text
    await admin.send("/tickets closed")
    assert admin.last_text.startswith("Usage: <code>/tickets [open|mine|all]</code>")
    await alice.send("/tickets")  # not an admin: no such command
    assert "Tickets" not in alice.last_text


async def test_an_answered_ticket_closes_itself_after_72_hours(
    app: ShopApp, alice: Customer
) -> None:
    answered = await open_ticket(alice, "answer me")
    waiting = await open_ticket(alice, "still waiting for the shop")
    await operator(app, 5001, "Olga").write("Here you go", reply_to=thread_of(app, answered))
    app.clock.advance(hours=71)
    assert await close_stale_tickets(app.deps, app.bot) == 0
    app.clock.advance(hours=1, seconds=1)
    assert await close_stale_tickets(app.deps, app.bot) == 1
    states = {t.id: t.state for t in await tickets(app)}
    assert states == {answered: TicketState.CLOSED, waiting: TicketState.OPEN}
    assert "⚪️ closed" in thread_of(app, answered).text
    [notice] = [row for row in await outbox(app, alice.user.id) if "closed" in row.text]
    assert "three days" in notice.text
    assert await close_stale_tickets(app.deps, app.bot) == 0  # once


async def test_the_job_is_registered(app: ShopApp) -> None:
    from bot.jobs import create_jobs

    jobs = create_jobs(app.deps, app.bot)
    assert "support.close_stale" in [job_id for job_id, *_ in jobs._periodic]


async def test_plain_text_outside_the_flow_stays_a_search(app: ShopApp, alice: Customer) -> None:
    await open_ticket(alice, "help")
    await alice.send("followers")
    assert "Support" not in alice.last_text
    assert len(await ticket_messages(app)) == 1


async def test_russian_customer(app: ShopApp) -> None:
    boris = await customer(app, 1002, first_name="Борис", language="ru")
    await boris.send("/support")
    assert "Поддержка" in boris.last_text
    await boris.click("Не о заказе")
    await boris.send("Помогите")
    ticket_id = (await tickets(app))[0].id
    await operator(app, 5001, "Olga").write("Уже смотрим", reply_to=thread_of(app, ticket_id))
    assert boris.last_text == f"💬 <b>Поддержка</b> · обращение #{ticket_id}\n\nУже смотрим"
    assert [label for label, _ in boris.buttons()] == ["✍️ Ответить"]


def _buttons(sent: object) -> list[tuple[str, str]]:
    from aiogram.types import InlineKeyboardMarkup

    markup = getattr(sent, "reply_markup", None)
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    return [(b.text, b.callback_data or "") for row in markup.inline_keyboard for b in row]


async def test_cancel_at_every_step(app: ShopApp, alice: Customer) -> None:
    await alice.send("/support")
    await alice.click("Cancel")
    assert "Cancelled" in alice.last_text
    await alice.send("/support")
    await alice.click("Not about an order")
    await alice.click("Cancel")
    await alice.send("not for support")  # a search again, not a ticket
    await alice.send("/support")
    await alice.click("Not about an order")
    await alice.send("/cancel")
    await alice.send("still not for support")
    ticket_id = await open_ticket(alice, "now for support")
    await alice.click("Write more")
    await alice.click("Cancel")
    await alice.send("followers")
    assert [m.text for m in await ticket_messages(app)] == ["now for support"]
    assert (await tickets(app))[0].id == ticket_id


async def test_the_menu_button_leaves_the_support_flow(app: ShopApp, alice: Customer) -> None:
    await alice.send("💬 Support")
    await alice.click("Not about an order")
    await alice.send("💰 Balance / Top up")  # the menu leaves the flow
    assert "Balance" in alice.last_text
    await alice.send("hello there, shop")
    assert await count(app, SupportTicket) == 0


async def test_notes_and_the_order_card_belong_to_the_thread(app: ShopApp, alice: Customer) -> None:
    order = await place(app, alice)
    ticket_id = await open_ticket(alice, "About my order", order_label=f"#{order.id}")
    olga = operator(app, 5001, "Olga")
    await olga.press(thread_of(app, ticket_id), f"Order #{order.id}")
    card = ops_messages(app)[-1]
    assert f"#{order.id}" in card.text and card.text != thread_of(app, ticket_id).text
    await olga.write("Seen your order", reply_to=card)  # a reply to the card answers
    assert alice.last_text.endswith("Seen your order")
    await olga.press(thread_of(app, ticket_id), "Close")
    await olga.press(thread_of(app, ticket_id), "Reopen")
    note = ops_messages(app)[-1]
    assert "open again" in note.text
    await olga.write("Back again", reply_to=note)  # and a reply to the note
    assert alice.last_text.endswith("Back again")
    actions = [(row.action, row.actor_id, row.target_id) for row in await audit(app)]
    assert ("ticket_close", 5001, str(ticket_id)) in actions
    assert ("ticket_reopen", 5001, str(ticket_id)) in actions


def test_a_long_ticket_list_fits_one_message() -> None:
    from datetime import UTC, datetime

    from bot.i18n import create_i18n
    from bot.shop.support.values import ListedTicket, TicketDTO, TicketFilter
    from bot.shop.users import UserDTO
    from handlers.support import texts

    now = datetime(2026, 1, 1, tzinfo=UTC)
    listed = [
        ListedTicket(
            TicketDTO(n, n, n, TicketState.OPEN, "", n, "N" * 64, None, None, now, now, None, None),
            UserDTO(n, 10**12 + n, None, "W" * 256, "en", False, 0, None, None, now),
        )
        for n in range(1, 31)
    ]
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("en"):
        text = texts.listing(TicketFilter.ALL, listed, now)
    assert len(text) <= 4096 and "… and" in text and "more" in text
