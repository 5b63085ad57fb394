"""/broadcast by language through the real dispatcher and the real outbox sender: a text
per language (with a fallback for languages without one), one language only, previews
and recipient counts per language, and the report per language."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.jobs.broadcasts import report_finished_broadcasts
from bot.outbox.sender import OutboxSender
from db.models import OutboxMessage
from tests.handlers.arrange import audit
from tests.harness import Customer, ShopApp

pytestmark = pytest.mark.shop("admin")

LANGUAGES = {3001: "en", 3002: "en", 3003: "ru", 3004: "ru", 3005: "de", 3006: None}
RUSSIAN = {3003, 3004}


async def _customers(app: ShopApp) -> None:
    async with app.shop() as shop:
        for telegram_id, language in LANGUAGES.items():
            await shop.users.enter(
                telegram_id, username=None, first_name=f"C{telegram_id}", language=language
            )


async def _queued(app: ShopApp) -> dict[int, tuple[str, str]]:
    """chat id -> (text, dedupe key) of the queued broadcast rows."""
    async with app.deps.session_factory() as session, session.begin():
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("bc:"))
        )
        return {row.chat_id: (row.text, row.dedupe_key or "") for row in rows}


def _sender(app: ShopApp) -> OutboxSender:
    async def sleep(seconds: float) -> None:
        app.clock.advance(seconds)

    return OutboxSender(app.deps, app.bot, sleep=sleep, settle_before_sleep=True)


async def test_a_text_per_language(app: ShopApp, admin: Customer) -> None:
    await _customers(app)
    await admin.send("/broadcast")
    assert "A text per language" in admin.buttons()[0][0]
    await admin.click("A text per language")
    assert "Send the text for English customers" in admin.last_text
    assert "without a text of its own get this one" in admin.last_text
    await admin.send("/skip")  # the fallback cannot be skipped
    assert "The English text is needed" in admin.last_text
    await admin.send("Sale today")
    assert "Send the text for Русский customers, or /skip" in admin.last_text
    await admin.send("Распродажа сегодня")
    texts = [m.text for m in admin.messages()[-5:]]
    assert texts[:4] == [
        "☝️ For English customers:",
        "Sale today",
        "☝️ For Русский customers:",
        "Распродажа сегодня",
    ]
    summary = texts[4]
    # en, de and no language go to English (with the admin); ru to Russian.
    assert "Recipients by language:\n• English: 5 customers\n• Русский: 2 customers" in summary
    assert "Send it to 7 customers?" in summary
    await admin.click("Send to 7")
    assert "Queued for 7 customers" in admin.last_text
    queued = await _queued(app)
    assert {chat for chat, (text, _) in queued.items() if text == "Распродажа сегодня"} == RUSSIAN
    assert {chat for chat, (text, _) in queued.items() if text == "Sale today"} == (
        set(LANGUAGES) - RUSSIAN | {admin.user.id}
    )
    assert all(f":{'ru' if c in RUSSIAN else 'en'}:" in key for c, (_, key) in queued.items())
    [entry] = [r for r in await audit(app) if r.action == "broadcast"]
    assert entry.details["by_language"] == {"en": 5, "ru": 2}

    await admin.click("Progress")
    progress = admin.find_button("Progress")[0].text
    assert "• English: 0 sent, 0 blocked the bot, 0 failed, 5 waiting (of 5)" in progress
    await _sender(app).drain()
    assert await report_finished_broadcasts(app.deps) == 1
    await _sender(app).drain()
    report = admin.last_text
    assert "Broadcast done: 7 sent, 0 blocked the bot, 0 failed (of 7)." in report
    assert "• English: 5 sent, 0 blocked the bot, 0 failed, 0 waiting (of 5)" in report
    assert "• Русский: 2 sent, 0 blocked the bot, 0 failed, 0 waiting (of 2)" in report


async def test_a_skipped_language_gets_the_fallback_text(app: ShopApp, admin: Customer) -> None:
    await _customers(app)
    await admin.send("/broadcast")
    await admin.click("A text per language")
    await admin.send("Sale today")
    await admin.send("/skip")
    summary = admin.last_text
    assert "• Русский: 2 customers (the English text)" in summary
    assert "Send it to 7 customers?" in summary
    await admin.click("Send to 7")
    queued = await _queued(app)
    assert {text for text, _ in queued.values()} == {"Sale today"}
    assert {c for c, (_, key) in queued.items() if ":ru:" in key} == RUSSIAN


async def test_one_language_only(app: ShopApp, admin: Customer) -> None:
    await _customers(app)
    await admin.send("/broadcast")
    await admin.click("Only Русский")
    assert "Send the text for Русский customers only" in admin.last_text
    await admin.send("Только для вас")
    summary = admin.last_text
    assert "Recipients by language:\n• Русский: 2 customers\n\n" in summary
    assert "English" not in summary and "Send it to 2 customers?" in summary
    await admin.click("Send to 2")
    assert set(await _queued(app)) == RUSSIAN


async def test_one_text_for_everyone_still_counts_per_language(
    app: ShopApp, admin: Customer
) -> None:
    await _customers(app)
    await admin.send("/broadcast")
    await admin.send("Hello all")
    assert admin.messages()[-2].text == "Hello all"  # one preview, no language heading
    assert "• English: 5 customers\n• Русский: 2 customers" in admin.last_text
    assert "(the English text)" not in admin.last_text


async def test_a_mode_button_outside_the_flow_is_stale(app: ShopApp, admin: Customer) -> None:
    await admin.send("/broadcast")
    await admin.send("/cancel")
    await admin.click("A text per language")
    assert admin.alerts()[-1].startswith("This button is out of date")
    await admin.send("/broadcast")
    await admin.press("abm:only:xx")  # a language the shop does not ship
    assert admin.alerts()[-1].startswith("This button is out of date")
    assert await _queued(app) == {}
