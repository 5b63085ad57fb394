"""Telegram Stars payments: invoices and invoice links, pre-checkout answers, refunds and
the bot's balance."""

from __future__ import annotations

import re
import secrets
from typing import Any

from ..errors import bad_request, missing
from ..params import Params
from .base import BotApi, api_method


def _invoice(api: BotApi, p: Params) -> dict[str, Any]:
    title = p.string("title", required=True, message="INVOICE_TITLE_EMPTY") or ""
    description = p.string("description", required=True, message="INVOICE_DESCRIPTION_EMPTY")
    payload = p.string("payload", required=True, message="INVOICE_PAYLOAD_EMPTY") or ""
    currency = (p.string("currency", required=True, message="CURRENCY_EMPTY") or "").upper()
    provider_token = p.string("provider_token") or ""
    if not 1 <= len(title) <= 32:
        raise bad_request("INVOICE_TITLE_INVALID", "invoice_invalid")
    if not description or not 1 <= len(description) <= 255:
        raise bad_request("INVOICE_DESCRIPTION_INVALID", "invoice_invalid")
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID", "invoice_invalid")
    if not re.match(r"^[A-Z]{3}$", currency):
        raise bad_request("CURRENCY_INVALID", "invoice_invalid")
    prices = p.parsed("prices", error="can't parse prices JSON object")
    if not isinstance(prices, list) or not prices:
        raise bad_request("can't parse prices JSON object", "invalid_json")
    for price in prices:
        if (
            not isinstance(price, dict)
            or not isinstance(price.get("label"), str)
            or not isinstance(price.get("amount"), int)
            or isinstance(price.get("amount"), bool)
        ):
            raise bad_request("can't parse prices JSON object", "invalid_json")
    total = sum(price["amount"] for price in prices)
    if currency == "XTR":
        if provider_token:
            raise bad_request("PAYMENT_PROVIDER_INVALID", "invoice_invalid")
        if len(prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID", "invoice_invalid")
        if not 1 <= total <= api.state.max_stars_amount:
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID", "invoice_invalid")
    else:
        if not provider_token:
            raise bad_request("PAYMENT_PROVIDER_INVALID", "invoice_invalid")
        if total <= 0:
            raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID", "invoice_invalid")
    return {
        "title": title,
        "description": description,
        "payload": payload,
        "currency": currency,
        "total_amount": total,
        "prices": prices,
        "start_parameter": p.string("start_parameter") or "",
        "photo_url": p.string("photo_url"),
    }


@api_method("sendInvoice")
async def send_invoice(api: BotApi, p: Params) -> Any:
    state = api.state.chat_state(p.chat_id())
    invoice = _invoice(api, p)
    markup = api.markup(p)
    if markup.other is not None:
        raise bad_request("inline keyboard expected", "invalid_markup")
    if markup.inline is not None:
        rows = markup.inline["inline_keyboard"]
        if not rows or not rows[0] or not rows[0][0].get("pay"):
            raise bad_request("REPLY_MARKUP_BUY_EMPTY", "invoice_invalid")
    message = api.state.new_bot_message(
        state,
        invoice={
            "title": invoice["title"],
            "description": invoice["description"],
            "start_parameter": invoice["start_parameter"],
            "currency": invoice["currency"],
            "total_amount": invoice["total_amount"],
        },
        invoice_payload=invoice["payload"],
        reply_markup=markup.inline,
        reply_to=api.reply_target(p, state),
        protect_content=p.boolean("protect_content"),
    )
    return api.deliver(state, message).to_api()


@api_method("createInvoiceLink")
async def create_invoice_link(api: BotApi, p: Params) -> Any:
    invoice = _invoice(api, p)
    link = "https://t.me/$" + secrets.token_urlsafe(18)
    api.state.invoice_links[link] = invoice
    return link


@api_method("answerPreCheckoutQuery")
async def answer_pre_checkout_query(api: BotApi, p: Params) -> Any:
    query_id = p.string("pre_checkout_query_id") or ""
    if "ok" not in p:
        raise missing("ok", "ok is empty")
    ok = p.boolean("ok")
    error = p.string("error_message")
    if not ok and not error:
        raise bad_request("error_message is empty", "missing_field")
    if not api.state.answer_pre_checkout(query_id, ok, error):
        raise bad_request("QUERY_ID_INVALID", "query_invalid")
    return True


@api_method("refundStarPayment")
async def refund_star_payment(api: BotApi, p: Params) -> Any:
    user_id = p.integer("user_id", required=True, message="USER_ID_INVALID")
    charge_id = p.string("telegram_payment_charge_id", required=True, message="CHARGE_ID_EMPTY")
    payment = api.state.payments.get(charge_id or "")
    if payment is None or payment.user_id != user_id:
        raise bad_request("CHARGE_NOT_FOUND", "charge_invalid")
    if payment.refunded:
        raise bad_request("CHARGE_ALREADY_REFUNDED", "charge_already_refunded")
    api.state.refund(payment)
    return True


@api_method("getMyStarBalance")
async def get_my_star_balance(api: BotApi, p: Params) -> Any:
    return {"amount": api.state.stars_balance()}
