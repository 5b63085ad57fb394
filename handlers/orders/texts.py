"""Texts of a customer's orders: the list, an order's card, refills and cancellations."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.shop.enums import OrderState
from bot.shop.orders.models import OrderDTO, OrderPage
from bot.shop.settlement import posts_served
from bot.shop.tracking import RefillView
from bot.shop.usual_time import UsualTime
from bot.texts.format import day_time, escape, fmt, money, number, shorten
from handlers.common.texts import STATE_ICONS, drip_total, duration, page_suffix, state_name

# A button's worth of "⏳ #12 · service name": longer names end in "…".
ORDER_LABEL_ROOM = 40


def orders_title(page: OrderPage) -> str:
    if page.total == 0:
        return _("You have no orders yet. Tap 🛒 New order to place your first one.")
    pages = max(1, -(-page.total // page.per_page))
    return _("📋 <b>My orders</b>") + page_suffix(page.page, pages)


def order_label(order: OrderDTO) -> str:
    label = f"{STATE_ICONS[order.state]} #{order.id} · {order.service_name}"
    return shorten(label, ORDER_LABEL_ROOM)


def order_card(order: OrderDTO, refills: list[RefillView], usual: UsualTime | None = None) -> str:
    lines = [
        fmt(
            _("{icon} <b>Order #{id}</b> — {state}"),
            icon=STATE_ICONS[order.state],
            id=order.id,
            state=state_name(order.state),
        ),
        escape(order.service_name),
        "",
    ]
    if order.link:
        lines.append(fmt(_("🔗 {link}"), link=order.link))
    if order.runs:
        lines.append(drip_total(order.runs, order.quantity))
    else:
        lines.append(fmt(_("🔢 Quantity: {quantity}"), quantity=number(order.quantity)))
    lines.append(fmt(_("💵 Price: {charge}"), charge=money(order.charge, order.currency)))
    if order.start_count:  # 0 is many panels' "not known yet"
        lines.append(fmt(_("▶️ Start count: {count}"), count=number(order.start_count)))
    posts = posts_served(order)
    if posts is not None:
        lines.append(fmt(_("📮 Posts served: {served} of {paid}"), served=posts[0], paid=posts[1]))
    elif order.remains is not None and order.state is not OrderState.COMPLETED:
        lines.append(fmt(_("⏳ Remains: {remains}"), remains=number(order.remains)))
    if order.refunded and posts is not None and order.state.finished:
        lines.append(
            fmt(
                _("↩️ Unused posts refunded: {amount}"), amount=money(order.refunded, order.currency)
            )
        )
    elif order.refunded:
        lines.append(fmt(_("↩️ Refunded: {amount}"), amount=money(order.refunded, order.currency)))
    lines.append(fmt(_("🕒 Placed: {at}"), at=day_time(order.created_at)))
    if usual is not None:
        lines.append(usual_time_line(usual))
    for refill in refills[-3:]:
        lines.append(fmt(_("♻️ Refill #{id}: {status}"), id=refill.id, status=refill_status(refill)))
    return "\n".join(lines)


def usual_time_line(usual: UsualTime) -> str:
    """How long the service usually takes: ours when measured, else the panel's figure."""
    if usual.orders is None:
        return fmt(
            _("⏱ Usually takes about {duration} (the provider's estimate)"),
            duration=duration(usual.minutes),
        )
    return fmt(
        ngettext(
            "⏱ Usually takes about {duration} (measured on our last {n} completed order)",
            "⏱ Usually takes about {duration} (measured on our last {n} completed orders)",
            usual.orders,
        ),
        duration=duration(usual.minutes),
        n=usual.orders,
    )


def refill_status(refill: RefillView) -> str:
    names = {
        "pending": _("pending"),
        "in_progress": _("in progress"),
        "completed": _("completed"),
        "rejected": _("rejected"),
        "untracked": _("not trackable at the panel"),
    }
    return names.get(refill.status, _("being checked"))


def refreshed_too_soon(seconds: int) -> str:
    return fmt(
        ngettext(
            "Just updated. You can refresh again in {n} second.",
            "Just updated. You can refresh again in {n} seconds.",
            seconds,
        ),
        n=seconds,
    )


def refill_requested() -> str:
    return _("♻️ Refill requested. Its status shows on the order card.")


def cancel_requested() -> str:
    return _("Cancellation requested. The refund follows as soon as the provider confirms it.")
