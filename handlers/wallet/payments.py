"""Top-ups in Telegram Stars: /topup, the invoice, pre-checkout, the payment; the
checkout shortfall; /paysupport; the admins' /starsrefund.

The rules live in bot/shop/payments/. Operator alerts and the referrer's notice are
outbox rows written by the payment's own transaction; the payer then gets a direct
answer, queued in the outbox when Telegram refuses it.
"""

from __future__ import annotations

import hashlib
import logging
from functools import partial
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, LabeledPrice, Message, PreCheckoutQuery

from bot.deps import Deps
from bot.outbox.writer import Outbox, Priority
from bot.shop.errors import ShopError
from bot.shop.money import parse_amount
from bot.shop.orders.models import Draft
from bot.shop.payments.errors import NoShortfall
from bot.shop.payments.references import ledger_reference
from bot.shop.payments.values import (
    STARS,
    Completion,
    PaidOutcome,
    PaymentDTO,
    RefundReply,
    RefundSeen,
    SeenOutcome,
    StarsRefund,
    TelegramRefund,
)
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.common import texts as common_texts
from handlers.common.show import show, tell
from handlers.ordering import texts as ordering_texts
from handlers.ordering.callbacks import FlowAction, FlowCD
from handlers.ordering.form import form_token, summary_markup
from handlers.ordering.states import OrderFlow
from handlers.storefront import keyboards as storefront_kb
from handlers.storefront.callbacks import Menu, MenuCD
from handlers.wallet import keyboards as kb
from handlers.wallet import texts
from handlers.wallet.callbacks import TopUpAction, TopUpCD
from handlers.wallet.states import TopUpFlow

log = logging.getLogger(__name__)
NOT_COMMAND = ~F.text.startswith("/")
SUPPORT_TEXT_LIMIT = 1500


def admin_only(_: object, is_admin: bool = False) -> bool:
    """Admin commands do not exist for anyone else: their text falls through to the
    catalogue search and the fallback, like any unknown text."""
    return is_admin


def create_router() -> Router:
    router = Router(name="payments")
    # Payments first: Telegram waits for the pre-checkout answer, and a payment must be
    # credited whatever conversation the customer is in.
    router.pre_checkout_query.register(on_pre_checkout)
    router.message.register(on_paid, F.successful_payment)
    router.message.register(on_refunded, F.refunded_payment)
    router.message.register(cmd_topup, Command("topup"))
    router.message.register(cmd_paysupport, Command("paysupport"))
    router.message.register(cmd_starsrefund, Command("starsrefund"), admin_only)
    router.callback_query.register(cb_topup, MenuCD.filter(F.action == Menu.TOPUP))
    router.callback_query.register(cb_preset, TopUpCD.filter(F.action == TopUpAction.STARS))
    router.callback_query.register(cb_custom, TopUpCD.filter(F.action == TopUpAction.CUSTOM))
    router.callback_query.register(cb_custom_back, TopUpCD.filter(F.action == TopUpAction.BACK))
    router.message.register(msg_custom_amount, TopUpFlow.amount, F.text, NOT_COMMAND)
    router.message.register(msg_custom_not_text, TopUpFlow.amount, ~F.text)
    router.callback_query.register(
        cb_shortfall, OrderFlow.confirming, FlowCD.filter(F.action == FlowAction.TOPUP)
    )
    return router


def _outbox(shop: Shop, deps: Deps) -> Outbox:
    return Outbox.from_session(shop.session, deps)


async def _send_invoice(
    bot: Bot, chat_id: int, payment: PaymentDTO, currency: str, service: str | None = None
) -> None:
    await bot.send_invoice(
        chat_id=chat_id,
        title=texts.invoice_title(),
        description=texts.invoice_description(payment, currency, service),
        payload=payment.payload,
        currency=STARS,
        prices=[LabeledPrice(label=texts.invoice_label(), amount=payment.stars)],
    )


# --- /topup -------------------------------------------------------------------------


async def _menu_text(shop: Shop, user: UserDTO) -> tuple[str, Any]:
    if not shop.payments.available:
        return texts.topup_unavailable(), storefront_kb.back_to_menu()
    menu = shop.payments.menu()
    balance = await shop.wallet.balance(user.id)
    return texts.topup_menu(menu, balance), kb.topup_menu(menu)


async def cmd_topup(message: Message, state: FSMContext, shop: Shop, user: UserDTO) -> None:
    await _leave_custom(state)
    text, markup = await _menu_text(shop, user)
    await message.answer(text, reply_markup=markup)


async def cb_topup(query: CallbackQuery, state: FSMContext, shop: Shop, user: UserDTO) -> None:
    await _leave_custom(state)
    text, markup = await _menu_text(shop, user)
    await show(query, text, markup)
    await query.answer()


async def cb_preset(
    query: CallbackQuery,
    callback_data: TopUpCD,
    state: FSMContext,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
) -> None:
    await _leave_custom(state)
    currency = deps.settings.shop_currency
    try:
        quote = shop.payments.quote_stars(callback_data.stars)
        payment = await shop.payments.issue(user.id, quote)
    except ShopError as error:  # top-ups switched off, or a tampered button
        await query.answer(texts.payment_error(error, currency), show_alert=True)
        return
    await query.answer()
    if query.message is not None:
        await _send_invoice(query.bot, query.message.chat.id, payment, currency)  # type: ignore[arg-type]


async def cb_custom(query: CallbackQuery, state: FSMContext, shop: Shop) -> None:
    if not shop.payments.available:
        await query.answer(texts.topup_unavailable(), show_alert=True)
        return
    current = await state.get_state()
    if current != TopUpFlow.amount.state:
        # Another flow (an order kept for confirmation) resumes after the invoice.
        await state.update_data(topup_back=current)
    await state.set_state(TopUpFlow.amount)
    await show(query, texts.custom_prompt(shop.payments.menu()), kb.custom_amount())
    await query.answer()


async def _leave_custom(state: FSMContext) -> None:
    """Back to the state before the custom amount (a kept order), if in it."""
    if await state.get_state() != TopUpFlow.amount.state:
        return
    data = await state.get_data()
    await state.set_state(data.get("topup_back") or None)
    await state.update_data(topup_back=None)


async def cb_custom_back(
    query: CallbackQuery, state: FSMContext, shop: Shop, user: UserDTO
) -> None:
    await _leave_custom(state)
    text, markup = await _menu_text(shop, user)
    await show(query, text, markup)
    await query.answer()


async def msg_custom_amount(
    message: Message, state: FSMContext, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    currency = deps.settings.shop_currency
    try:
        quote = shop.payments.quote(parse_amount(message.text or ""))
        payment = await shop.payments.issue(user.id, quote)
    except ShopError as error:
        await message.answer(texts.payment_error(error, currency), reply_markup=kb.custom_amount())
        return
    await _leave_custom(state)
    await _send_invoice(message.bot, message.chat.id, payment, currency)  # type: ignore[arg-type]


async def msg_custom_not_text(message: Message, shop: Shop) -> None:
    if not shop.payments.available:
        return
    await message.answer(texts.custom_prompt(shop.payments.menu()), reply_markup=kb.custom_amount())


# --- the checkout shortfall ---------------------------------------------------------


async def cb_shortfall(
    query: CallbackQuery,
    callback_data: FlowCD,
    state: FSMContext,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
) -> None:
    data = await state.get_data()
    currency = deps.settings.shop_currency
    if not form_token(data) or callback_data.token != form_token(data):
        await query.answer(common_texts.stale_button())  # a button of an earlier form
        return
    if not data.get("draft"):
        await query.answer(common_texts.stale_button(), show_alert=True)
        return
    draft = Draft.from_dict(data["draft"])
    if draft.user_id != user.id:
        await query.answer(common_texts.stale_button(), show_alert=True)
        return
    try:
        payment = await shop.payments.issue_shortfall(user.id, draft.charge, draft.token)
    except NoShortfall as covered:
        await query.answer(texts.no_shortfall(), show_alert=True)
        await show(
            query,
            ordering_texts.summary(draft, covered.balance),
            summary_markup(shop, draft, covered.balance, form_token(data)),
        )
        return
    except ShopError as error:
        await query.answer(texts.payment_error(error, currency), show_alert=True)
        return
    await query.answer()
    if query.message is not None:
        await _send_invoice(
            query.bot,  # type: ignore[arg-type]
            query.message.chat.id,
            payment,
            currency,
            service=draft.service_name,
        )


# --- pre-checkout and payment -------------------------------------------------------


async def on_pre_checkout(query: PreCheckoutQuery, shop: Shop, user: UserDTO) -> None:
    """Answered at once (Telegram gives a bot 10 seconds); one SELECT decides."""
    try:
        refusal = await shop.payments.check(
            user.id, query.invoice_payload, query.currency, query.total_amount
        )
    except Exception:
        log.exception("pre-checkout %s: check failed", query.id)
        await query.answer(ok=False, error_message=texts.precheckout_failed())
        return
    if refusal is None:
        await query.answer(ok=True)
    else:
        log.info("pre-checkout %s refused: %s", query.id, refusal)
        await query.answer(ok=False, error_message=texts.refusal(refusal))


class _Notices:
    """What a payment event queues for operators and referrers (PaymentNotices), rendered
    here and written by the payment use case in its own transaction."""

    def __init__(self, outbox: Outbox, deps: Deps, payer: UserDTO | None, charge_id: str) -> None:
        self.outbox = outbox
        self.deps = deps
        self.payer = payer
        self.charge_id = charge_id
        self.currency = deps.settings.shop_currency
        self.raw: tuple[int, str, str] | None = None  # (amount, currency, payload) as paid

    async def credited(self, done: Completion) -> None:
        i18n = self.deps.i18n
        if self.payer is not None:
            with i18n.use_locale(i18n.default_locale):
                alert = texts.op_topup(self.payer, done, self.currency)
            await self.outbox.to_operators(alert, dedupe_key=_key("stars-paid", self.charge_id))
        reward = done.referral
        if reward is not None and not reward.referrer.banned:
            with i18n.use_locale(i18n.pick(reward.referrer.language)):
                notice = texts.referral_reward(reward.amount, reward.balance, self.currency)
            await self.outbox.to_chat(
                reward.referrer.telegram_id,
                notice,
                user_id=reward.referrer.user_id,
                dedupe_key=_key("referral", self.charge_id),
            )

    async def unmatched(self, done: Completion) -> None:
        if self.payer is None or self.raw is None:
            return
        amount, currency, payload = self.raw
        with self.deps.i18n.use_locale(self.deps.i18n.default_locale):
            alert = texts.op_unmatched(
                self.payer, done.refusal, amount, currency, self.charge_id, payload
            )
        await self.outbox.to_operators(alert, dedupe_key=_key("stars-unmatched", self.charge_id))

    async def refunded(self, refund: StarsRefund) -> None:
        i18n = self.deps.i18n
        with i18n.use_locale(i18n.pick(refund.payer.language)):
            notice = texts.refunded_notice(
                refund.payment, refund.debited, refund.balance, self.currency
            )
        await self.outbox.to_chat(
            refund.payer.telegram_id,
            notice,
            priority=Priority.ORDER,
            user_id=refund.payer.user_id,
            dedupe_key=_key("stars-refunded", self.charge_id),
        )

    async def refund_seen(self, seen: RefundSeen) -> None:
        with self.deps.i18n.use_locale(self.deps.i18n.default_locale):
            alert = texts.op_refund_outside(seen, self.currency)
        await self.outbox.to_operators(alert, dedupe_key=_key("stars-refund-seen", self.charge_id))


async def on_paid(
    message: Message, state: FSMContext, shop: Shop, user: UserDTO, deps: Deps, bot: Bot
) -> None:
    """The credit, the referral reward and the alerts are committed by `complete` before
    the payer hears of it; a thank-you that fails goes through the outbox."""
    paid = message.successful_payment
    assert paid is not None
    charge_id = paid.telegram_payment_charge_id
    outbox = _outbox(shop, deps)
    notices = _Notices(outbox, deps, user, charge_id)
    notices.raw = (paid.total_amount, paid.currency, paid.invoice_payload)
    done = await shop.payments.complete(
        user.id,
        paid.invoice_payload,
        paid.currency,
        paid.total_amount,
        charge_id,
        notices=notices,
    )
    currency = deps.settings.shop_currency
    if done.outcome is PaidOutcome.DUPLICATE:
        log.info("payment %s delivered again: nothing to do", charge_id)
        return
    if done.outcome is PaidOutcome.UNMATCHED:
        log.warning("payment %s of user %s not matched: %s", charge_id, user.id, done.refusal)
        await tell(bot, outbox, message.chat.id, texts.paid_unmatched(charge_id), user_id=user.id)
        return
    payment = done.payment
    assert payment is not None
    draft = await _kept_order(state, user)
    if draft is not None:
        text = (
            texts.paid_resume(payment, done.balance, currency)
            + "\n\n"
            + ordering_texts.summary(draft, done.balance)
        )
        markup = summary_markup(shop, draft, done.balance, form_token(await state.get_data()))
    else:
        text, markup = texts.paid_thanks(payment, done.balance, currency), kb.after_payment()
    await tell(
        bot,
        outbox,
        message.chat.id,
        text,
        user_id=user.id,
        markup=markup,
        dedupe_key=_key("stars-thanks", charge_id),
    )


async def _kept_order(state: FSMContext, user: UserDTO) -> Draft | None:
    """The order kept for confirmation in this chat, if the customer is still on it."""
    if await state.get_state() != OrderFlow.confirming.state:
        return None
    raw = (await state.get_data()).get("draft")
    if not raw:
        return None
    draft = Draft.from_dict(raw)
    return draft if draft.user_id == user.id else None


def _key(kind: str, charge_id: str) -> str:
    return ledger_reference(kind, charge_id)


async def on_refunded(message: Message, shop: Shop, user: UserDTO, deps: Deps, bot: Bot) -> None:
    """Telegram's note that Stars went back: confirms /starsrefund, or reports a refund
    made outside the bot."""
    refunded = message.refunded_payment
    assert refunded is not None
    charge_id = refunded.telegram_payment_charge_id
    outbox = _outbox(shop, deps)
    seen = await shop.payments.refund_seen(
        charge_id, user_id=user.id, notices=_Notices(outbox, deps, user, charge_id)
    )
    log.info("refunded_payment %s of user %s: %s", charge_id, user.id, seen.outcome)
    if seen.outcome is SeenOutcome.EXTERNAL and seen.payment is not None:
        notice = texts.refunded_notice(
            seen.payment, seen.debited, seen.balance, deps.settings.shop_currency
        )
        await tell(
            bot,
            outbox,
            message.chat.id,
            notice,
            user_id=user.id,
            dedupe_key=_key("stars-refund-seen-notice", charge_id),
        )


# --- /paysupport --------------------------------------------------------------------


async def cmd_paysupport(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    currency = deps.settings.shop_currency
    recent = await shop.payments.recent(user.id)
    request = (command.args or "").strip()
    if not request:
        await message.answer(
            texts.paysupport(deps.settings.support_contact, recent, currency),
            reply_markup=storefront_kb.back_to_menu(),
        )
        return
    request = request[:SUPPORT_TEXT_LIMIT]
    with deps.i18n.use_locale(deps.i18n.default_locale):
        alert = texts.op_paysupport(user, request, recent, currency)
    digest = hashlib.sha256(request.encode()).hexdigest()[:24]
    await _outbox(shop, deps).to_operators(alert, dedupe_key=f"paysupport:{user.id}:{digest}")
    await message.answer(texts.paysupport_sent())


# --- /starsrefund (admins) ----------------------------------------------------------


async def _refund_star_payment(bot: Bot, user_id: int, charge_id: str) -> RefundReply:
    """refundStarPayment, its outcome sorted into done / a definite no / no answer."""
    try:
        await bot.refund_star_payment(user_id=user_id, telegram_payment_charge_id=charge_id)
    except TelegramBadRequest as exc:
        if "CHARGE_ALREADY_REFUNDED" in exc.message.upper():
            return RefundReply(TelegramRefund.DONE, exc.message)
        return RefundReply(TelegramRefund.REFUSED, exc.message)
    except (TelegramForbiddenError, TelegramNotFound, TelegramUnauthorizedError) as exc:
        return RefundReply(TelegramRefund.REFUSED, exc.message)  # a definite no
    except (TelegramAPIError, TelegramNetworkError, TimeoutError, OSError) as exc:
        # 429 flood control, 5xx, a timeout, a lost connection: Telegram may or may not
        # have refunded; the debit stays and the command can be run again.
        return RefundReply(TelegramRefund.UNKNOWN, str(exc))
    return RefundReply(TelegramRefund.DONE)


async def cmd_starsrefund(
    message: Message, command: CommandObject, bot: Bot, shop: Shop, deps: Deps
) -> None:
    currency = deps.settings.shop_currency
    charge_id = (command.args or "").strip()
    if not charge_id or " " in charge_id or message.from_user is None:
        await message.answer(texts.starsrefund_usage())
        return
    try:
        result = await shop.payments.refund(
            charge_id,
            actor_id=message.from_user.id,
            call=partial(_refund_star_payment, bot),
            notices=_Notices(_outbox(shop, deps), deps, None, charge_id),
        )
    except ShopError as error:
        await message.answer(texts.starsrefund_error(error, currency))
        return
    await message.answer(texts.starsrefund_result(result, currency))
