"""Notices the bot sends customers on its own: news of their orders and refills.

Pure functions of data, translated with gettext, HTML. Render them inside
`in_language(deps.i18n, user.language)` (bot/i18n.py).

An order's notice is its words (a gettext template, chosen by the notice's shape: which
of its optional lines it has, the plural form of a count) with the order's values put in.
The status poller writes thousands a cycle through `NoticeWriter`, which looks each
language's words up and joins them once per shape and then only escapes and puts in the
values; the functions below write one notice the same way without keeping anything. Both
take the words from the same functions, so the texts cannot differ (a test holds them
equal for every state in every language).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.shop.money import Micro
from bot.shop.orders.models import OrderDTO
from bot.shop.settlement import posts_served
from bot.texts.format import Markup, fmt, locale, money, number

Shape = tuple[Any, ...]
Words = Callable[..., str]
Values = dict[str, object]


def _delivered(quantity: int, remains: int | None) -> int:
    left = remains if remains is not None else quantity
    return min(max(quantity - left, 0), quantity)


# --- the words of each notice, by its shape (called in the reader's language) ----------


def _started_words(with_count: bool) -> str:
    text = _("▶️ Order <b>#{id}</b> has started: {service}.")
    if with_count:
        text += "\n" + _("Start count: {count}.")
    return text


def _progress_words() -> str:
    return _("🔄 Order <b>#{id}</b> is on its way: {delivered} of {quantity} delivered.")


def _completed_words() -> str:
    return _("✅ Order <b>#{id}</b> is completed: {service}.\nThank you for your order!")


def _partial_words(refunded: bool) -> str:
    text = _("🟡 Order <b>#{id}</b> is partially completed: {delivered} of {quantity}.")
    if refunded:
        text += "\n" + _("{amount} for the rest is back on your balance.")
    return text


def _canceled_words(delivered_before: bool, refunded: bool) -> str:
    text = _("↩️ Order <b>#{id}</b> was canceled by the provider: {service}.")
    if delivered_before:
        text += "\n" + _("{delivered} of {quantity} had been delivered before.")
        if refunded:
            text += "\n" + _("{amount} for the rest is back on your balance.")
    elif refunded:
        text += "\n" + _("{amount} is back on your balance.")
    return text


def _subscription_words(paid: int | None, refunded: bool) -> str:
    """`paid`: the posts paid for, when it is known how many were served."""
    text = _("📮 Subscription <b>#{id}</b> has ended: {service}.")
    if paid is not None:
        text += "\n" + ngettext(
            "{served} of {paid} paid post was served.",
            "{served} of {paid} paid posts were served.",
            paid,
        )
    if refunded:
        text += "\n" + _("{amount} for the unused posts is back on your balance.")
    return text


# --- shape and values of each notice ----------------------------------------------------


def _started(order_id: int, service: str, start_count: int | None) -> tuple[Words, Shape, Values]:
    values: Values = {"id": order_id, "service": service}
    if start_count:  # 0 is many panels' "not known yet"
        values["count"] = number(start_count)
    return _started_words, (bool(start_count),), values


def _progress(order_id: int, quantity: int, remains: int | None) -> tuple[Words, Shape, Values]:
    values: Values = {
        "id": order_id,
        "delivered": number(_delivered(quantity, remains)),
        "quantity": number(quantity),
    }
    return _progress_words, (), values


def _completed(order: OrderDTO) -> tuple[Words, Shape, Values]:
    return _completed_words, (), {"id": order.id, "service": order.service_name}


def _partial(order: OrderDTO, refund: Micro) -> tuple[Words, Shape, Values]:
    values: Values = {
        "id": order.id,
        "delivered": number(_delivered(order.quantity, order.remains)),
        "quantity": number(order.quantity),
    }
    if refund > 0:
        values["amount"] = money(refund, order.currency)
    return _partial_words, (refund > 0,), values


def _canceled(order: OrderDTO, refund: Micro) -> tuple[Words, Shape, Values]:
    values: Values = {"id": order.id, "service": order.service_name}
    delivered = _delivered(order.quantity, order.remains) if order.remains is not None else 0
    before = delivered > 0 and refund < order.charge
    if before:
        values["delivered"] = number(delivered)
        values["quantity"] = number(order.quantity)
    if refund > 0:
        values["amount"] = money(refund, order.currency)
    return _canceled_words, (before, refund > 0), values


def _subscription_ended(order: OrderDTO, refund: Micro) -> tuple[Words, Shape, Values]:
    values: Values = {"id": order.id, "service": order.service_name}
    posts = posts_served(order)
    if posts is not None:
        values["served"], values["paid"] = posts
    if refund > 0:
        values["amount"] = money(refund, order.currency)
    return _subscription_words, (None if posts is None else posts[1], refund > 0), values


def _write(notice: tuple[Words, Shape, Values]) -> Markup:
    words, shape, values = notice
    return fmt(words(*shape), **values)


# --- one notice -------------------------------------------------------------------------


def order_started(order: OrderDTO) -> str:
    return _write(_started(order.id, order.service_name, order.start_count))


def order_progress(order: OrderDTO) -> str:
    return _write(_progress(order.id, order.quantity, order.remains))


def order_completed(order: OrderDTO) -> str:
    return _write(_completed(order))


def order_partial(order: OrderDTO, refund: Micro) -> str:
    return _write(_partial(order, refund))


def order_canceled(order: OrderDTO, refund: Micro) -> str:
    return _write(_canceled(order, refund))


def order_subscription_ended(order: OrderDTO, refund: Micro) -> str:
    """A subscription is over (completed, expired or canceled at the panel)."""
    return _write(_subscription_ended(order, refund))


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


# --- many notices -----------------------------------------------------------------------


class NoticeWriter:
    """The notices above for many orders (the status poller's): each language's words are
    looked up once per shape and kept (at most `keep` of them), then each notice only has
    its values escaped and put in. Call in the reader's language, like the functions."""

    def __init__(self, keep: int = 512) -> None:
        self._keep = keep
        self._words: dict[tuple[str, Words, Shape], str] = {}

    def _write(self, notice: tuple[Words, Shape, Values]) -> Markup:
        words, shape, values = notice
        key = (locale(), words, shape)
        template = self._words.get(key)
        if template is None:
            if len(self._words) >= self._keep:  # subscriptions' counts vary: stay bounded
                self._words.clear()
            template = self._words[key] = words(*shape)
        return fmt(template, **values)

    def started(self, order_id: int, service: str, start_count: int | None) -> str:
        return self._write(_started(order_id, service, start_count))

    def progress(self, order_id: int, quantity: int, remains: int | None) -> str:
        return self._write(_progress(order_id, quantity, remains))

    def completed(self, order: OrderDTO) -> str:
        return self._write(_completed(order))

    def partial(self, order: OrderDTO, refund: Micro) -> str:
        return self._write(_partial(order, refund))

    def canceled(self, order: OrderDTO, refund: Micro) -> str:
        return self._write(_canceled(order, refund))

    def subscription_ended(self, order: OrderDTO, refund: Micro) -> str:
        return self._write(_subscription_ended(order, refund))
