"""Texts of the admin commands, the operators' alerts and the notices admins' actions send
to customers: pure functions of data, gettext with English msgids, HTML with every
user-supplied value escaped."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html import escape

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.provider.errors import AccountIssue
from bot.shop.admin.parsing import MAX_ADJUSTMENT_UNITS, MAX_MARKUP
from bot.shop.admin.values import (
    Adjustment,
    AdminOrder,
    BanChange,
    MarkupChange,
    OrderRefund,
    ProviderOverview,
    ServiceToggle,
    UserProfile,
)
from bot.shop.admin_alerts import ErrorAlert
from bot.shop.catalog import SyncReport
from bot.shop.enums import MarkupScope, OrderState
from bot.shop.errors import (
    AlreadyRefunded,
    InsufficientFunds,
    InvalidAmount,
    InvalidMarkup,
    InvalidOrderField,
    NotFound,
    RefundNotAllowed,
    RefundTooLarge,
    ShopError,
    TransitionNotAllowed,
)
from bot.shop.money import Micro, format_amount, from_micro, minor_digits
from bot.shop.orders.models import OrderDTO
from bot.shop.stats import Period, Stats
from bot.shop.tracking import PanelDeclined, PanelUnavailable
from bot.shop.users import UserDTO
from handlers.texts import STATE_ICONS, ledger_kind, money, when

# The fixed syntax of each admin command (the runtime contract in the README).
SYNTAX: dict[str, str] = {
    "admin": "/admin",
    "stats": "/stats [today|7d|30d|all]",
    "user": "/user <telegram id | @username>",
    "credit": "/credit <id> <amount> [reason]",
    "debit": "/debit <id> <amount> [reason]",
    "ban": "/ban <id>",
    "unban": "/unban <id>",
    "markup": "/markup <percent> [category <name> | service <id>]",
    "hide": "/hide <service id>",
    "show": "/show <service id>",
    "sync": "/sync",
    "provider": "/provider",
    "order": "/order <id>",
    "refund": "/refund <id>",
    "broadcast": "/broadcast",
    "maintenance": "/maintenance on|off",
}


def command_descriptions() -> dict[str, str]:
    return {
        "admin": _("This list"),
        "stats": _("Customers, orders, revenue and profit for a period"),
        "user": _("A customer's profile, balance, orders and actions"),
        "credit": _("Add money to a customer's balance"),
        "debit": _("Take money from a customer's balance"),
        "ban": _("Close the shop to a customer"),
        "unban": _("Open the shop to a customer again"),
        "markup": _("Set the markup: global, per category or per service"),
        "hide": _("Hide a service from the catalogue"),
        "show": _("Show a hidden service again"),
        "sync": _("Load the panel's catalogue now"),
        "provider": _("Panel balance, polling and active orders"),
        "order": _("Everything about an order, with refund and resolve buttons"),
        "refund": _("Refund what is left of an order"),
        "broadcast": _("Send a message to every customer"),
        "maintenance": _("Close or reopen the storefront for customers"),
    }


def syntax(command: str) -> str:
    return f"<code>{escape(SYNTAX[command])}</code>"


def usage(command: str) -> str:
    return _("Usage: {syntax}").format(syntax=syntax(command))


def admin_help(order_placed_alerts: bool) -> str:
    lines = [_("🛠 <b>Admin commands</b>"), ""]
    for command, description in command_descriptions().items():
        lines.append(f"{syntax(command)}\n    {escape(description)}")
    lines += [
        "",
        _("<i>id</i> is a customer's Telegram id or @username; amounts are in the shop currency."),
        order_placed_alerts_state(order_placed_alerts),
    ]
    return "\n".join(lines)


def order_placed_alerts_state(on: bool) -> str:
    if on:
        return _("🔔 Alerts for every placed order: on.")
    return _("🔕 Alerts for every placed order: off.")


def order_placed_alerts_button(on: bool) -> str:
    return _("🔕 Turn order alerts off") if on else _("🔔 Turn order alerts on")


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def who(user: UserDTO | None) -> str:
    """A customer in one line: name, @username, Telegram id."""
    if user is None:
        return "—"
    parts = [escape(user.first_name or "")] if user.first_name else []
    if user.username:
        parts.append("@" + escape(user.username))
    parts.append(f"<code>{user.telegram_id}</code>")
    return " ".join(parts)


def _percent(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return f"{text}%"


# --- errors -------------------------------------------------------------------


def error(err: ShopError, currency: str) -> str:
    """The admin's words for a refusal; nothing was changed."""
    match err:
        case NotFound(entity="user", key=key):
            return _("No customer {who} is known to the shop.").format(who=escape(str(key)))
        case NotFound(entity="order", key=key):
            return _("There is no order #{id}.").format(id=escape(str(key)))
        case NotFound(entity="service", key=key):
            return _("There is no service #{id}.").format(id=escape(str(key)))
        case NotFound(entity="category", key=key):
            return _("There is no category «{name}» in the catalogue.").format(
                name=escape(str(key))
            )
        case InvalidAmount():
            return bad_amount(currency)
        case InvalidMarkup():
            return bad_percent()
        case InsufficientFunds(available=available):
            return _(
                "Not debited: the balance is only {available}; it cannot go below zero."
            ).format(available=money(available, currency))
        case AlreadyRefunded(order_id=order_id):
            return _("Order #{id} is refunded in full already; nothing was changed.").format(
                id=order_id
            )
        case RefundNotAllowed(order_id=order_id, state=state):
            return _(
                "Order #{id} is {state}: its fate is still open. Resolve it from /order {id} "
                "(link it to the panel's order, or refund it)."
            ).format(id=order_id, state=escape(str(state)))
        case RefundTooLarge(available=available):
            return _("Only {available} is left to refund.").format(
                available=money(available, currency)
            )
        case TransitionNotAllowed(order_id=order_id, current=current):
            return _("Order #{id} is {state} now; nothing was changed.").format(
                id=order_id, state=escape(str(current))
            )
        case InvalidOrderField(field="provider_order_id", reason="already_linked"):
            return _("That panel order is linked to another order already.")
        case InvalidOrderField(field="provider_order_id"):
            return _("That is not a panel order id. Send the id the panel shows, like 23517.")
        case PanelDeclined(text=text):
            return _("The panel said: {reason}").format(reason=escape(text[:300]))
        case PanelUnavailable():
            return _("The panel is not reachable right now; nothing was changed. Try again soon.")
    return _("That did not work: {error}").format(error=escape(type(err).__name__))


def bad_amount(currency: str) -> str:
    digits = minor_digits(currency)
    return _(
        "The amount must be a positive number with at most {digits} decimals, up to "
        "{ceiling} {currency}."
    ).format(digits=digits, ceiling=MAX_ADJUSTMENT_UNITS, currency=escape(currency))


def bad_percent() -> str:
    return _("The percent must be a number from 0 to {max} with at most 2 decimals.").format(
        max=MAX_MARKUP
    )


def bad_period() -> str:
    return _("The period is one of: today, 7d, 30d, all.")


# --- /stats ---------------------------------------------------------------------


def period_name(period: Period) -> str:
    return {
        Period.TODAY: _("today"),
        Period.WEEK: _("last 7 days"),
        Period.MONTH: _("last 30 days"),
        Period.ALL: _("all time"),
    }[period]


def period_label(period: Period) -> str:
    return {
        Period.TODAY: _("Today"),
        Period.WEEK: _("7 days"),
        Period.MONTH: _("30 days"),
        Period.ALL: _("All"),
    }[period]


def stats(s: Stats) -> str:
    c = s.currency
    since = when(s.since) if s.since else _("the start")
    lines = [
        _("📊 <b>Stats: {period}</b>").format(period=period_name(s.period)),
        _("<i>from {since} to {now}</i>").format(since=since, now=when(s.now)),
        "",
        _("<b>Customers</b>: {total} in all, {new} new, {active} ordered").format(
            total=s.customers, new=s.new_customers, active=s.active_customers
        ),
        _("unreachable (blocked the bot): {unreachable}, banned: {banned}").format(
            unreachable=s.unreachable, banned=s.banned
        ),
        "",
        _("<b>Orders placed</b>: {count}").format(count=s.order_count),
    ]
    states = [
        f"{STATE_ICONS[state]} {state.value}: {s.orders[state]}"
        for state in OrderState
        if s.orders.get(state)
    ]
    if states:
        lines.append(", ".join(states))
    lines += [
        "",
        _("<b>Money of these orders</b>"),
        _("charged: {amount}").format(amount=money(s.charged, c)),
        _("refunded: {amount}").format(amount=money(s.refunded, c)),
        _("revenue: <b>{amount}</b>").format(amount=money(s.revenue, c)),
        _("provider cost: {amount}").format(amount=money(s.provider_cost, c)),
        _("profit: <b>{amount}</b>").format(amount=_signed(s.profit, c)),
    ]
    if s.top:
        lines += ["", _("<b>Top services</b>")]
        for n, top in enumerate(s.top, 1):
            ref = f"#{top.service_id} " if top.service_id is not None else ""
            lines.append(
                ngettext(
                    "{n}. {ref}{name}: {orders} order, {revenue}",
                    "{n}. {ref}{name}: {orders} orders, {revenue}",
                    top.orders,
                ).format(
                    n=n,
                    ref=ref,
                    name=escape(top.name[:60]),
                    orders=top.orders,
                    revenue=money(top.revenue, c),
                )
            )
    lines += [
        "",
        _("<b>Wallets</b>"),
        _("held now: {amount} on {holders} wallets").format(
            amount=money(s.balances, c), holders=s.holders
        ),
        _("top-ups: {topups}, bonuses: {bonuses}").format(
            topups=money(s.topups, c), bonuses=money(s.bonuses, c)
        ),
        _("admin credits: {credits}, admin debits: {debits}").format(
            credits=money(s.adjusted_in, c), debits=money(s.adjusted_out, c)
        ),
    ]
    return "\n".join(lines)


def _signed(amount: Micro, currency: str) -> str:
    return ("−" if amount < 0 else "") + money(abs(amount), currency)


# --- /user ----------------------------------------------------------------------


def profile(p: UserProfile, currency: str) -> str:
    u = p.user
    lines = [
        _("👤 <b>Customer</b> {who}").format(who=who(u)),
        _("shop id {id} · language {language} · since {since}").format(
            id=u.id, language=escape(u.language or "—"), since=when(u.created_at)
        ),
        _("💰 Balance: <b>{balance}</b>").format(balance=money(u.balance, currency)),
    ]
    if u.banned:
        lines.append(_("⛔ Banned"))
    if u.unreachable_since:
        lines.append(
            _("📵 Unreachable since {at} (blocked the bot)").format(at=when(u.unreachable_since))
        )
    lines.append(
        _("Referred by: {referrer} · referred {count}").format(
            referrer=who(p.referrer) if p.referrer else "—", count=p.referrals
        )
    )
    lines += ["", _("<b>Orders</b>: {count}").format(count=p.order_count)]
    for order in p.orders:
        lines.append(
            f"{STATE_ICONS[order.state]} #{order.id} · {when(order.created_at)} · "
            f"{escape(order.service_name[:40])} · {money(order.charge, order.currency)}"
        )
    if p.ledger:
        lines += ["", _("<b>Latest ledger rows</b>")]
        for entry in p.ledger:
            sign = "+" if entry.amount > 0 else "−"
            note = f" · {escape(entry.note[:60])}" if entry.note else ""
            lines.append(
                f"{when(entry.created_at)} {sign}{money(abs(entry.amount), currency)} "
                f"{ledger_kind(entry.kind)}{note}"
            )
    return "\n".join(lines)


# --- /credit, /debit, /ban ---------------------------------------------------------


def adjustment(a: Adjustment, currency: str) -> str:
    if a.repeated:
        return _("This adjustment was made already (ledger row {id}); nothing new.").format(
            id=a.entry.id
        )
    values = {
        "amount": money(a.amount, currency),
        "who": who(a.user),
        "balance": money(a.user.balance, currency),
    }
    if a.credit:
        text = _("✅ Credited {amount} to {who}. Balance now {balance}.").format(**values)
    else:
        text = _("✅ Debited {amount} from {who}. Balance now {balance}.").format(**values)
    if a.entry.note:
        text += "\n" + _("Reason: {reason}").format(reason=escape(a.entry.note))
    return text


def credit_notice(amount: Micro, balance: Micro, reason: str | None, currency: str) -> str:
    """To the customer, in their language."""
    text = _("💰 {amount} was added to your balance. Balance now: <b>{balance}</b>.").format(
        amount=money(amount, currency), balance=money(balance, currency)
    )
    if reason:
        text += "\n" + _("Note: {reason}").format(reason=escape(reason))
    return text


def ban_change(change: BanChange) -> str:
    user = who(change.user)
    if change.user.banned:
        if not change.changed:
            return _("{who} is banned already.").format(who=user)
        return _("⛔ {who} is banned: the shop does not answer them any more.").format(who=user)
    if not change.changed:
        return _("{who} is not banned.").format(who=user)
    return _("✅ {who} is unbanned.").format(who=user)


def cannot_ban_admin() -> str:
    return _("Admins cannot be banned.")


# --- /markup, /hide, /show, /sync ---------------------------------------------------


def markup_change(m: MarkupChange, currency: str) -> str:
    if m.scope is MarkupScope.GLOBAL:
        head = _("✅ Global markup set to <b>{percent}</b> (was {before}).")
    elif m.scope is MarkupScope.CATEGORY:
        head = _("✅ Markup of category «{target}» set to <b>{percent}</b> (was {before}).")
    else:
        head = _("✅ Markup of service #{id} «{target}» set to <b>{percent}</b> (was {before}).")
    lines = [
        head.format(
            percent=_percent(m.percent),
            before=_percent(m.before),
            target=escape(m.target or ""),
            id=m.service_id,
        )
    ]
    if m.scope is MarkupScope.CATEGORY:
        lines.append(
            ngettext(
                "The category has {n} service.", "The category has {n} services.", m.services
            ).format(n=m.services)
        )
    if m.overrides:
        lines.append(
            ngettext(
                "{n} category or service markup still takes precedence over it.",
                "{n} category and service markups still take precedence over it.",
                m.overrides,
            ).format(n=m.overrides)
        )
    if m.sample is not None:
        sample = m.sample
        unit = _("per order") if sample.per_order else _("per 1000")
        lines.append(
            _("Example: #{id} {name}: {before} → <b>{after}</b> {unit}").format(
                id=sample.service_id,
                name=escape(sample.name[:60]),
                before=money(sample.before, currency),
                after=money(sample.after, currency),
                unit=unit,
            )
        )
    else:
        lines.append(_("No visible service follows this markup right now."))
    return "\n".join(lines)


def service_toggle(t: ServiceToggle) -> str:
    values = {"id": t.service_id, "name": escape(t.name), "category": escape(t.category)}
    if t.hidden:
        if not t.changed:
            return _("Service #{id} «{name}» is hidden already.").format(**values)
        return _("🙈 Service #{id} «{name}» ({category}) is hidden from customers.").format(
            **values
        )
    if not t.changed:
        return _("Service #{id} «{name}» is visible already.").format(**values)
    return _("👁 Service #{id} «{name}» ({category}) is visible again.").format(**values)


def sync_started() -> str:
    return _("⏳ Loading the panel's catalogue…")


def pause_cause(cause: AccountIssue) -> str:
    names = {
        AccountIssue.NO_FUNDS: _("the panel's balance is not enough"),
        AccountIssue.INVALID_KEY: _("the panel refuses the API key"),
        AccountIssue.IP_NOT_ALLOWED: _("the panel does not accept this server's IP address"),
        AccountIssue.API_DISABLED: _("the panel has switched off API access"),
    }
    return names[cause]


def sync_report(report: SyncReport) -> str:
    if report.refused is not None:
        return _(
            "⚠️ The panel's service list was not used: {reason}. The catalogue is kept as "
            "it was (operators were alerted)."
        ).format(reason=escape(report.refused[:200]))
    text = _(
        "✅ Catalogue synced: {total} services listed by the panel; {added} added, "
        "{changed} changed, {removed} hidden (no longer listed)."
    ).format(total=report.total, added=report.added, changed=report.changed, removed=report.removed)
    if report.unsupported:
        text += "\n" + ngettext(
            "{n} service is of a type the bot cannot order.",
            "{n} services are of a type the bot cannot order.",
            report.unsupported,
        ).format(n=report.unsupported)
    if report.skipped:
        text += "\n" + ngettext(
            "{n} entry of the panel's list was unreadable and skipped.",
            "{n} entries of the panel's list were unreadable and skipped.",
            report.skipped,
        ).format(n=report.skipped)
    return text


# --- /provider ----------------------------------------------------------------------


def provider(p: ProviderOverview, currency: str) -> str:
    lines = [_("🔌 <b>Panel</b> {url}").format(url=escape(p.url or "—"))]
    if p.balance is not None:
        lines.append(
            _("Balance: <b>{balance} {currency}</b>").format(
                balance=escape(f"{p.balance:f}"), currency=escape(p.currency or "")
            )
        )
    else:
        lines.append(
            _("⚠️ Balance unknown: the panel did not answer ({reason}).").format(
                reason=escape((p.error or "")[:200])
            )
        )
        if p.stored_balance is not None:
            lines.append(
                _("Last known: {balance} at {at}").format(
                    balance=money(p.stored_balance, p.currency or currency), at=when(p.stored_at)
                )
            )
    active = p.orders.get(OrderState.ACTIVE, 0)
    lines += [
        "",
        _("Active orders: {active} · unknown: {unknown} · being placed: {submitting}").format(
            active=active,
            unknown=p.orders.get(OrderState.UNKNOWN, 0),
            submitting=p.orders.get(OrderState.SUBMITTING, 0),
        ),
        _("Last successful poll: {ok} · last poll of any kind: {any}").format(
            ok=when(p.last_polled_ok), any=when(p.last_checked)
        ),
        _("Orders flagged after repeated polling failures: {n}").format(n=p.flagged),
    ]
    if p.down_since is not None:
        lines.append(
            _("⚠️ Unreachable since {at} (operators were alerted).").format(at=when(p.down_since))
        )
    if p.balance_low:
        lines.append(_("⚠️ The panel's balance is low (operators were alerted)."))
    if p.paused is not None:
        lines.append(
            _("⛔ Ordering paused since {at}: {cause} ({reason}).").format(
                at=when(p.paused.since),
                cause=pause_cause(p.paused.cause),
                reason=escape(p.paused.reason[:200]),
            )
        )
    return "\n".join(lines)


# --- /order, /refund ----------------------------------------------------------------


def order_card(view: AdminOrder, currency: str) -> str:
    o, x = view.order, view.extras
    c = o.currency
    lines = [
        _("{icon} <b>Order #{id}</b> — {state}").format(
            icon=STATE_ICONS[o.state], id=o.id, state=o.state.value
        ),
        _("Customer: {who}").format(who=who(view.customer)),
        _("Service: #{id} {name}").format(
            id=o.service_id if o.service_id is not None else "—", name=escape(o.service_name)
        ),
        _("Type: {type} · category: {category} · panel service {provider_service}").format(
            type=escape(o.service_type),
            category=escape(o.category),
            provider_service=escape(o.provider_service_id),
        ),
    ]
    if o.link:
        lines.append(_("Link: {link}").format(link=escape(o.link)))
    lines.append(_("Quantity: {quantity}").format(quantity=o.quantity))
    if o.runs:
        lines.append(
            _("Runs: {runs} every {interval} min").format(runs=o.runs, interval=o.interval)
        )
    for key, value in o.fields.items():
        if key in {"service", "link", "quantity", "runs", "interval"}:
            continue
        shown = str(value)
        shown = shown if len(shown) <= 200 else shown[:200] + "…"
        lines.append(f"{escape(key)}: <code>{escape(shown)}</code>")
    lines += [
        "",
        _("Customer charge: <b>{charge}</b> (markup {markup})").format(
            charge=money(o.charge, c), markup=_percent(x.markup)
        ),
        _("Expected provider cost: {cost} (rate {rate} per 1000)").format(
            cost=money(o.cost, c), rate=escape(f"{from_micro(x.rate).normalize():f}")
        ),
    ]
    if x.provider_charge is not None:
        lines.append(
            _("Provider charge (reported): <b>{charge} {currency}</b>").format(
                charge=escape(format_amount(x.provider_charge, x.provider_currency or c)),
                currency=escape(x.provider_currency or ""),
            )
        )
    else:
        lines.append(_("Provider charge: not reported yet"))
    if o.refunded:
        lines.append(_("Refunded: {amount}").format(amount=money(o.refunded, c)))
    lines += [
        "",
        _("Panel order: {id} · status: {status}").format(
            id=f"<code>{escape(o.provider_order_id)}</code>" if o.provider_order_id else "—",
            status=escape(o.provider_status or "—"),
        ),
    ]
    if o.start_count or o.remains is not None:  # a start count of 0 means "not known"
        lines.append(
            _("Start count: {start} · remains: {remains}").format(
                start=o.start_count or "—",
                remains=o.remains if o.remains is not None else "—",
            )
        )
    if o.error:
        lines.append(_("Error: {error}").format(error=escape(o.error[:300])))
    if x.poll_errors:
        lines.append(
            _("Polling errors in a row: {n} ({error})").format(
                n=x.poll_errors, error=escape((x.poll_error or "")[:200])
            )
        )
    if x.flagged_at:
        lines.append(_("🚩 Flagged for operators at {at}").format(at=when(x.flagged_at)))
    lines += [
        _("Created {created} · updated {updated}").format(
            created=when(o.created_at), updated=when(o.updated_at)
        ),
        _("Finished {finished} · last checked {checked}").format(
            finished=when(o.finished_at), checked=when(o.last_checked_at)
        ),
        "",
        _("<b>History</b>"),
    ]
    for event in view.events:
        origin = event.from_state.value if event.from_state else "·"
        line = f"{when(event.at)} {origin} → {event.to_state.value}"
        if event.refund:
            line += " " + _("refund {amount}").format(amount=money(event.refund, c))
        if event.actor_id:
            line += " " + _("by admin {id}").format(id=event.actor_id)
        if event.note:
            line += f" · {escape(event.note[:100])}"
        lines.append(line)
    if view.panel_note:
        lines += [
            "",
            _("⚠️ The panel did not answer the refresh: {reason}").format(
                reason=escape(view.panel_note[:200])
            ),
        ]
    if view.can_resolve:
        lines += [
            "",
            _(
                "❓ The panel's answer to this order was lost. Check the panel: if it has the "
                "order, link it; if not, refund it."
            ),
        ]
    return "\n".join(lines)


def refund_confirm(view: AdminOrder) -> str:
    return _("Refund {amount} of order #{id} to {who}?").format(
        amount=money(view.refundable, view.order.currency),
        id=view.order.id,
        who=who(view.customer),
    )


def fail_confirm(view: AdminOrder) -> str:
    return _(
        "Mark order #{id} as not placed and give the full {amount} back to {who}? Only do this "
        "if the panel does not have the order."
    ).format(
        id=view.order.id,
        amount=money(view.order.charge - view.order.refunded, view.order.currency),
        who=who(view.customer),
    )


def refund_done(r: OrderRefund) -> str:
    return _("✅ Refunded {amount} of order #{id} to {who}. Balance now {balance}.").format(
        amount=money(r.amount, r.order.currency),
        id=r.order.id,
        who=who(r.customer),
        balance=money(r.customer.balance, r.order.currency),
    )


def resolve_failed_done(r: OrderRefund) -> str:
    return _("✅ Order #{id} marked not placed; {amount} is back with {who}.").format(
        id=r.order.id, amount=money(r.amount, r.order.currency), who=who(r.customer)
    )


def link_prompt(order_id: int) -> str:
    return _(
        "Send the panel's order id for order #{id} (as the panel shows it), or /cancel."
    ).format(id=order_id)


def linked(order_id: int, provider_order_id: str) -> str:
    return _("✅ Order #{id} is linked to panel order {provider}; it is followed from now.").format(
        id=order_id, provider=f"<code>{escape(provider_order_id)}</code>"
    )


def not_possible_now() -> str:
    return _("Not possible for this order now; here is its current card.")


def flow_cancelled() -> str:
    return _("Cancelled; nothing was changed.")


# --- notices to customers (in their language) ------------------------------------------


def refund_notice(order: OrderDTO, amount: Micro) -> str:
    return _("↩️ {amount} for order #{id} is back on your balance.").format(
        amount=money(amount, order.currency), id=order.id
    )


def not_placed_notice(order: OrderDTO, amount: Micro) -> str:
    return _(
        "⚠️ We checked order #{id}: the provider did not take it. The full {amount} is back on "
        "your balance."
    ).format(id=order.id, amount=money(amount, order.currency))


def linked_notice(order: OrderDTO) -> str:
    return _("🔄 Good news: order #{id} is with the provider and in progress.").format(id=order.id)


# --- operators' alerts (in the shop's default language) ---------------------------------


def alert_refund(r: OrderRefund, admin_id: int) -> str:
    return _("↩️ Refund issued: order #{id}, {amount} to {who}, by admin {admin}.").format(
        id=r.order.id, amount=money(r.amount, r.order.currency), who=who(r.customer), admin=admin_id
    )


def alert_not_placed(r: OrderRefund, admin_id: int) -> str:
    return _(
        "↩️ Unknown order #{id} resolved as not placed by admin {admin}: {amount} refunded to {who}."
    ).format(
        id=r.order.id, admin=admin_id, amount=money(r.amount, r.order.currency), who=who(r.customer)
    )


def alert_linked(order_id: int, provider_order_id: str, admin_id: int) -> str:
    return _("🔗 Unknown order #{id} linked to panel order {provider} by admin {admin}.").format(
        id=order_id, provider=f"<code>{escape(provider_order_id)}</code>", admin=admin_id
    )


def alert_error(alert: ErrorAlert) -> str:
    lines = []
    if alert.error is not None:
        lines.append(
            _("🐞 Unexpected error (update {update}): {error}").format(
                update=alert.update_id if alert.update_id is not None else "—",
                error=f"<code>{escape(alert.error)}</code>",
            )
        )
    if alert.held_back:
        kinds = ", ".join(f"{escape(name)} ×{count}" for name, count in alert.kinds)
        lines.append(
            ngettext(
                "🐞 {n} more unexpected error since {since}: {kinds}. See the logs.",
                "🐞 {n} more unexpected errors since {since}: {kinds}. See the logs.",
                alert.held_back,
            ).format(n=alert.held_back, since=when(alert.since), kinds=kinds)
        )
    return "\n".join(lines)


# --- /maintenance ---------------------------------------------------------------------


def maintenance(on: bool, changed: bool) -> str:
    if on:
        text = _(
            "🛠 Maintenance is on: customers get a notice instead of the storefront; admins "
            "keep working."
        )
    else:
        text = _("✅ Maintenance is off: the storefront is open.")
    if not changed:
        text += "\n" + _("(It was so already.)")
    return text


def maintenance_state(on: bool) -> str:
    return (
        (_("Maintenance is on.") if on else _("Maintenance is off.")) + "\n" + usage("maintenance")
    )


# --- /broadcast -----------------------------------------------------------------------


def broadcast_prompt() -> str:
    return _(
        "📣 Send the message to broadcast: a text, or a photo with a caption. /cancel to stop."
    )


def broadcast_unsupported() -> str:
    return _(
        "Only a text (up to 4096 characters) or a photo with a caption (up to 1024) can be "
        "broadcast. Send one, or /cancel."
    )


def broadcast_photo_unsupported() -> str:
    return _("Photos cannot be broadcast yet: send the text alone, or /cancel.")


def broadcast_preview(recipients: int) -> str:
    return (
        ngettext(
            "☝️ This is how it will look. Send it to {n} customer?",
            "☝️ This is how it will look. Send it to {n} customers?",
            recipients,
        ).format(n=recipients)
        + "\n"
        + _("Banned customers and those who blocked the bot are left out.")
    )


def broadcast_confirm_button(recipients: int) -> str:
    return _("📣 Send to {n}").format(n=recipients)


def broadcast_queued(queued: int) -> str:
    return ngettext(
        "✅ Queued for {n} customer. It goes out behind order notifications; I will report "
        "when it is done.",
        "✅ Queued for {n} customers. It goes out behind order notifications; I will report "
        "when it is done.",
        queued,
    ).format(n=queued)


def broadcast_progress(total: int, sent: int, blocked: int, failed: int, pending: int) -> str:
    return _(
        "📣 Broadcast: {sent} sent, {blocked} blocked the bot, {failed} failed, {pending} "
        "waiting (of {total})."
    ).format(sent=sent, blocked=blocked, failed=failed, pending=pending, total=total)


def broadcast_report(total: int, sent: int, blocked: int, failed: int) -> str:
    return _(
        "📣 Broadcast done: {sent} sent, {blocked} blocked the bot, {failed} failed (of {total})."
    ).format(sent=sent, blocked=blocked, failed=failed, total=total)


def broadcast_waiting() -> str:
    return _("Tap Send or Cancel under the preview above, or /cancel.")


def broadcast_cancelled() -> str:
    return _("Broadcast cancelled; nothing was sent.")


def broadcast_gone() -> str:
    return _("This broadcast is no longer waiting for confirmation.")


def progress_button() -> str:
    return _("🔄 Progress")


# --- buttons ----------------------------------------------------------------------------


def button_refresh() -> str:
    return _("🔄 Refresh")


def button_refund(amount: Micro, currency: str) -> str:
    return _("↩️ Refund {amount}").format(amount=money(amount, currency))


def button_link() -> str:
    return _("🔗 Link to provider order")


def button_fail() -> str:
    return _("↩️ Refund (not placed)")


def button_yes() -> str:
    return _("✅ Yes, refund")


def button_back() -> str:
    return _("« Back")


def button_cancel() -> str:
    return _("✖ Cancel")


def button_ban() -> str:
    return _("⛔ Ban")


def button_unban() -> str:
    return _("✅ Unban")


def button_order(order: OrderDTO) -> str:
    return f"{STATE_ICONS[order.state]} #{order.id}"


def datetime_text(moment: datetime | None) -> str:
    return when(moment)
