"""The admin buttons: menu, stats periods, a customer's card, an order's card, broadcasts."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup

from bot.shop.admin.values import AdminOrder, UserProfile
from bot.shop.stats import Period
from handlers.admin import texts
from handlers.admin.callbacks import (
    AdminAlertsCD,
    AdminOrderAction,
    AdminOrderCD,
    AdminStatsCD,
    AdminUserAction,
    AdminUserCD,
    BackupAction,
    BackupCD,
    BroadcastAction,
    BroadcastCD,
)
from handlers.common.keyboards import KeyboardBuilder


def admin_menu(order_placed_alerts: bool) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(
        text=texts.order_placed_alerts_button(order_placed_alerts),
        callback_data=AdminAlertsCD(order_placed=not order_placed_alerts),
    )
    return b.as_markup()


def stats(current: Period) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    for period in Period:
        mark = "• " if period is current else ""
        b.button(
            text=mark + texts.period_label(period), callback_data=AdminStatsCD(period=period.value)
        )
    b.adjust(4)
    return b.as_markup()


def profile(p: UserProfile) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    for order in p.orders:
        b.button(
            text=texts.button_order(order),
            callback_data=AdminOrderCD(action=AdminOrderAction.CARD, order_id=order.id),
        )
    orders = len(p.orders)
    if p.user.banned:
        b.button(
            text=texts.button_unban(),
            callback_data=AdminUserCD(action=AdminUserAction.UNBAN, user_id=p.user.id),
        )
    else:
        b.button(
            text=texts.button_ban(),
            callback_data=AdminUserCD(action=AdminUserAction.BAN, user_id=p.user.id),
        )
    b.button(
        text=texts.button_refresh(),
        callback_data=AdminUserCD(action=AdminUserAction.CARD, user_id=p.user.id),
    )
    b.adjust(*([3] * (orders // 3)), *([orders % 3] if orders % 3 else []), 2)
    return b.as_markup()


def order_card(view: AdminOrder) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    order_id = view.order.id

    def add(text: str, action: AdminOrderAction) -> None:
        b.button(text=text, callback_data=AdminOrderCD(action=action, order_id=order_id))

    add(texts.button_refresh(), AdminOrderAction.REFRESH)
    if view.can_refund:
        add(texts.button_refund(view.refundable, view.order.currency), AdminOrderAction.REFUND)
    if view.can_resolve:
        add(texts.button_link(), AdminOrderAction.LINK)
        add(texts.button_fail(), AdminOrderAction.FAIL)
    if view.customer is not None:
        b.button(
            text="👤 " + str(view.customer.telegram_id),
            callback_data=AdminUserCD(action=AdminUserAction.CARD, user_id=view.customer.id),
        )
    b.adjust(2)
    return b.as_markup()


def confirm_order_action(order_id: int, yes: AdminOrderAction) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(text=texts.button_yes(), callback_data=AdminOrderCD(action=yes, order_id=order_id))
    b.button(
        text=texts.button_back(),
        callback_data=AdminOrderCD(action=AdminOrderAction.CARD, order_id=order_id),
    )
    b.adjust(2)
    return b.as_markup()


def broadcast_confirm(broadcast_id: str, recipients: int) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    b.button(
        text=texts.broadcast_confirm_button(recipients),
        callback_data=BroadcastCD(action=BroadcastAction.CONFIRM, broadcast_id=broadcast_id),
    )
    b.button(
        text=texts.button_cancel(),
        callback_data=BroadcastCD(action=BroadcastAction.CANCEL, broadcast_id=broadcast_id),
    )
    b.adjust(2)
    return b.as_markup()


def confirm_backup(service_id: int, backup_id: int) -> InlineKeyboardMarkup:
    b = KeyboardBuilder()
    for action, label in (
        (BackupAction.ADD, texts.button_confirm()),
        (BackupAction.CANCEL, texts.button_cancel()),
    ):
        b.button(
            text=label,
            callback_data=BackupCD(action=action, service_id=service_id, backup_id=backup_id),
        )
    b.adjust(2)
    return b.as_markup()
