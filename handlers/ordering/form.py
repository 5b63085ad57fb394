"""The order form, one question at a time, then the confirmation and the placement."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.deps import Deps
from bot.provider.models import ServiceType
from bot.shop.errors import InsufficientFunds, PriceChanged, ShopError
from bot.shop.money import Micro
from bot.shop.order_form import FormService, Step, next_step, read_answer, steps_for
from bot.shop.orders.models import Draft
from bot.shop.placement import Outcome, Placement
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.common import error_texts
from handlers.common import texts as common_texts
from handlers.common.show import show
from handlers.ordering import keyboards as kb
from handlers.ordering import texts
from handlers.ordering.callbacks import FlowAction, FlowCD, new_token
from handlers.ordering.states import OrderFlow
from handlers.storefront import keyboards as storefront_kb
from handlers.storefront.callbacks import ServiceAction, ServiceCD

log = logging.getLogger(__name__)
NOT_COMMAND = ~F.text.startswith("/")


def create_router() -> Router:
    router = Router(name="order_flow")
    router.callback_query.register(cb_begin, ServiceCD.filter(F.action == ServiceAction.ORDER))
    router.message.register(msg_answer, OrderFlow.answering, F.text, NOT_COMMAND)
    router.message.register(msg_not_text, OrderFlow.answering, ~F.text)
    # No state filters on the buttons: each carries its form's token, checked first, so
    # that a button of an earlier form is "out of date" whatever the chat is doing now.
    router.callback_query.register(cb_skip, FlowCD.filter(F.action == FlowAction.SKIP))
    router.callback_query.register(cb_choose, FlowCD.filter(F.action == FlowAction.CHOOSE))
    router.callback_query.register(cb_confirm, FlowCD.filter(F.action == FlowAction.CONFIRM))
    router.message.register(msg_while_confirming, OrderFlow.confirming, NOT_COMMAND)
    router.callback_query.register(cb_cancel, FlowCD.filter(F.action == FlowAction.CANCEL))
    return router


def _form(data: dict[str, Any]) -> FormService:
    raw = data["form"]
    return FormService(
        type=ServiceType(raw["type"]),
        min=raw["min"],
        max=raw["max"],
        dripfeed=raw["dripfeed"],
        platform=raw["platform"],
    )


async def cb_begin(
    query: CallbackQuery, callback_data: ServiceCD, state: FSMContext, shop: Shop, user: UserDTO
) -> None:
    await query.answer()
    if query.message is not None:
        await begin(query.message.chat.id, query, state, shop, user, callback_data.service_id)


async def begin(
    chat_id: int,
    event: Message | CallbackQuery,
    state: FSMContext,
    shop: Shop,
    user: UserDTO,
    service_id: int,
) -> None:
    """Open a new form for the service (any form open in this chat is left: its buttons
    are out of date from now on) and ask its first question, as a new message."""
    card = await shop.catalog.card(service_id)
    await state.set_state(OrderFlow.answering)
    await state.set_data(
        {
            "user_id": user.id,
            "token": new_token(),
            "service_id": card.id,
            "form": {
                "type": card.type.value,
                "min": card.min,
                "max": card.max,
                "dripfeed": card.dripfeed,
                "platform": card.platform,
            },
            "answers": {},
        }
    )
    await _ask(chat_id, event, state, shop)


def form_token(data: dict[str, Any]) -> str:
    """The token of the form kept in this chat's state ("" when there is none)."""
    token = data.get("token")
    return token if isinstance(token, str) else ""


async def _current(query: CallbackQuery, callback_data: FlowCD, state: FSMContext) -> bool:
    """True when the button belongs to the form open now; else the customer is told the
    button is out of date (a toast) and nothing changes."""
    data = await state.get_data()
    token = form_token(data)
    if token and callback_data.token == token:
        return True
    await query.answer(common_texts.stale_button())
    return False


async def _ask(chat_id: int, event: Message | CallbackQuery, state: FSMContext, shop: Shop) -> None:
    """Ask the next question, or price the completed form and show the summary."""
    data = await state.get_data()
    form = _form(data)
    answers: dict[str, Any] = data["answers"]
    step = next_step(form, answers)
    bot = event.bot
    assert bot is not None
    if step is not None:
        steps = [
            s
            for s in steps_for(form)
            if not (s is Step.INTERVAL and answers.get("runs", 0) is None)
        ]
        number = steps.index(step) + 1
        text = texts.step_question(
            step,
            number,
            len(steps),
            min_=form.min,
            max_=form.max,
            example_link=texts.example_link(form.platform),
        )
        await bot.send_message(chat_id, text, reply_markup=kb.step(step, form_token(data)))
        return
    try:
        draft = await shop.orders.quote(data["user_id"], data["service_id"], answers)
    except ShopError:
        await state.clear()  # the service went away or changed under the form
        raise
    await state.update_data(draft=draft.to_dict())
    await state.set_state(OrderFlow.confirming)
    balance = await shop.wallet.balance(draft.user_id)
    await bot.send_message(
        chat_id,
        texts.summary(draft, balance),
        reply_markup=summary_markup(shop, draft, balance, form_token(data)),
    )


def summary_markup(shop: Shop, draft: Draft, balance: Micro, token: str) -> InlineKeyboardMarkup:
    """Confirm and Cancel; when the balance is short and top-ups are on, first a button
    that tops up exactly what is missing, in whole Stars."""
    missing = draft.charge - balance
    if missing <= 0 or not shop.payments.available:
        return kb.confirm(token)
    try:
        quote = shop.payments.quote(missing)
    except ShopError:  # more than one invoice can carry: the custom top-up remains
        return kb.confirm(token)
    return kb.shortfall(texts.topup_label(quote, draft.currency), token)


async def _store(step: Step, value: Any, state: FSMContext) -> None:
    data = await state.get_data()
    answers = dict(data["answers"])
    answers[step.value] = value
    await state.update_data(answers=answers)


async def msg_answer(
    message: Message, state: FSMContext, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    data = await state.get_data()
    form = _form(data)
    step = next_step(form, data["answers"])
    if step is None:  # cannot normally happen: the form was complete
        await state.set_state(OrderFlow.confirming)
        return
    if step is Step.DELAY:
        await message.answer(
            texts.shop_error_for_choice(), reply_markup=kb.step(step, form_token(data))
        )
        return
    try:
        value = read_answer(form, step, message.text or "", data["answers"])
    except ShopError as error:
        await message.answer(
            error_texts.customer_error(error, deps.settings.shop_currency),
            reply_markup=kb.step(step, form_token(data)),
        )
        return
    await _store(step, value, state)
    await _ask(message.chat.id, message, state, shop)


async def msg_not_text(message: Message) -> None:
    await message.answer(texts.send_text_please())


async def cb_skip(
    query: CallbackQuery, callback_data: FlowCD, state: FSMContext, shop: Shop, user: UserDTO
) -> None:
    if not await _current(query, callback_data, state):
        return
    data = await state.get_data()
    step = None
    if await state.get_state() == OrderFlow.answering.state:
        step = next_step(_form(data), data["answers"])
    if step is None or step not in {Step.RUNS, Step.OLD_POSTS, Step.EXPIRY}:
        await query.answer(common_texts.stale_button())
        return
    await _store(step, None, state)
    await query.answer()
    if query.message is not None:
        await _ask(query.message.chat.id, query, state, shop)


async def cb_choose(
    query: CallbackQuery,
    callback_data: FlowCD,
    state: FSMContext,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
) -> None:
    if not await _current(query, callback_data, state):
        return
    data = await state.get_data()
    form = _form(data)
    step = None
    if await state.get_state() == OrderFlow.answering.state:
        step = next_step(form, data["answers"])
    if step is not Step.DELAY:
        await query.answer(common_texts.stale_button())
        return
    try:
        value = read_answer(form, step, str(callback_data.value), data["answers"])
    except ShopError as error:  # a tampered value
        await query.answer(
            error_texts.customer_error(error, deps.settings.shop_currency), show_alert=True
        )
        return
    await _store(step, value, state)
    await query.answer()
    if query.message is not None:
        await _ask(query.message.chat.id, query, state, shop)


async def cb_cancel(query: CallbackQuery, callback_data: FlowCD, state: FSMContext) -> None:
    if not await _current(query, callback_data, state):
        return
    await state.clear()
    await show(query, common_texts.cancelled(), storefront_kb.back_to_menu())
    await query.answer()


async def msg_while_confirming(message: Message, state: FSMContext) -> None:
    token = form_token(await state.get_data())
    await message.answer(texts.confirm_or_cancel(), reply_markup=kb.confirm(token))


async def cb_confirm(
    query: CallbackQuery,
    callback_data: FlowCD,
    state: FSMContext,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
) -> None:
    if not await _current(query, callback_data, state):
        return
    data = await state.get_data()
    raw = data.get("draft") if await state.get_state() == OrderFlow.confirming.state else None
    draft = Draft.from_dict(raw) if raw else None
    currency = deps.settings.shop_currency
    token = form_token(data)
    if draft is None or draft.user_id != user.id:  # FSM data belongs to this chat
        await query.answer(common_texts.stale_button())
        return
    await query.answer()
    try:
        placement = await shop.placement.place(draft)
    except InsufficientFunds as error:
        await show(
            query,
            texts.summary(draft, error.available) + "\n\n" + error_texts.shortfall(error, currency),
            summary_markup(shop, draft, error.available, token),
        )
        return
    except PriceChanged as error:
        fresh = await shop.orders.quote(user.id, draft.service_id, draft.fields)
        await state.update_data(draft=fresh.to_dict())
        balance = await shop.wallet.balance(user.id)
        await show(
            query,
            error_texts.price_changed(error, currency) + "\n\n" + texts.summary(fresh, balance),
            summary_markup(shop, fresh, balance, token),
        )
        return
    await state.clear()  # the summary's buttons are out of date from now on
    # The outcome is a receipt of its own at the bottom of the chat, however long the
    # panel took (the customer may have moved on meanwhile), and nothing edits it later.
    if query.message is not None:
        await query.bot.send_message(  # type: ignore[union-attr]
            query.message.chat.id,
            _placement_text(placement),
            reply_markup=kb.order_done(placement.order.id),
        )


def _placement_text(placement: Placement) -> str:
    order = placement.order
    match placement.outcome:
        case Outcome.PLACED:
            return texts.order_placed(order)
        case Outcome.ALREADY:
            return texts.order_already_placed(order)
        case Outcome.REFUSED:
            return texts.order_refused(order, texts.refusal_reason(placement.panel_text))
        case Outcome.UNAVAILABLE:
            return texts.order_refused(order, texts.refusal_reason(None, unavailable=True))
        case Outcome.UNKNOWN:
            return texts.order_unknown(order)
    raise AssertionError(placement.outcome)
