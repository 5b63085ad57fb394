"""Notices the bot sends customers on its own: news of their orders and refills.

Pure functions of data, translated with gettext, HTML. Render them inside
`in_language(deps.i18n, user.language)` (bot/i18n.py).
"""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.shop.money import Micro
from bot.shop.orders.models import OrderDTO
from bot.shop.settlement import posts_served
from bot.texts.format import fmt, money, number


def _delivered(order: OrderDTO) -> int:
    remains = order.remains if order.remains is not None else order.quantity
    return min(max(order.quantity - remains, 0), order.quantity)


def order_started(order: OrderDTO) -> str:
    text: str = fmt(
        _("▶️ Order <b>#{id}</b> has started: {service}."), id=order.id, service=order.service_name
    )
    if order.start_count:  # 0 is many panels' "not known yet"
        text += "\n" + fmt(_("Start count: {count}."), count=number(order.start_count))
    return text


def order_progress(order: OrderDTO) -> str:
    return fmt(
        _("🔄 Order <b>#{id}</b> is on its way: {delivered} of {quantity} delivered."),
        id=order.id,
        delivered=number(_delivered(order)),
        quantity=number(order.quantity),
    )


def order_completed(order: OrderDTO) -> str:
    return fmt(
        _("✅ Order <b>#{id}</b> is completed: {service}.\nThank you for your order!"),
        id=order.id,
        service=order.service_name,
    )


def order_partial(order: OrderDTO, refund: Micro) -> str:
    text: str = fmt(
        _("🟡 Order <b>#{id}</b> is partially completed: {delivered} of {quantity}."),
        id=order.id,
        delivered=number(_delivered(order)),
        quantity=number(order.quantity),
    )
    if refund > 0:
        text += "\n" + fmt(
            _("{amount} for the rest is back on your balance."),
            amount=money(refund, order.currency),
        )
    return text


def order_canceled(order: OrderDTO, refund: Micro) -> str:
    text: str = fmt(
        _("↩️ Order <b>#{id}</b> was canceled by the provider: {service}."),
        id=order.id,
        service=order.service_name,
    )
    delivered = _delivered(order) if order.remains is not None else 0
    if delivered > 0 and refund < order.charge:
        text += "\n" + fmt(
            _("{delivered} of {quantity} had been delivered before."),
            delivered=number(delivered),
            quantity=number(order.quantity),
        )
        if refund > 0:
            text += "\n" + fmt(
                _("{amount} for the rest is back on your balance."),
                amount=money(refund, order.currency),
            )
    elif refund > 0:
        text += "\n" + fmt(
            _("{amount} is back on your balance."), amount=money(refund, order.currency)
        )
    return text


def order_subscription_ended(order: OrderDTO, refund: Micro) -> str:
    """A subscription is over (completed, expired or canceled at the panel)."""
    text: str = fmt(
        _("📮 Subscription <b>#{id}</b> has ended: {service}."),
        id=order.id,
        service=order.service_name,
    )
    posts = posts_served(order)
    if posts is not None:
        served, paid = posts
        text += "\n" + fmt(
            ngettext(
                "{served} of {paid} paid post was served.",
                "{served} of {paid} paid posts were served.",
                paid,
            ),
            served=served,
            paid=paid,
        )
    if refund > 0:
        text += "\n" + fmt(
            _("{amount} for the unused posts is back on your balance."),
            amount=money(refund, order.currency),
        )
    return text


def order_being_checked(order: OrderDTO) -> str:
    return fmt(
        _(
            "⏳ Order <b>#{id}</b> was interrupted while it was being placed. We are checking "
            "what happened with it — you will hear from us here. Please do not order it again "
            "meanwhile."
        ),
        id=order.id,
    )


def refill_completed(order_id: int) -> str:
    return fmt(_("♻️ The refill of order <b>#{id}</b> is completed."), id=order_id)


def refill_rejected(order_id: int) -> str:
    return fmt(
        _(
            "♻️ The provider rejected the refill of order <b>#{id}</b>. "
            "You can ask again later from the order card."
        ),
        id=order_id,
    )
