"""Alerts the bot sends the shop's staff: to the operators' chat (placing orders, the
panel's health, unexpected errors). A broadcast's progress and report: bot/texts/broadcasts.py.

Pure functions of data, translated with gettext, HTML. Render them in the shop's
default language: `in_language(deps.i18n, None)` (bot/i18n.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.provider.errors import AccountIssue
from bot.shop.admin_alerts import ErrorAlert
from bot.shop.money import Micro
from bot.shop.orders.models import OrderDTO
from bot.texts.format import Markup, code, fmt, join, money, when
from bot.texts.mentions import Person, customer, order_ref, service_ref


def panel_tag(text: str, panel: str | None) -> str:
    """An alert about one panel of several starts with the panel's name."""
    if panel is None:
        return text
    return fmt("🏷 <code>{name}</code> · ", name=panel) + text


def alert_error(alert: ErrorAlert) -> str:
    lines = []
    if alert.error is not None:
        lines.append(
            fmt(
                _("🐞 Unexpected error (update {update}): {error}"),
                update=alert.update_id if alert.update_id is not None else "—",
                error=code(alert.error),
            )
        )
    if alert.held_back:
        kinds = join(", ", (fmt("{name} ×{count}", name=n, count=c) for n, c in alert.kinds))
        lines.append(
            fmt(
                ngettext(
                    "🐞 {n} more unexpected error since {since}: {kinds}. See the logs.",
                    "🐞 {n} more unexpected errors since {since}: {kinds}. See the logs.",
                    alert.held_back,
                ),
                n=alert.held_back,
                since=when(alert.since),
                kinds=kinds,
            )
        )
    return "\n".join(lines)


def _head(order: OrderDTO) -> str:
    return fmt(_("order {order}"), order=order_ref(order.id))


def _details(order: OrderDTO, person: Person | None) -> str:
    """The line under every alert about one order: who ordered what, for how much."""
    return "\n" + fmt(
        _("👤 {user}\n📦 {service} · {charge}"),
        user=customer(person),
        service=service_ref(order.service_name, order.service_id, order.provider_service_id),
        charge=money(order.charge, order.currency),
    )


def alert_order_placed(order: OrderDTO, person: Person | None) -> str:
    text = fmt(
        _("🆕 Placed {order}; panel order {provider_id}."),
        order=_head(order),
        provider_id=order.provider_order_id or "—",
    )
    return text + _details(order, person)


def alert_order_refused(order: OrderDTO, person: Person | None, panel_text: str | None) -> str:
    text = fmt(
        _("⛔ The panel refused {order}: {text}\nThe customer was refunded in full."),
        order=_head(order),
        text=(panel_text or "—")[:300],
    )
    return text + _details(order, person)


def alert_order_failed_over(
    order: OrderDTO, person: Person | None, attempts: Sequence[str], panel: str
) -> str:
    text = fmt(
        _(
            "🔀 {order} went to the backup panel {panel}; the customer was charged once.\n"
            "Attempts:\n{attempts}"
        ),
        order=_head(order),
        panel=code(panel),
        attempts=join("\n", (f"• {line[:200]}" for line in attempts[:10])),
    )
    return text + _details(order, person)


def alert_backup_too_dear(order: OrderDTO, person: Person | None, panel: str, cost: Micro) -> str:
    text = fmt(
        _(
            "💸 The backup at panel {panel} was skipped for {order}: it would cost {cost}, "
            "more than the customer paid ({charge})."
        ),
        panel=code(panel),
        order=_head(order),
        cost=money(cost, order.currency),
        charge=money(order.charge, order.currency),
    )
    return text + _details(order, person)


def alert_order_unknown(order: OrderDTO, person: Person | None, reason: str | None) -> str:
    text = fmt(
        _(
            "❓ No answer from the panel for {order}: {reason}\nIt may or may not exist at the "
            "panel. Nothing was refunded and it will not be sent again. Check the panel, then "
            "/order {id} to link it or refund it."
        ),
        order=_head(order),
        reason=(reason or "—")[:300],
        id=order.id,
    )
    return text + _details(order, person)


def alert_order_id_taken(
    order: OrderDTO, person: Person | None, provider_order_id: str, other_id: int
) -> str:
    text = fmt(
        _(
            "❓ The panel accepted {order} as its order {provider_id}, but our order #{other} "
            "holds that panel order id already (did the panel reset its numbering?). "
            "Order #{id} is unknown now: nothing was refunded and it will not be sent again. "
            "Check both at the panel, then /order {id} and /order {other}."
        ),
        order=_head(order),
        provider_id=provider_order_id[:64],
        other=other_id,
        id=order.id,
    )
    return text + _details(order, person)


def alert_panel_unreachable(order: OrderDTO, person: Person | None, reason: str | None) -> str:
    text = fmt(
        _("🔌 Could not reach the panel to place {order}: {reason}\nThe customer was refunded."),
        order=_head(order),
        reason=(reason or "—")[:300],
    )
    return text + _details(order, person)


def alert_order_flagged(
    order_id: int,
    provider_order_id: str | None,
    errors: int,
    error: str | None,
    person: Person | None = None,
    service: Markup | None = None,
) -> str:
    return fmt(
        _(
            "🚩 Order {order} (panel order {provider_id}; customer {user}, service {service}): "
            "{errors} status checks in a row failed, the last with: {error}\nNothing was "
            "refunded. Please check it at the panel and resolve it."
        ),
        order=order_ref(order_id),
        user=customer(person),
        service=service if service is not None else "—",
        provider_id=provider_order_id or "—",
        errors=errors,
        error=(error or "—")[:300],
    )


def alert_orders_unknown(order_ids: Sequence[int]) -> str:
    ids = join(", ", (order_ref(i) for i in order_ids))
    return fmt(
        ngettext(
            "❓ {n} order was left being placed by an interruption and is now unknown: {ids}. "
            "It was not sent again. Check the panel: link the panel's order id, or refund it.",
            "❓ {n} orders were left being placed by an interruption and are now unknown: {ids}. "
            "They were not sent again. Check the panel: link the panel's order ids, or refund "
            "them.",
            len(order_ids),
        ),
        n=len(order_ids),
        ids=ids,
    )


def alert_panel_down(reason: str, since: datetime) -> str:
    return fmt(
        _(
            "🔴 The panel has not been answering since {since}: {reason}\n"
            "Status checks are retried with a growing pause. New orders are refused "
            "(nothing is charged) until it answers again."
        ),
        since=when(since),
        reason=reason[:300],
    )


def alert_panel_back(since: datetime, now: datetime) -> str:
    minutes = max(1, int((now - since).total_seconds() // 60))
    return fmt(
        ngettext(
            "🟢 The panel answers again, after about {n} minute.",
            "🟢 The panel answers again, after about {n} minutes.",
            minutes,
        ),
        n=minutes,
    )


def _panel_money(amount: Decimal, currency: str) -> str:
    """A panel amount: two decimals, more only when the panel gave more ("0.27819")."""
    stripped = amount.normalize()
    exponent = stripped.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) else 0
    text = f"{stripped:f}" if digits > 2 else f"{amount.quantize(Decimal('0.01')):f}"
    return f"{text} {currency}"


def alert_balance_low(balance: Decimal, currency: str, threshold: Decimal) -> str:
    return fmt(
        _(
            "💸 The panel balance is low: {balance} (alert below {threshold}). Top it up "
            "before orders start failing."
        ),
        balance=_panel_money(balance, currency),
        threshold=_panel_money(threshold, currency),
    )


def alert_balance_ok(balance: Decimal, currency: str) -> str:
    return fmt(
        _("💰 The panel balance is back up: {balance}."), balance=_panel_money(balance, currency)
    )


def _paused_template(cause: AccountIssue) -> str:
    templates = {
        AccountIssue.INVALID_KEY: _(
            "⛔ The panel refuses the shop's API key: {reason}\n"
            "New orders are paused (customers see “temporarily unavailable”; nobody is "
            "charged). Check PROVIDER_KEY at the panel; orders resume by themselves once "
            "the panel answers a balance check again."
        ),
        AccountIssue.IP_NOT_ALLOWED: _(
            "⛔ The panel does not accept calls from this server's IP address: {reason}\n"
            "New orders are paused (customers see “temporarily unavailable”; nobody is "
            "charged). Allow the address at the panel; orders resume by themselves once "
            "the panel answers a balance check again."
        ),
        AccountIssue.API_DISABLED: _(
            "⛔ The panel has switched off API access for the shop's account: {reason}\n"
            "New orders are paused (customers see “temporarily unavailable”; nobody is "
            "charged). Orders resume by themselves once the panel answers a balance check "
            "again."
        ),
        AccountIssue.NO_FUNDS: _(
            "⛔ The panel refused an order for lack of funds: {reason}\n"
            "New orders are paused (customers see “temporarily unavailable”; nobody is "
            "charged). They resume by themselves once the panel balance is enough."
        ),
    }
    return templates[cause]


def alert_panel_paused(reason: str, cause: AccountIssue = AccountIssue.NO_FUNDS) -> str:
    """Ordering paused for everyone: the one alert, naming what the panel refused (the
    operators' table of account refusals, by their cause)."""
    return fmt(_paused_template(cause), reason=reason[:300])


def placing(order: OrderDTO, person: Person | None) -> str:
    """Under a pause alert: the order whose placing met the refusal."""
    text = fmt(_("Met while placing {order}."), order=_head(order))
    return text + _details(order, person)


def alert_panel_resumed(
    balance: Decimal, currency: str, cause: AccountIssue = AccountIssue.NO_FUNDS
) -> str:
    if cause is not AccountIssue.NO_FUNDS:
        return fmt(
            _(
                "✅ The panel answers the shop's calls normally again (balance {balance}): "
                "orders are taken again."
            ),
            balance=_panel_money(balance, currency),
        )
    return fmt(
        _("✅ The panel balance is {balance} now: orders are taken again."),
        balance=_panel_money(balance, currency),
    )


def alert_panel_refusing(reason: str, since: datetime) -> str:
    """The panel answers, but refuses the status checks themselves (not the account)."""
    return fmt(
        _(
            "🟠 The panel answers but refuses status checks since {since}: {reason}\n"
            "Status checks are retried with a growing pause."
        ),
        since=when(since),
        reason=reason[:300],
    )


def alert_catalogue_refused(reason: str) -> str:
    return fmt(
        _(
            "📦 The panel's service list was not used: {reason}\n"
            "The catalogue customers see is kept as it was; the next sync tries again."
        ),
        reason=reason[:300],
    )


def alert_refills_untracked(count: int, reason: str) -> str:
    return fmt(
        ngettext(
            "♻️ The panel has no refill status action ({reason}): {n} refill is marked "
            "“not trackable at the panel” and is not asked about any more. Check refills at "
            "the panel itself.",
            "♻️ The panel has no refill status action ({reason}): {n} refills are marked "
            "“not trackable at the panel” and are not asked about any more. Check refills at "
            "the panel itself.",
            count,
        ),
        n=count,
        reason=reason[:200],
    )


def alert_panel_skipped(name: str, reason: str) -> str:
    return fmt(
        _(
            "⚠️ Panel {name} is left out: its URL does not answer as an SMM panel API "
            "({reason}). The other panels work as usual; fix its PROVIDER_*_URL and restart."
        ),
        name=code(name),
        reason=reason[:300],
    )
