"""An order as the admin sees it: /order, /refund, and resolving an unknown order (link it to
the panel's order, or refund it as not placed)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.deps import Deps
from bot.shop.admin.values import OrderRefund
from bot.shop.errors import NotFound, ShopError, TransitionNotAllowed
from bot.shop.services import Shop
from bot.shop.users import UserDTO
from handlers.admin import keyboards as kb
from handlers.admin import money_texts, texts
from handlers.admin.callbacks import AdminOrderAction, AdminOrderCD
from handlers.admin.common import (
    NOT_COMMAND,
    admin_router,
    alert_operators,
    id_arg,
    notify_customer,
    refuse,
    reply,
)
from handlers.admin.states import AdminFlow
from handlers.common.show import show


def create_router() -> Router:
    router = admin_router("admin_orders")
    router.message.register(cmd_order, Command("order"))
    router.message.register(cmd_refund, Command("refund"))
    router.message.register(msg_link, AdminFlow.linking, F.text, NOT_COMMAND)
    router.callback_query.register(cb_order, AdminOrderCD.filter())
    return router


async def cmd_order(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    view = await shop.admin.order(user.telegram_id, id_arg(command, "order"))
    await message.answer(
        texts.order_card(view, deps.settings.shop_currency), reply_markup=kb.order_card(view)
    )


async def cmd_refund(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    """Only the question: the refund happens on "Yes, refund" (`REFUND_YES`), once, since an
    order's remainder can be refunded once (AlreadyRefunded after that)."""
    view = await shop.admin.ask_refund(user.telegram_id, id_arg(command, "refund"))
    await message.answer(
        money_texts.refund_proposal(view),
        reply_markup=kb.confirm_order_action(view.order.id, AdminOrderAction.REFUND_YES),
    )


async def _announce_refund(shop: Shop, r: OrderRefund, admin: UserDTO, *, failed: bool) -> None:
    """The customer is told, and so are the operators."""
    order_id = r.order.id
    event = f"order:{order_id}:{'fail' if failed else 'refund'}:{r.order.refunded}"
    if failed:
        await notify_customer(
            shop, r.customer, lambda: texts.not_placed_notice(r.order, r.amount), dedupe_key=event
        )
        render = lambda: texts.alert_not_placed(r, admin.telegram_id)  # noqa: E731
    else:
        await notify_customer(
            shop, r.customer, lambda: texts.refund_notice(r.order, r.amount), dedupe_key=event
        )
        render = lambda: texts.alert_refund(r, admin.telegram_id)  # noqa: E731
    await alert_operators(shop, render, dedupe_key=f"{event}:ops")


async def cb_order(
    query: CallbackQuery,
    callback_data: AdminOrderCD,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
    state: FSMContext,
) -> None:
    order_id = callback_data.order_id
    action = callback_data.action
    actor = user.telegram_id
    note: str | None = None  # an alert to answer the tap with, besides the card
    match action:
        case AdminOrderAction.REFRESH:
            view = await shop.admin.refresh_order(actor, order_id)
        case AdminOrderAction.REFUND | AdminOrderAction.FAIL:
            view = await shop.admin.order(actor, order_id)
            refund = action is AdminOrderAction.REFUND
            if view.can_refund if refund else view.can_resolve:
                text = money_texts.refund_proposal(view) if refund else texts.fail_confirm(view)
                yes = AdminOrderAction.REFUND_YES if refund else AdminOrderAction.FAIL_YES
                await reply(query, text, kb.confirm_order_action(order_id, yes))
                return
            note = texts.not_possible_now()
        case AdminOrderAction.REFUND_YES | AdminOrderAction.FAIL_YES:
            failed = action is AdminOrderAction.FAIL_YES
            if failed:
                result = await shop.admin.resolve_failed(actor, order_id)
            else:
                result = await shop.admin.refund(actor, order_id)
            await _announce_refund(shop, result, user, failed=failed)
            view = await shop.admin.order(actor, order_id)
            note = texts.resolve_failed_done(result) if failed else texts.refund_done(result)
        case AdminOrderAction.LINK:
            view = await shop.admin.order(actor, order_id)
            if view.can_resolve:
                await state.set_state(AdminFlow.linking)
                await state.set_data({"order_id": order_id})
                await query.answer()
                if query.message is not None:
                    await query.message.answer(texts.link_prompt(order_id))
                return
            note = texts.not_possible_now()
        case _:
            view = await shop.admin.order(actor, order_id)
    await show(query, texts.order_card(view, deps.settings.shop_currency), kb.order_card(view))
    await query.answer(note[:200] if note else None, show_alert=note is not None)


async def msg_link(
    message: Message, state: FSMContext, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    order_id = int((await state.get_data()).get("order_id", 0))
    provider_order_id = (message.text or "").strip()
    try:
        view = await shop.admin.link(user.telegram_id, order_id, provider_order_id)
    except ShopError as error:
        await refuse(message, error, deps)
        if isinstance(error, NotFound | TransitionNotAllowed):
            await state.clear()  # nothing left to link
        else:
            await message.answer(texts.link_prompt(order_id))  # another try
        return
    await state.clear()
    linked = view.order.provider_order_id or provider_order_id
    if view.customer is not None:
        await notify_customer(
            shop,
            view.customer,
            lambda: texts.linked_notice(view.order),
            dedupe_key=f"order:{order_id}:linked",
        )
    await alert_operators(
        shop,
        lambda: texts.alert_linked(view, linked, user.telegram_id),
        dedupe_key=f"order:{order_id}:linked:ops",
    )
    await message.answer(texts.linked(order_id, linked))
    await message.answer(
        texts.order_card(view, deps.settings.shop_currency), reply_markup=kb.order_card(view)
    )
