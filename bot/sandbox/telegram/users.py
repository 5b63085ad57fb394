"""Users: the Telegram state with its users acting in it, as a test or the web chat drives
them: they write, press buttons, pay invoices and block the bot. Each act is stored and
pushed to the bot as the update Telegram would send."""

from __future__ import annotations

import asyncio
import secrets
import zlib
from typing import Any

from aiogram.types import Update

from .entities import command_entities
from .models import (
    CallbackQueryRecord,
    ChatState,
    PaymentOutcome,
    Persona,
    StarPayment,
)
from .state import TelegramState


class Users(TelegramState):
    """What the people in the chats do; the bot's side is the Bot API (api/)."""

    def _user_chat(self, user_id: int, chat_id: int | None) -> tuple[Persona, ChatState]:
        persona = self._persona_for(user_id)
        if chat_id is None or chat_id == user_id:
            return persona, self.chat_state(user_id)
        state = self._chats.get(chat_id)
        if state is None:
            raise LookupError(f"no chat {chat_id}")
        return persona, state

    async def send_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> Update:
        """The user sends ``text`` (to the bot, or into ``chat_id``, a group)."""
        if not text:
            raise ValueError("a Telegram message cannot be empty")
        persona, state = self._user_chat(user_id, chat_id)
        if state.blocked:
            self.unblock(user_id)
        message = self.new_user_message(
            state,
            persona,
            text=text,
            entities=command_entities(text),
            reply_to=state.messages.get(reply_to) if reply_to is not None else None,
        )
        self.store_message(state, message)
        return self.push_update("message", message.to_api())

    async def click(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        check: bool = True,
    ) -> Update:
        """The user presses an inline button; ``check=False`` allows forged callback data."""
        persona, state = self._user_chat(user_id, chat_id)
        message = state.messages.get(message_id)
        if message is None or message.deleted:
            raise LookupError(f"no message {message_id} in chat {state.chat_id}")
        if check and not any(b.get("callback_data") == callback_data for b in message.buttons):
            raise LookupError(
                f"message {message_id} has no button with callback_data {callback_data!r}: "
                f"{message.buttons}"
            )
        query_id = str(4_000_000_000_000_000 + self.new_id())
        self._callbacks[query_id] = CallbackQueryRecord(
            query_id, persona.user_id, state.chat_id, message_id, callback_data
        )
        self._user_acted(state.chat_id, self._next_seq())
        payload = {
            "id": query_id,
            "from": persona.as_user(),
            "message": message.to_api(),
            "chat_instance": str(zlib.crc32(f"{self.bot_id}:{state.chat_id}".encode())),
            "data": callback_data,
        }
        return self.push_update("callback_query", payload)

    async def click_button(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> Update:
        """Press the button labelled ``text`` on the latest bot message that has it."""
        _, state = self._user_chat(user_id, chat_id)
        candidates = [
            m
            for m in reversed(self.chat(state.chat_id))
            if m.from_bot and (message_id is None or m.message_id == message_id)
        ]
        for message in candidates:
            for button in message.buttons:
                if button["text"] == text and "callback_data" in button:
                    return await self.click(
                        user_id, message.message_id, button["callback_data"], chat_id=chat_id
                    )
        raise LookupError(f"no callback button {text!r} in chat {state.chat_id}")

    async def press_reply_button(self, user_id: int, text: str) -> Update:
        """Press a reply-keyboard button: the client sends its text."""
        keyboard = self.keyboard(user_id) or {}
        labels = [b["text"] for row in keyboard.get("keyboard", []) for b in row]
        if text not in labels:
            raise LookupError(f"no reply button {text!r}: {labels}")
        return await self.send_text(user_id, text)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends to them get 403 until unblock()."""
        self._set_blocked(user_id, True)

    def unblock(self, user_id: int) -> None:
        self._set_blocked(user_id, False)

    def _set_blocked(self, user_id: int, value: bool) -> None:
        persona = self._persona_for(user_id)
        state = self.chat_state(user_id)
        if state.blocked == value:
            return
        state.blocked = value
        old, new = ("member", "kicked") if value else ("kicked", "member")
        member: dict[str, Any] = {"status": new, "user": self.bot_user}
        if new == "kicked":
            member["until_date"] = 0
        previous: dict[str, Any] = {"status": old, "user": self.bot_user}
        if old == "kicked":
            previous["until_date"] = 0
        self.push_update(
            "my_chat_member",
            {
                "chat": state.chat,
                "from": persona.as_user(),
                "date": self.now(),
                "old_chat_member": previous,
                "new_chat_member": member,
            },
        )
        self.notify({"type": "blocked", "user_id": user_id, "blocked": value})

    # ------------------------------------------------------------------ payments

    async def pay(
        self,
        user_id: int,
        message_id: int,
        *,
        chat_id: int | None = None,
        timeout: float | None = None,
    ) -> PaymentOutcome:
        """Pay an invoice message: pre_checkout_query, then (if the bot says ok)
        the successful_payment message. Returns the outcome."""
        persona, state = self._user_chat(user_id, chat_id)
        message = state.messages.get(message_id)
        if message is None or message.deleted or message.invoice is None:
            raise LookupError(f"no invoice message {message_id} in chat {state.chat_id}")
        if message.paid_charge_id is not None:
            return PaymentOutcome(False, "", error_message="This invoice has already been paid")
        outcome = await self._run_payment(
            persona,
            currency=message.invoice["currency"],
            total_amount=message.invoice["total_amount"],
            payload=message.invoice_payload or "",
            timeout=timeout,
        )
        if outcome.ok:
            message.paid_charge_id = outcome.telegram_payment_charge_id
            self.notify({"type": "message", "message": message})
        return outcome

    async def pay_link(
        self, user_id: int, link: str, *, timeout: float | None = None
    ) -> PaymentOutcome:
        """Pay an invoice link made by createInvoiceLink."""
        invoice = self.invoice_links.get(link)
        if invoice is None:
            raise LookupError(f"unknown invoice link {link}")
        return await self._run_payment(
            self._persona_for(user_id),
            currency=invoice["currency"],
            total_amount=invoice["total_amount"],
            payload=invoice["payload"],
            timeout=timeout,
        )

    async def _run_payment(
        self,
        persona: Persona,
        *,
        currency: str,
        total_amount: int,
        payload: str,
        timeout: float | None,
    ) -> PaymentOutcome:
        query_id = str(5_000_000_000_000_000 + self.new_id())
        future: asyncio.Future[tuple[bool, str | None]] = asyncio.get_running_loop().create_future()
        self._pre_checkouts[query_id] = future
        self._user_acted(persona.user_id, self._next_seq())
        self.push_update(
            "pre_checkout_query",
            {
                "id": query_id,
                "from": persona.as_user(),
                "currency": currency,
                "total_amount": total_amount,
                "invoice_payload": payload,
            },
        )
        wait = self.pre_checkout_timeout if timeout is None else timeout
        try:
            ok, error = await asyncio.wait_for(future, wait)
        except TimeoutError:
            return PaymentOutcome(
                False, query_id, error_message="the bot did not answer the pre-checkout query"
            )
        except asyncio.CancelledError:
            if future.cancelled() and self._closing:
                return PaymentOutcome(False, query_id, error_message="the emulator stopped")
            raise
        finally:
            self._pre_checkouts.pop(query_id, None)
        if not ok:
            return PaymentOutcome(False, query_id, error_message=error)
        charge_id = "stxsbx" + secrets.token_urlsafe(24)
        self.payments[charge_id] = StarPayment(
            charge_id, persona.user_id, currency, total_amount, payload
        )
        state = self.chat_state(persona.user_id)
        message = self._payment_message(
            persona,
            successful_payment={
                "currency": currency,
                "total_amount": total_amount,
                "invoice_payload": payload,
                "telegram_payment_charge_id": charge_id,
                "provider_payment_charge_id": (
                    "" if currency == "XTR" else "sbx_provider_" + secrets.token_hex(8)
                ),
            },
        )
        self.store_message(state, message)
        update = self.push_update("message", message.to_api())
        return PaymentOutcome(
            True, query_id, telegram_payment_charge_id=charge_id, message=message, update=update
        )
