"""Confirm / Cancel of a /credit or /debit: the buttons, and what a tap does.

/credit and /debit themselves (handlers/admin/customers.py) only propose; the money moves
here, once, on the asking admin's Confirm. The customer's notice is queued after the
adjustment is committed, with the ledger row's id as its dedupe key, so a second Confirm
queues it at most once more if the first one's notice was lost, never twice.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from pydantic import Field

from bot.deps import Deps
from bot.shop.admin.money_confirm import Decision, Outcome, Proposal
from bot.shop.admin.values import Adjustment
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import money_texts, texts
from handlers.admin.common import admin_router, notify_customer, reply
from handlers.common.keyboards import KeyboardBuilder

Token = Annotated[str, Field(pattern=r"^[0-9a-f]{12}$")]


class MoneyAction(StrEnum):
    CONFIRM = "y"
    CANCEL = "n"


class MoneyConfirmCD(CallbackData, prefix="am"):
    action: MoneyAction
    token: Token


def create_router() -> Router:
    router = admin_router("admin_money_confirm")
    router.callback_query.register(cb_money, MoneyConfirmCD.filter())
    return router


def keyboard(p: Proposal) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(
        text=money_texts.button_confirm(),
        callback_data=MoneyConfirmCD(action=MoneyAction.CONFIRM, token=p.token),
    )
    b.button(
        text=texts.button_cancel(),
        callback_data=MoneyConfirmCD(action=MoneyAction.CANCEL, token=p.token),
    )
    b.adjust(2)
    return b.as_markup()


async def cb_money(
    query: CallbackQuery, callback_data: MoneyConfirmCD, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    actor = user.telegram_id
    if callback_data.action is MoneyAction.CONFIRM:
        decision = await shop.admin.confirm_adjustment(actor, callback_data.token)
    else:
        decision = await shop.admin.cancel_adjustment(actor, callback_data.token)
    if decision.adjustment is not None:
        await tell_customer(shop, decision, deps.settings.shop_currency)
    if decision.outcome is Outcome.NOT_YOURS:
        # Leave the message as it is: it is another admin's question.
        await query.answer(money_texts.decision(decision), show_alert=True)
        return
    if decision.outcome is Outcome.DONE and decision.adjustment is not None:
        text = texts.adjustment(decision.adjustment, deps.settings.shop_currency)
    else:
        text = money_texts.decision(decision)
    await reply(query, text)


async def tell_customer(shop: Shop, decision: Decision, currency: str) -> None:
    """The customer hears of a credit and of a debit; the reason only when public."""
    a: Adjustment | None = decision.adjustment
    p = decision.proposal
    if a is None or p is None:
        return
    reason = p.reason.for_customer
    after = a.entry.balance_after  # right after this row, whatever came since
    notice = texts.credit_notice if a.credit else money_texts.debit_notice
    await notify_customer(
        shop,
        a.user,
        lambda: notice(a.amount, after, reason, currency),
        dedupe_key=f"ledger:{a.entry.id}:notice",
    )
