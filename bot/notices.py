"""Texts the bot sends on its own: order and refill news for customers, alerts for operators.

Pure functions of data, translated with gettext (parse mode HTML, so every value that
comes from a person or a panel is escaped). Render a customer's text inside
`in_language(deps.i18n, user.language)`; operator texts in `in_language(deps.i18n, None)`
(DEFAULT_LOCALE).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from html import escape

from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.provider.errors import AccountIssue
from bot.shop.money import Micro, format_amount
from bot.shop.orders.models import OrderDTO
from bot.shop.settlement import posts_served


@contextmanager
def in_language(i18n: I18n, language: str | None) -> Iterator[None]:
    """gettext in `language` (a shipped one, else the default locale) inside the block."""
    pick = getattr(i18n, "pick", None)
    locale = pick(language) if callable(pick) else (language or i18n.default_locale)
    token = I18n.set_current(i18n)
    try:
        with i18n.use_locale(locale):
            yield
    finally:
        I18n.reset_current(token)


def _money(amount: Micro, currency: str) -> str:
    return f"{format_amount(amount, currency)} {escape(currency)}"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _service(order: OrderDTO) -> str:
    return escape(order.service_name)


def _delivered(order: OrderDTO) -> int:
    remains = order.remains if order.remains is not None else order.quantity
    return min(max(order.quantity - remains, 0), order.quantity)


# --- customers: orders --------------------------------------------------------------


def order_started(order: OrderDTO) -> str:
    text = _("▶️ Order <b>#{id}</b> has started: {service}.").format(
        id=order.id, service=_service(order)
    )
    if order.start_count:  # 0 is many panels' "not known yet"
        text += "\n" + _("Start count: {count}.").format(count=order.start_count)
    return text


def order_progress(order: OrderDTO) -> str:
    return _("🔄 Order <b>#{id}</b> is on its way: {delivered} of {quantity} delivered.").format(
        id=order.id, delivered=_delivered(order), quantity=order.quantity
    )


def order_completed(order: OrderDTO) -> str:
    return _("✅ Order <b>#{id}</b> is completed: {service}.\nThank you for your order!").format(
        id=order.id, service=_service(order)
    )


def order_partial(order: OrderDTO, refund: Micro) -> str:
    text = _("🟡 Order <b>#{id}</b> is partially completed: {delivered} of {quantity}.").format(
        id=order.id, delivered=_delivered(order), quantity=order.quantity
    )
    if refund > 0:
        text += "\n" + _("{amount} for the rest is back on your balance.").format(
            amount=_money(refund, order.currency)
        )
    return text


def order_canceled(order: OrderDTO, refund: Micro) -> str:
    text = _("↩️ Order <b>#{id}</b> was canceled by the provider: {service}.").format(
        id=order.id, service=_service(order)
    )
    delivered = _delivered(order) if order.remains is not None else 0
    if delivered > 0 and refund < order.charge:
        text += "\n" + _("{delivered} of {quantity} had been delivered before.").format(
            delivered=delivered, quantity=order.quantity
        )
        if refund > 0:
            text += "\n" + _("{amount} for the rest is back on your balance.").format(
                amount=_money(refund, order.currency)
            )
    elif refund > 0:
        text += "\n" + _("{amount} is back on your balance.").format(
            amount=_money(refund, order.currency)
        )
    return text


def order_subscription_ended(order: OrderDTO, refund: Micro) -> str:
    """A subscription is over (completed, expired or canceled at the panel)."""
    text = _("📮 Subscription <b>#{id}</b> has ended: {service}.").format(
        id=order.id, service=_service(order)
    )
    posts = posts_served(order)
    if posts is not None:
        served, paid = posts
        text += "\n" + ngettext(
            "{served} of {paid} paid post was served.",
            "{served} of {paid} paid posts were served.",
            paid,
        ).format(served=served, paid=paid)
    if refund > 0:
        text += "\n" + _("{amount} for the unused posts is back on your balance.").format(
            amount=_money(refund, order.currency)
        )
    return text


def order_being_checked(order: OrderDTO) -> str:
    return _(
        "⏳ Order <b>#{id}</b> was interrupted while it was being placed. We are checking "
        "what happened with it — you will hear from us here. Please do not order it again "
        "meanwhile."
    ).format(id=order.id)


# --- customers: refills -------------------------------------------------------------


def refill_completed(order_id: int) -> str:
    return _("♻️ The refill of order <b>#{id}</b> is completed.").format(id=order_id)


def refill_rejected(order_id: int) -> str:
    return _(
        "♻️ The provider rejected the refill of order <b>#{id}</b>. "
        "You can ask again later from the order card."
    ).format(id=order_id)


# --- operators ----------------------------------------------------------------------


def alert_order_flagged(
    order_id: int, provider_order_id: str | None, errors: int, error: str | None
) -> str:
    return _(
        "🚩 Order #{id} (panel order {provider_id}): {errors} status checks in a row "
        "failed, the last with: {error}\nNothing was refunded. Please check it at the "
        "panel and resolve it."
    ).format(
        id=order_id,
        provider_id=escape(provider_order_id or "—"),
        errors=errors,
        error=escape((error or "—")[:300]),
    )


def alert_orders_unknown(order_ids: Sequence[int]) -> str:
    ids = ", ".join(f"#{i}" for i in order_ids)
    return ngettext(
        "❓ {n} order was left being placed by an interruption and is now unknown: {ids}. "
        "It was not sent again. Check the panel: link the panel's order id, or refund it.",
        "❓ {n} orders were left being placed by an interruption and are now unknown: {ids}. "
        "They were not sent again. Check the panel: link the panel's order ids, or refund "
        "them.",
        len(order_ids),
    ).format(n=len(order_ids), ids=ids)


def alert_panel_down(reason: str, since: datetime) -> str:
    return _(
        "🔴 The panel has not been answering since {since}: {reason}\n"
        "Status checks are retried with a growing pause."
    ).format(since=_when(since), reason=escape(reason[:300]))


def alert_panel_back(since: datetime, now: datetime) -> str:
    minutes = max(1, int((now - since).total_seconds() // 60))
    return ngettext(
        "🟢 The panel answers again, after about {n} minute.",
        "🟢 The panel answers again, after about {n} minutes.",
        minutes,
    ).format(n=minutes)


def _panel_money(amount: Decimal, currency: str) -> str:
    """A panel amount: two decimals, more only when the panel gave more ("0.27819")."""
    stripped = amount.normalize()
    exponent = stripped.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) else 0
    text = f"{stripped:f}" if digits > 2 else f"{amount.quantize(Decimal('0.01')):f}"
    return f"{text} {escape(currency)}"


def alert_balance_low(balance: Decimal, currency: str, threshold: Decimal) -> str:
    return _(
        "💸 The panel balance is low: {balance} (alert below {threshold}). Top it up "
        "before orders start failing."
    ).format(balance=_panel_money(balance, currency), threshold=_panel_money(threshold, currency))


def alert_balance_ok(balance: Decimal, currency: str) -> str:
    return _("💰 The panel balance is back up: {balance}.").format(
        balance=_panel_money(balance, currency)
    )


def alert_panel_paused(reason: str, cause: AccountIssue = AccountIssue.NO_FUNDS) -> str:
    """Ordering paused for everyone: the one alert, naming what the panel refused."""
    words = escape(reason[:300])
    if cause is AccountIssue.INVALID_KEY:
        return _(
            "⛔ The panel refuses the shop's API key: {reason}\n"
            "New orders are paused (customers see “temporarily unavailable”; nobody is "
            "charged). Check PROVIDER_KEY at the panel; orders resume by themselves once "
            "the panel answers a balance check again."
        ).format(reason=words)
    if cause is AccountIssue.IP_NOT_ALLOWED:
        return _(
            "⛔ The panel does not accept calls from this server's IP address: {reason}\n"
            "New orders are paused (customers see “temporarily unavailable”; nobody is "
            "charged). Allow the address at the panel; orders resume by themselves once "
            "the panel answers a balance check again."
        ).format(reason=words)
    if cause is AccountIssue.API_DISABLED:
        return _(
            "⛔ The panel has switched off API access for the shop's account: {reason}\n"
            "New orders are paused (customers see “temporarily unavailable”; nobody is "
            "charged). Orders resume by themselves once the panel answers a balance check "
            "again."
        ).format(reason=words)
    return _(
        "⛔ The panel refused an order for lack of funds: {reason}\n"
        "New orders are paused (customers see “temporarily unavailable”; nobody is "
        "charged). They resume by themselves once the panel balance is enough."
    ).format(reason=words)


def alert_panel_resumed(
    balance: Decimal, currency: str, cause: AccountIssue = AccountIssue.NO_FUNDS
) -> str:
    if cause is not AccountIssue.NO_FUNDS:
        return _(
            "✅ The panel answers the shop's calls normally again (balance {balance}): "
            "orders are taken again."
        ).format(balance=_panel_money(balance, currency))
    return _("✅ The panel balance is {balance} now: orders are taken again.").format(
        balance=_panel_money(balance, currency)
    )


def alert_panel_refusing(reason: str, since: datetime) -> str:
    """The panel answers, but refuses the status checks themselves (not the account)."""
    return _(
        "🟠 The panel answers but refuses status checks since {since}: {reason}\n"
        "Status checks are retried with a growing pause."
    ).format(since=_when(since), reason=escape(reason[:300]))


def alert_catalogue_refused(reason: str) -> str:
    return _(
        "📦 The panel's service list was not used: {reason}\n"
        "The catalogue customers see is kept as it was; the next sync tries again."
    ).format(reason=escape(reason[:300]))


def alert_refills_untracked(count: int, reason: str) -> str:
    return ngettext(
        "♻️ The panel has no refill status action ({reason}): {n} refill is marked "
        "“not trackable at the panel” and is not asked about any more. Check refills at "
        "the panel itself.",
        "♻️ The panel has no refill status action ({reason}): {n} refills are marked "
        "“not trackable at the panel” and are not asked about any more. Check refills at "
        "the panel itself.",
        count,
    ).format(n=count, reason=escape(reason[:200]))


__all__ = [
    "alert_balance_low",
    "alert_balance_ok",
    "alert_catalogue_refused",
    "alert_order_flagged",
    "alert_orders_unknown",
    "alert_panel_back",
    "alert_panel_down",
    "alert_panel_paused",
    "alert_panel_refusing",
    "alert_panel_resumed",
    "alert_refills_untracked",
    "in_language",
    "order_being_checked",
    "order_canceled",
    "order_completed",
    "order_partial",
    "order_progress",
    "order_started",
    "order_subscription_ended",
    "refill_completed",
    "refill_rejected",
]
