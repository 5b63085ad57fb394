"""Support tickets over real HTTP: the customer opens a ticket in their chat, the
Operators group shows it, an operator replies there (through the web chat's API, as a
person using the demo does), and the customer's chat shows the answer."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.sandbox.telegram.models import OPERATORS_CHAT_ID
from tests.e2e.life import ALICE, WAIT, life

OPERATOR = 1000  # the Admin persona, the Operators group's member


async def test_a_ticket_from_the_customers_chat_to_the_operators_and_back(
    tmp_path: Path,
) -> None:
    async with life(tmp_path) as story, aiohttp.ClientSession() as http:
        emu = story.emu
        assert "Support" in await story.say("/support")
        await story.tap("Not about an order", then="Write your message")
        mark = emu.mark()
        assert "is open" in await story.say("Where is my refill?")
        thread = await emu.wait_for_bot_message(
            OPERATORS_CHAT_ID, lambda m: "Ticket #" in (m.text or ""), since=mark, timeout=WAIT
        )
        assert "Where is my refill?" in (thread.text or "")
        assert "@alice (id 1001)" in (thread.text or "")

        # The operator replies to the thread message in the group, as the web chat does.
        mark = emu.mark()
        async with http.post(
            f"{emu.base_url}/webchat/api/send",
            json={
                "user_id": OPERATOR,
                "chat_id": OPERATORS_CHAT_ID,
                "reply_to": thread.message_id,
                "text": "It runs tonight",
            },
        ) as response:
            assert response.status == 200, await response.text()
        answer = await emu.wait_for_bot_message(
            ALICE, lambda m: "It runs tonight" in (m.text or ""), since=mark, timeout=WAIT
        )
        assert "Support" in (answer.text or "") and "ticket #" in (answer.text or "")
        assert [b["text"] for b in answer.buttons] == ["✍️ Reply"]
        edited = await emu.wait_for_bot_message(
            OPERATORS_CHAT_ID, lambda m: "answered" in (m.text or ""), since=mark, timeout=WAIT
        )
        assert edited.message_id == thread.message_id  # the thread message, edited

        # The customer answers back: a reply to the thread in the group.
        await story.tap("Reply", then="Write your message")
        mark = emu.mark()
        await story.say("Thanks!")
        follow = await emu.wait_for_bot_message(
            OPERATORS_CHAT_ID, lambda m: "Thanks!" in (m.text or ""), since=mark, timeout=WAIT
        )
        assert follow.reply_to is not None and follow.reply_to.message_id == thread.message_id

        # Talk in the group that replies to no ticket reaches nobody; then a reply to the
        # customer's follow-up (a later message of the thread) reaches them.
        await emu.send_text(OPERATOR, "lunch?", chat_id=OPERATORS_CHAT_ID)
        mark = emu.mark()
        await emu.send_text(
            OPERATOR, "You are welcome", chat_id=OPERATORS_CHAT_ID, reply_to=follow.message_id
        )
        await emu.wait_for_bot_message(
            ALICE, lambda m: "You are welcome" in (m.text or ""), since=mark, timeout=WAIT
        )
        assert not [m for m in emu.bot_messages(ALICE) if "lunch" in (m.text or "")]
        # Only the group's members write there.
        async with http.post(
            f"{emu.base_url}/webchat/api/send",
            json={"user_id": ALICE, "chat_id": OPERATORS_CHAT_ID, "text": "let me in"},
        ) as response:
            assert response.status == 403
