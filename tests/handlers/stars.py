"""Stars payments as Telegram makes them: the payment settings in the environment,
invoices sent, pre-checkout queries, successful and refunded payments, refund errors."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.methods import AnswerPreCheckoutQuery, RefundStarPayment, SendInvoice, TelegramMethod
from aiogram.types import Message, PreCheckoutQuery, RefundedPayment, SuccessfulPayment, Update

from tests.handlers.arrange import OPERATORS
from tests.harness import Customer, ShopApp

RATE = "0.013"  # USD per Star: 5 USD = 385 Stars -> 5.00 (385 x 0.013 = 5.005)
_charges = itertools.count(1)


def stars_env(monkeypatch: pytest.MonkeyPatch, rate: str | None = RATE) -> None:
    """The harness builds its Config from the environment: set the payment settings."""
    if rate is None:
        monkeypatch.delenv("STARS_RATE", raising=False)
    else:
        monkeypatch.setenv("STARS_RATE", rate)
    monkeypatch.setenv("OPERATOR_CHAT_ID", str(OPERATORS))
    monkeypatch.setenv("REFERRAL_PERCENT", "5")
    monkeypatch.delenv("TOPUP_PRESETS", raising=False)


def invoices(app: ShopApp, customer: Customer) -> list[SendInvoice]:
    return [m for m in app.session.methods(SendInvoice) if int(m.chat_id) == customer.user.id]


def last_invoice(app: ShopApp, customer: Customer) -> SendInvoice:
    sent = invoices(app, customer)
    assert sent, "no invoice was sent"
    return sent[-1]


@dataclass
class Checkout:
    ok: bool
    error: str | None
    charge_id: str | None = None


async def pre_checkout(
    app: ShopApp,
    customer: Customer,
    payload: str,
    total: int,
    currency: str = "XTR",
) -> AnswerPreCheckoutQuery:
    query_id = f"pcq{app.next_update_id()}"
    query = PreCheckoutQuery(
        id=query_id,
        from_user=customer.user,
        currency=currency,
        total_amount=total,
        invoice_payload=payload,
    )
    await app.feed(Update(update_id=app.next_update_id(), pre_checkout_query=query))
    answers = [
        a
        for a in app.session.methods(AnswerPreCheckoutQuery)
        if a.pre_checkout_query_id == query_id
    ]
    assert len(answers) == 1, "the pre-checkout query must be answered exactly once"
    return answers[0]


async def deliver(
    app: ShopApp,
    customer: Customer,
    payload: str,
    total: int,
    charge_id: str,
    currency: str = "XTR",
) -> Any:
    """The successful_payment message, as Telegram sends it after the payment."""
    message = Message(
        message_id=next(customer.app._message_ids),
        date=datetime.now(UTC),
        chat=customer.chat,
        from_user=customer.user,
        successful_payment=SuccessfulPayment(
            currency=currency,
            total_amount=total,
            invoice_payload=payload,
            telegram_payment_charge_id=charge_id,
            provider_payment_charge_id="",
        ),
    )
    return await app.feed(Update(update_id=app.next_update_id(), message=message))


def refunded_message(customer: Customer, charge_id: str) -> Message:
    """Telegram's refunded_payment message in the payer's chat."""
    return Message(
        message_id=next(customer.app._message_ids),
        date=datetime.now(UTC),
        chat=customer.chat,
        from_user=customer.user,
        refunded_payment=RefundedPayment(
            currency="XTR",
            total_amount=385,
            invoice_payload="p",
            telegram_payment_charge_id=charge_id,
        ),
    )


async def pay(app: ShopApp, customer: Customer, invoice: SendInvoice | None = None) -> Checkout:
    """Pay an invoice as Telegram does: pre-checkout, then (if ok) successful_payment."""
    invoice = invoice or last_invoice(app, customer)
    total = sum(price.amount for price in invoice.prices)
    answer = await pre_checkout(app, customer, invoice.payload, total, invoice.currency)
    if not answer.ok:
        return Checkout(False, answer.error_message)
    charge_id = f"stxTEST{next(_charges):06d}"
    await deliver(app, customer, invoice.payload, total, charge_id, invoice.currency)
    return Checkout(True, None, charge_id)


class TelegramSays:
    """Make the recording Bot session answer refundStarPayment with an error."""

    def __init__(self, app: ShopApp, error: Exception | None) -> None:
        self.app = app
        self.error = error
        self._original = app.session.make_request

    async def __call__(self, bot: Any, method: TelegramMethod[Any], timeout: Any = None) -> Any:
        if isinstance(method, RefundStarPayment) and self.error is not None:
            self.app.session.calls.append(method)
            raise self.error
        return await self._original(bot, method, timeout)

    def __enter__(self) -> TelegramSays:
        self.app.session.make_request = self  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.app.session.make_request = self._original  # type: ignore[method-assign]
