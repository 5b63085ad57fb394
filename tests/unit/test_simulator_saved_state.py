"""The simulated panel's books saved to a file and restored: the same answers afterwards,
never an id handed out twice, and a bad file refused with a reason."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock, ScaledClock
from bot.provider.models import ServiceType
from bot.sandbox.provider import Panel
from bot.sandbox.provider.saved_state import (
    StateFileError,
    StateKeeper,
    books_of,
    from_json,
    read_books,
    restore,
    to_json,
    write_text_atomically,
)

KEY = "sandbox-key"
T = ServiceType
LINK = "https://instagram.com/p/saved"
START = Decimal("100000")


def call(panel: Panel, action: str, **fields: Any) -> Any:
    form = {"key": KEY, "action": action, **{k: str(v) for k, v in fields.items()}}
    return panel.api.handle(action, form, panel.faults)


def busy_panel(clock: FakeClock) -> tuple[Panel, list[str]]:
    """A panel with orders of every kind of story: running, scripted, overridden,
    refunded in part when its outcome comes, a subscription, and refills."""
    panel = Panel(key=KEY, clock=clock, balance=START, partial_share=0.5, cancel_share=0.2)
    plain = panel.find_service(T.DEFAULT, refill=True, dripfeed=False)
    ids = [
        str(call(panel, "add", service=plain.service_id, link=f"{LINK}/{n}", quantity=500)["order"])
        for n in range(8)
    ]
    subscription = panel.find_service(T.SUBSCRIPTIONS)
    ids.append(
        str(
            call(
                panel,
                "add",
                service=subscription.service_id,
                username="alice",
                min=subscription.min,
                max=subscription.min,
                delay=0,
                posts=3,
            )["order"]
        )
    )
    panel.script(ids[0], "Completed")
    panel.override(ids[1], remains="1e400000")
    clock.advance(minutes=40)  # the rest reach their drawn outcomes
    call(panel, "refill", order=ids[0])
    assert any(order.refunded for order in panel.orders.values())  # refunds were owed
    return panel, ids


def answers(panel: Panel, ids: list[str]) -> Any:
    return {
        "status": call(panel, "status", orders=",".join(ids)),
        "refills": call(panel, "refill_status", refills=",".join(panel.refills)),
        "balance": call(panel, "balance"),
    }


def test_restored_books_answer_as_the_saved_ones_and_number_on(tmp_path: Path) -> None:
    clock = FakeClock()
    panel, ids = busy_panel(clock)
    path = tmp_path / "panel.json"
    write_text_atomically(path, json.dumps(to_json(books_of(panel))))
    books = read_books(path)
    assert books.saved_at == clock.now()

    again = Panel(key=KEY, clock=FakeClock(books.saved_at), balance=START)
    restore(again, books)
    assert answers(again, ids) == answers(panel, ids)
    assert sorted(again.orders) == sorted(panel.orders)
    # Later, both tell the same story: refills finish, nothing is refunded twice.
    clock.advance(minutes=30)
    assert isinstance(again.clock, FakeClock)
    again.clock.advance(minutes=30)
    assert answers(again, ids) == answers(panel, ids)
    fresh = str(
        call(again, "add", service=panel.order(ids[2]).service.service_id, link=LINK, quantity=500)[
            "order"
        ]
    )
    assert int(fresh) == max(int(i) for i in ids) + 1
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_restored_order_can_still_be_refilled_and_a_running_one_canceled() -> None:
    clock = FakeClock()
    panel = Panel(key=KEY, clock=clock, balance=START, partial_share=0.0, cancel_share=0.0)
    service = panel.find_service(T.DEFAULT, refill=True, cancel=True, dripfeed=False)
    done, running = (
        str(
            call(panel, "add", service=service.service_id, link=f"{LINK}/{n}", quantity=500)[
                "order"
            ]
        )
        for n in range(2)
    )
    panel.script(done, "Completed")
    again = Panel(key=KEY, clock=clock, balance=START)
    restore(again, from_json(json.loads(json.dumps(to_json(books_of(panel))))))
    assert "refill" in call(again, "refill", order=done)
    assert call(again, "cancel", orders=running)[0]["cancel"] == 1
    assert call(again, "status", order=running)["status"] == "Canceled"
    assert Decimal(call(again, "balance")["balance"]) == START - panel.order(done).cost


@pytest.mark.parametrize(
    "content",
    [
        "",
        "{not json",
        '{"version": 99}',
        '{"version": 1, "saved_at": "2026-01-01T12:00:00+00:00"}',
        '{"version": 1, "saved_at": "2026-01-01T12:00:00", "balance": "1", '
        '"next_order_id": 1, "next_refill_id": 1, "orders": [], "refills": []}',
        '{"version": 1, "saved_at": "2026-01-01T12:00:00+00:00", "balance": "x", '
        '"next_order_id": 1, "next_refill_id": 1, "orders": [], "refills": []}',
        '{"version": 1, "saved_at": "2026-01-01T12:00:00+00:00", "balance": "1", '
        '"next_order_id": true, "next_refill_id": 1, "orders": [{}], "refills": []}',
    ],
)
def test_a_corrupt_file_is_refused_with_a_reason(tmp_path: Path, content: str) -> None:
    path = tmp_path / "panel.json"
    path.write_text(content)
    with pytest.raises(StateFileError) as refused:
        read_books(path)
    assert str(refused.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="no such file"):
        read_books(tmp_path / "absent.json")


async def test_the_keeper_writes_changes_and_the_last_state_on_stop(tmp_path: Path) -> None:
    clock = FakeClock()
    panel = Panel(key=KEY, clock=clock, balance=START)
    path = tmp_path / "data" / "panel.json"
    keeper = StateKeeper(panel, path, every=3600)
    assert keeper.save() is True
    clock.advance(minutes=5)
    assert keeper.save() is False  # only the clock moved
    service = panel.find_service(T.DEFAULT, dripfeed=False)
    call(panel, "add", service=service.service_id, link=LINK, quantity=500)
    assert keeper.save() is True
    keeper.start()
    clock.advance(minutes=5)
    await keeper.stop()
    books = read_books(path)
    assert (len(books.orders), books.next_order_id, books.saved_at) == (1, 23502, clock.now())


def test_a_scaled_clock_resumes_from_the_saved_time() -> None:
    saved = FakeClock().now()
    assert ScaledClock(20.0, start=saved).now() >= saved


def test_numbering_skips_past_ids_the_shop_already_holds() -> None:
    panel = Panel(key=KEY, clock=FakeClock(), balance=START)
    panel.book.number_past(23508, 1003)
    panel.book.number_past(100, 5)  # never back
    service = panel.find_service(T.DEFAULT, refill=True, dripfeed=False)
    order = str(call(panel, "add", service=service.service_id, link=LINK, quantity=500)["order"])
    assert order == "23509"
    panel.script(order, "Completed")
    assert str(call(panel, "refill", order=order)["refill"]) == "1004"
