"""Admin commands (ADMIN_IDS only; for anyone else they do not exist).

Each handler reads the arguments, calls one admin service method (which writes the audit
row), and renders the reply; malformed arguments get the command's usage line, domain
errors the admin's words for them, and nothing changes on an error.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.deps import Deps
from bot.jobs.catalog import sync_catalog
from bot.numbers import parse_whole
from bot.shop.admin.parsing import UserRef, parse_adjustment, parse_percent, parse_user_ref
from bot.shop.admin.values import CannotBanAdmin, OrderRefund
from bot.shop.errors import (
    InvalidAmount,
    InvalidMarkup,
    NotFound,
    ShopError,
    TransitionNotAllowed,
)
from bot.shop.services import Shop
from bot.shop.stats import Period
from bot.shop.users import UserDTO
from handlers import admin_broadcast
from handlers import admin_keyboards as kb
from handlers import admin_texts as t
from handlers.admin_common import IsAdmin, alert_operators, notify_customer, refuse, reply
from handlers.callbacks import (
    AdminAlertsCD,
    AdminOrderAction,
    AdminOrderCD,
    AdminStatsCD,
    AdminUserAction,
    AdminUserCD,
)
from handlers.common import show
from handlers.states import AdminFlow

NOT_COMMAND = ~F.text.startswith("/")


def create_router() -> Router:
    router = Router(name="admin")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(cmd_cancel_flow, Command("cancel"), StateFilter(AdminFlow))
    router.message.register(cmd_admin, Command("admin"))
    router.message.register(cmd_stats, Command("stats"))
    router.message.register(cmd_user, Command("user"))
    router.message.register(cmd_credit, Command("credit"))
    router.message.register(cmd_debit, Command("debit"))
    router.message.register(cmd_ban, Command("ban"))
    router.message.register(cmd_unban, Command("unban"))
    router.message.register(cmd_markup, Command("markup"))
    router.message.register(cmd_hide, Command("hide"))
    router.message.register(cmd_show, Command("show"))
    router.message.register(cmd_sync, Command("sync"))
    router.message.register(cmd_provider, Command("provider"))
    router.message.register(cmd_order, Command("order"))
    router.message.register(cmd_refund, Command("refund"))
    router.message.register(cmd_maintenance, Command("maintenance"))
    router.message.register(msg_link, AdminFlow.linking, F.text, NOT_COMMAND)
    router.callback_query.register(cb_alerts, AdminAlertsCD.filter())
    router.callback_query.register(cb_stats, AdminStatsCD.filter())
    router.callback_query.register(cb_user, AdminUserCD.filter())
    router.callback_query.register(cb_order, AdminOrderCD.filter())
    router.include_router(admin_broadcast.create_router())
    return router


def _args(command: CommandObject) -> list[str]:
    return (command.args or "").split()


def _int_arg(command: CommandObject) -> int | None:
    """The one argument as a positive id ("17" or "#17"), else None."""
    args = _args(command)
    if len(args) != 1:
        return None
    return parse_whole(args[0].removeprefix("#"), low=1)


async def cmd_cancel_flow(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(t.flow_cancelled())


# --- /admin, /stats -------------------------------------------------------------------


async def cmd_admin(message: Message, shop: Shop, user: UserDTO) -> None:
    on = await shop.alert_switches.order_placed()
    await shop.admin.record(user.telegram_id, "admin")
    await message.answer(t.admin_help(on), reply_markup=kb.admin_menu(on))


async def cb_alerts(
    query: CallbackQuery, callback_data: AdminAlertsCD, shop: Shop, user: UserDTO
) -> None:
    on = callback_data.order_placed
    await shop.alert_switches.set_order_placed(on)
    await shop.admin.record(user.telegram_id, "alerts.order_placed", target_type="shop", on=on)
    await reply(query, t.admin_help(on), kb.admin_menu(on))


async def cmd_stats(message: Message, command: CommandObject, shop: Shop, user: UserDTO) -> None:
    period = Period.parse(command.args)
    if period is None:
        await message.answer(t.bad_period() + "\n" + t.usage("stats"))
        return
    await _stats(message, period, shop, user)


async def cb_stats(
    query: CallbackQuery, callback_data: AdminStatsCD, shop: Shop, user: UserDTO
) -> None:
    period = Period.parse(callback_data.period) or Period.TODAY
    await _stats(query, period, shop, user)


async def _stats(event: Message | CallbackQuery, period: Period, shop: Shop, user: UserDTO) -> None:
    stats = await shop.stats.collect(period)
    await shop.admin.record(user.telegram_id, "stats", period=period.value)
    await reply(event, t.stats(stats), kb.stats(period))


# --- customers --------------------------------------------------------------------------


async def cmd_user(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    args = _args(command)
    ref = parse_user_ref(args[0]) if len(args) == 1 else None
    if ref is None:
        await message.answer(t.usage("user"))
        return
    await _profile(message, ref, shop, user, deps)


async def _profile(
    event: Message | CallbackQuery, who: UserRef | int, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    try:
        profile = await shop.admin.profile(user.telegram_id, who)
    except ShopError as error:
        await refuse(event, error, deps)
        return
    await reply(event, t.profile(profile, deps.settings.shop_currency), kb.profile(profile))


async def cb_user(
    query: CallbackQuery, callback_data: AdminUserCD, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    if callback_data.action is not AdminUserAction.CARD:
        banned = callback_data.action is AdminUserAction.BAN
        try:
            await shop.admin.set_banned(
                user.telegram_id, callback_data.user_id, banned, protected=deps.settings.admin_ids
            )
        except ShopError as error:
            await refuse(query, error, deps)
            return
    await _profile(query, callback_data.user_id, shop, user, deps)


async def cmd_credit(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    await _adjust(message, command, shop, user, deps, credit=True)


async def cmd_debit(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    await _adjust(message, command, shop, user, deps, credit=False)


async def _adjust(
    message: Message,
    command: CommandObject,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
    *,
    credit: bool,
) -> None:
    name = "credit" if credit else "debit"
    parts = (command.args or "").split(maxsplit=2)
    ref = parse_user_ref(parts[0]) if len(parts) >= 2 else None
    if ref is None:
        await message.answer(t.usage(name))
        return
    currency = deps.settings.shop_currency
    try:
        amount = parse_adjustment(parts[1], currency)
    except InvalidAmount:
        await message.answer(t.bad_amount(currency) + "\n" + t.usage(name))
        return
    reason = parts[2].strip()[:500] if len(parts) == 3 else None
    try:
        result = await shop.admin.adjust(
            user.telegram_id,
            ref,
            amount,
            credit=credit,
            reason=reason,
            # The same message delivered twice (a webhook retry) adjusts once.
            reference=f"admin:{message.chat.id}:{message.message_id}",
        )
    except ShopError as error:
        await refuse(message, error, deps)
        return
    if credit and not result.repeated:
        await notify_customer(
            shop,
            result.user,
            lambda: t.credit_notice(result.amount, result.user.balance, reason, currency),
            dedupe_key=f"ledger:{result.entry.id}:notice",
        )
    await message.answer(t.adjustment(result, currency))


async def cmd_ban(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    await _ban(message, command, shop, user, deps, banned=True)


async def cmd_unban(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    await _ban(message, command, shop, user, deps, banned=False)


async def _ban(
    message: Message,
    command: CommandObject,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
    *,
    banned: bool,
) -> None:
    args = _args(command)
    ref = parse_user_ref(args[0]) if len(args) == 1 else None
    if ref is None:
        await message.answer(t.usage("ban" if banned else "unban"))
        return
    try:
        change = await shop.admin.set_banned(
            user.telegram_id, ref, banned, protected=deps.settings.admin_ids
        )
    except CannotBanAdmin:
        await message.answer(t.cannot_ban_admin())
        return
    except ShopError as error:
        await refuse(message, error, deps)
        return
    await message.answer(t.ban_change(change))


# --- catalogue and prices ------------------------------------------------------------------


async def cmd_markup(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    parts = (command.args or "").split(maxsplit=2)
    category = service_id = None
    ok = len(parts) == 1 or (len(parts) == 3 and parts[1].lower() in {"category", "service"})
    if ok and len(parts) == 3:
        if parts[1].lower() == "category":
            category = parts[2].strip()
        else:
            service_id = parse_whole(parts[2].strip().removeprefix("#"), low=1)
            ok = service_id is not None
    if not ok:
        await message.answer(t.usage("markup"))
        return
    try:
        percent = parse_percent(parts[0])
    except InvalidMarkup:
        await message.answer(t.bad_percent() + "\n" + t.usage("markup"))
        return
    try:
        change = await shop.admin.set_markup(
            user.telegram_id, percent, category=category, service_id=service_id
        )
    except ShopError as error:
        await refuse(message, error, deps)
        return
    await message.answer(t.markup_change(change, deps.settings.shop_currency))


async def cmd_hide(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    await _toggle(message, command, shop, user, deps, hidden=True)


async def cmd_show(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    await _toggle(message, command, shop, user, deps, hidden=False)


async def _toggle(
    message: Message,
    command: CommandObject,
    shop: Shop,
    user: UserDTO,
    deps: Deps,
    *,
    hidden: bool,
) -> None:
    service_id = _int_arg(command)
    if service_id is None:
        await message.answer(t.usage("hide" if hidden else "show"))
        return
    try:
        toggle = await shop.admin.set_hidden(user.telegram_id, service_id, hidden)
    except ShopError as error:
        await refuse(message, error, deps)
        return
    await message.answer(t.service_toggle(toggle))


async def cmd_sync(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    if command.args:
        await message.answer(t.usage("sync"))
        return
    await message.answer(t.sync_started())
    try:
        report = await shop.admin.sync(user.telegram_id, lambda: sync_catalog(deps))
    except ShopError as error:
        await refuse(message, error, deps)
        return
    await message.answer(t.sync_report(report))


async def cmd_provider(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    if command.args:
        await message.answer(t.usage("provider"))
        return
    overview = await shop.admin.provider_overview(user.telegram_id)
    await message.answer(t.provider(overview, deps.settings.shop_currency))


# --- orders -----------------------------------------------------------------------------


async def cmd_order(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    order_id = _int_arg(command)
    if order_id is None:
        await message.answer(t.usage("order"))
        return
    try:
        view = await shop.admin.order(user.telegram_id, order_id)
    except ShopError as error:
        await refuse(message, error, deps)
        return
    await message.answer(
        t.order_card(view, deps.settings.shop_currency), reply_markup=kb.order_card(view)
    )


async def cmd_refund(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO, deps: Deps
) -> None:
    order_id = _int_arg(command)
    if order_id is None:
        await message.answer(t.usage("refund"))
        return
    try:
        refund = await shop.admin.refund(user.telegram_id, order_id)
    except ShopError as error:
        await refuse(message, error, deps)
        return
    await _announce_refund(shop, refund, user, failed=False)
    await message.answer(t.refund_done(refund))


async def _announce_refund(shop: Shop, r: OrderRefund, admin: UserDTO, *, failed: bool) -> None:
    """The customer is told, and so are the operators."""
    order_id = r.order.id
    event = f"order:{order_id}:{'fail' if failed else 'refund'}:{r.order.refunded}"
    if failed:
        await notify_customer(
            shop, r.customer, lambda: t.not_placed_notice(r.order, r.amount), dedupe_key=event
        )
        render = lambda: t.alert_not_placed(r, admin.telegram_id)  # noqa: E731
    else:
        await notify_customer(
            shop, r.customer, lambda: t.refund_notice(r.order, r.amount), dedupe_key=event
        )
        render = lambda: t.alert_refund(r, admin.telegram_id)  # noqa: E731
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
    try:
        match action:
            case AdminOrderAction.REFRESH:
                view = await shop.admin.refresh_order(actor, order_id)
            case AdminOrderAction.REFUND | AdminOrderAction.FAIL:
                view = await shop.admin.order(actor, order_id)
                refund = action is AdminOrderAction.REFUND
                if view.can_refund if refund else view.can_resolve:
                    text = t.refund_confirm(view) if refund else t.fail_confirm(view)
                    yes = AdminOrderAction.REFUND_YES if refund else AdminOrderAction.FAIL_YES
                    await reply(query, text, kb.confirm_order_action(order_id, yes))
                    return
                note = t.not_possible_now()
            case AdminOrderAction.REFUND_YES | AdminOrderAction.FAIL_YES:
                failed = action is AdminOrderAction.FAIL_YES
                if failed:
                    result = await shop.admin.resolve_failed(actor, order_id)
                else:
                    result = await shop.admin.refund(actor, order_id)
                await _announce_refund(shop, result, user, failed=failed)
                view = await shop.admin.order(actor, order_id)
                note = t.resolve_failed_done(result) if failed else t.refund_done(result)
            case AdminOrderAction.LINK:
                view = await shop.admin.order(actor, order_id)
                if view.can_resolve:
                    await state.set_state(AdminFlow.linking)
                    await state.set_data({"order_id": order_id})
                    await query.answer()
                    if query.message is not None:
                        await query.message.answer(t.link_prompt(order_id))
                    return
                note = t.not_possible_now()
            case _:
                view = await shop.admin.order(actor, order_id)
    except ShopError as error:
        await refuse(query, error, deps)
        return
    await show(query, t.order_card(view, deps.settings.shop_currency), kb.order_card(view))
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
            await message.answer(t.link_prompt(order_id))  # another try
        return
    await state.clear()
    linked = view.order.provider_order_id or provider_order_id
    if view.customer is not None:
        await notify_customer(
            shop,
            view.customer,
            lambda: t.linked_notice(view.order),
            dedupe_key=f"order:{order_id}:linked",
        )
    await alert_operators(
        shop,
        lambda: t.alert_linked(order_id, linked, user.telegram_id),
        dedupe_key=f"order:{order_id}:linked:ops",
    )
    await message.answer(t.linked(order_id, linked))
    await message.answer(
        t.order_card(view, deps.settings.shop_currency), reply_markup=kb.order_card(view)
    )


# --- the shop -----------------------------------------------------------------------------


async def cmd_maintenance(
    message: Message, command: CommandObject, shop: Shop, user: UserDTO
) -> None:
    args = [a.lower() for a in _args(command)]
    if args not in (["on"], ["off"]):
        await message.answer(t.maintenance_state(await shop.settings.maintenance()))
        return
    on = args == ["on"]
    changed = await shop.admin.set_maintenance(user.telegram_id, on)
    await message.answer(t.maintenance(on, changed))
