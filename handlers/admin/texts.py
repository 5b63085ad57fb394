"""Texts of the admin commands and the notices admins' actions send to customers and
operators: pure functions of data, gettext with English msgids, HTML with every
user-supplied value escaped."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.provider.errors import AccountIssue
from bot.shop.admin.backups import BackupList, BackupPreview, BackupRefused, BackupSide
from bot.shop.admin.panels import PanelLine, PanelUnknown
from bot.shop.admin.parsing import MAX_ADJUSTMENT_UNITS, MAX_MARKUP
from bot.shop.admin.platforms import PlatformOverview, PlatformRename
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
from bot.texts.format import ErrorTable, Markup, code, error_text, fmt, join, money, trusted, when
from bot.texts.mentions import customer, order_ref, service_ref
from handlers.common.texts import STATE_ICONS, ledger_kind

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
    "sync": "/sync [panel]",
    "provider": "/provider",
    "backup": "/backup <service id> [<panel>:<panel service id> | off <panel>]",
    "panels": "/panels",
    "panel": "/panel <name> off|on",
    "platform": "/platform list | rename <from> <to> | reset <name>",
    "order": "/order <id>",
    "refund": "/refund <id>",
    "broadcast": "/broadcast",
    "maintenance": "/maintenance on|off",
    "export": "/export orders|ledger|customers [from] [to]",
    "promo": "/promo create <CODE> <amount> <uses> [days] | list | off <CODE>",
    "starsrefund": "/starsrefund <charge id>",
    "tickets": "/tickets [open|mine|all]",
}

# How /admin groups the commands (the README's table follows the same groups). A group
# with no command is left out.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("shop", ("admin", "stats", "maintenance", "markup", "hide", "show", "sync", "platform")),
    ("customers", ("user", "ban", "unban")),
    ("money", ("credit", "debit", "promo", "export")),
    ("orders", ("order", "refund")),
    ("panels", ("provider", "panels", "panel", "backup")),
    ("support", ("tickets", "starsrefund")),
    ("broadcasts", ("broadcast",)),
)


def group_title(group: str) -> str:
    return {
        "shop": _("Shop"),
        "customers": _("Customers"),
        "money": _("Money"),
        "orders": _("Orders"),
        "panels": _("Panels"),
        "support": _("Support"),
        "broadcasts": _("Broadcasts"),
    }[group]


def command_descriptions() -> dict[str, str]:
    return {
        "admin": _("This list"),
        "stats": _("Customers, orders, revenue and profit for a period"),
        "user": _("A customer's profile, balance, orders and actions"),
        "credit": _("Add money to a balance: asks first; a reason after public: is shown to them"),
        "debit": _("Take money from a balance: asks first; the customer is told"),
        "ban": _("Close the shop to a customer"),
        "unban": _("Open the shop to a customer again"),
        "markup": _("Set the markup: global, per category or per service"),
        "hide": _("Hide a service from the catalogue"),
        "show": _("Show a hidden service again"),
        "sync": _("Load the panels' catalogues now (or one panel's)"),
        "provider": _("Panel balance, polling and active orders"),
        "backup": _("A service's backups at other panels: list, add (confirmed), remove"),
        "panels": _("Every panel: balance, polling, failures, orders, services, pause"),
        "panel": _("Stop or resume new orders to one panel"),
        "platform": _(
            "Platforms with their counts; rename one (onto another: merge them); "
            "reset undoes a rename"
        ),
        "order": _("Everything about an order, with refund and resolve buttons"),
        "refund": _("Refund what is left of an order: asks first"),
        "broadcast": _("Message customers: one text, a text per language, or one language"),
        "maintenance": _("Close or reopen the storefront for customers"),
        "export": _("A CSV file of orders, the ledger or customers; dates YYYY-MM-DD, UTC"),
        "promo": _("Promo codes: create one (amount, uses, days valid), list them, switch one off"),
        "starsrefund": _(
            "Return the Stars of a top-up whose credit is still unspent; the credit is taken back"
        ),
        "tickets": _(
            "Support tickets (open and answered, those you took, or all) with their state, "
            "customer, age and who took them"
        ),
    }


def syntax(command: str) -> Markup:
    return code(SYNTAX[command])


def usage(command: str) -> str:
    return fmt(_("Usage: {syntax}"), syntax=syntax(command))


def admin_help(order_placed_alerts: bool) -> str:
    lines = [_("🛠 <b>Admin commands</b>")]
    descriptions = command_descriptions()
    for group, commands in GROUPS:
        if not commands:
            continue
        lines += ["", fmt("<b>{title}</b>", title=group_title(group))]
        for command in commands:
            lines.append(
                fmt(
                    "{syntax}\n    {description}",
                    syntax=syntax(command),
                    description=descriptions[command],
                )
            )
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


def who(user: UserDTO | None) -> Markup:
    """A customer in one line: name, @username, Telegram id."""
    if user is None:
        return trusted("—")
    parts: list[object] = [user.first_name] if user.first_name else []
    if user.username:
        parts.append("@" + user.username)
    parts.append(code(user.telegram_id))
    return join(" ", parts)


def _percent(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return f"{text}%"


def _not_found(error: NotFound, currency: str) -> str:
    key = str(error.key)
    match error.entity:
        case "user":
            return fmt(_("No customer {who} is known to the shop."), who=key)
        case "order":
            return fmt(_("There is no order #{id}."), id=key)
        case "service":
            return fmt(_("There is no service #{id}."), id=key)
        case "category":
            return fmt(_("There is no category «{name}» in the catalogue."), name=key)
        case "platform":
            return fmt(_("There is no platform «{name}». /platform list shows them."), name=key)
    return _unexpected(error, currency)


def _provider_order_id(error: InvalidOrderField, currency: str) -> str:
    if error.field != "provider_order_id":
        return _unexpected(error, currency)
    if error.reason == "already_linked":
        return _("That panel order is linked to another order already.")
    return _("That is not a panel order id. Send the id the panel shows, like 23517.")


def _unexpected(error: Exception, currency: str) -> str:
    return fmt(_("That did not work: {error}"), error=type(error).__name__)


ADMIN_ERRORS: ErrorTable = {
    NotFound: _not_found,
    BackupRefused: lambda e, c: _backup_refused(e, c),
    PanelUnknown: lambda e, c: unknown_panel(e.name, e.names),
    InvalidAmount: lambda e, c: bad_amount(c),
    InvalidMarkup: lambda e, c: bad_percent(),
    InsufficientFunds: lambda e, c: fmt(
        _("Not debited: the balance is only {available}; it cannot go below zero."),
        available=money(e.available, c),
    ),
    AlreadyRefunded: lambda e, c: fmt(
        _("Order #{id} is refunded in full already; nothing was changed."), id=e.order_id
    ),
    RefundNotAllowed: lambda e, c: fmt(
        _(
            "Order #{id} is {state}: its fate is still open. Resolve it from /order {id} "
            "(link it to the panel's order, or refund it)."
        ),
        id=e.order_id,
        state=str(e.state),
    ),
    RefundTooLarge: lambda e, c: fmt(
        _("Only {available} is left to refund."), available=money(e.available, c)
    ),
    TransitionNotAllowed: lambda e, c: fmt(
        _("Order #{id} is {state} now; nothing was changed."), id=e.order_id, state=str(e.current)
    ),
    InvalidOrderField: _provider_order_id,
    PanelDeclined: lambda e, c: fmt(_("The panel said: {reason}"), reason=e.text[:300]),
    PanelUnavailable: lambda e, c: _(
        "The panel is not reachable right now; nothing was changed. Try again soon."
    ),
    ShopError: _unexpected,
}
"""The admin's words for a refusal (nothing was changed): the one place they are chosen."""


def error(error: ShopError, currency: str) -> str:
    return error_text(ADMIN_ERRORS, error, currency)


def bad_amount(currency: str) -> str:
    digits = minor_digits(currency)
    return fmt(
        _(
            "The amount must be a positive number with at most {digits} decimals, up to "
            "{ceiling} {currency}."
        ),
        digits=digits,
        ceiling=MAX_ADJUSTMENT_UNITS,
        currency=currency,
    )


def bad_percent() -> str:
    return fmt(
        _("The percent must be a number from 0 to {max} with at most 2 decimals."), max=MAX_MARKUP
    )


def bad_period() -> str:
    return _("The period is one of: today, 7d, 30d, all.")


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
        fmt(_("📊 <b>Stats: {period}</b>"), period=period_name(s.period)),
        fmt(_("<i>from {since} to {now}</i>"), since=since, now=when(s.now)),
        "",
        fmt(
            _("<b>Customers</b>: {total} in all, {new} new, {active} ordered"),
            total=s.customers,
            new=s.new_customers,
            active=s.active_customers,
        ),
        fmt(
            _("unreachable (blocked the bot): {unreachable}, banned: {banned}"),
            unreachable=s.unreachable,
            banned=s.banned,
        ),
        "",
        fmt(_("<b>Orders placed</b>: {count}"), count=s.order_count),
    ]
    states = [
        f"{STATE_ICONS[state]} {state.value}: {s.orders[state]}"
        for state in OrderState
        if s.orders.get(state)
    ]
    if states:
        lines.append(", ".join(states))
    lines.append(
        fmt(
            _("settled: {settled} · open: {open} (charged {charged}, not counted yet)"),
            settled=s.settled_orders,
            open=s.open_orders,
            charged=money(s.open_charged, c),
        )
    )
    lines += [
        "",
        _("<b>Money of settled orders</b>"),
        fmt(_("charged: {amount}"), amount=money(s.charged, c)),
        fmt(
            ngettext(
                "refunded: {amount} ({n} order)",
                "refunded: {amount} ({n} orders)",
                s.refunds,
            ),
            amount=money(s.refunded, c),
            n=s.refunds,
        ),
        fmt(_("revenue: <b>{amount}</b>"), amount=money(s.revenue, c)),
        fmt(_("provider cost: {amount}"), amount=money(s.provider_cost, c)),
        fmt(_("profit: <b>{amount}</b>"), amount=_signed(s.profit, c)),
    ]
    if s.panels:
        lines += ["", _("<b>By panel</b> (settled orders)")]
        for share in s.panels:
            lines.append(
                fmt(
                    _(
                        "{panel}: revenue {revenue}, cost {cost}, profit {profit}, "
                        "open orders {open}"
                    ),
                    panel=code(share.name),
                    revenue=money(share.revenue, c),
                    cost=money(share.cost, c),
                    profit=_signed(share.profit, c),
                    open=share.open_orders,
                )
            )
    if s.top:
        lines += ["", _("<b>Top services</b>")]
        for n, top in enumerate(s.top, 1):
            ref = f"#{top.service_id} " if top.service_id is not None else ""
            lines.append(
                fmt(
                    ngettext(
                        "{n}. {ref}{name}: {orders} order, {revenue}",
                        "{n}. {ref}{name}: {orders} orders, {revenue}",
                        top.orders,
                    ),
                    n=n,
                    ref=ref,
                    name=top.name[:60],
                    orders=top.orders,
                    revenue=money(top.revenue, c),
                )
            )
    lines += [
        "",
        _("<b>Wallets</b>"),
        fmt(
            _("held now: {amount} on {holders} wallets"),
            amount=money(s.balances, c),
            holders=s.holders,
        ),
        fmt(
            _("top-ups: {topups}, bonuses: {bonuses}"),
            topups=money(s.topups, c),
            bonuses=money(s.bonuses, c),
        ),
        fmt(
            _("admin credits: {credits}, admin debits: {debits}"),
            credits=money(s.adjusted_in, c),
            debits=money(s.adjusted_out, c),
        ),
        fmt(
            ngettext(
                "Stars refunds: {n} payment, {stars} ⭐, {amount} taken back",
                "Stars refunds: {n} payments, {stars} ⭐, {amount} taken back",
                s.stars_refunds,
            ),
            n=s.stars_refunds,
            stars=s.stars_refunded,
            amount=money(s.stars_taken_back, c),
        ),
    ]
    return "\n".join(lines)


def _signed(amount: Micro, currency: str) -> str:
    return ("−" if amount < 0 else "") + money(abs(amount), currency)


def profile(p: UserProfile, currency: str) -> str:
    u = p.user
    lines: list[str] = [
        fmt(_("👤 <b>Customer</b> {who}"), who=who(u)),
        fmt(
            _("shop id {id} · language {language} · since {since}"),
            id=u.id,
            language=u.language or "—",
            since=when(u.created_at),
        ),
        fmt(_("💰 Balance: <b>{balance}</b>"), balance=money(u.balance, currency)),
    ]
    if u.banned:
        lines.append(_("⛔ Banned"))
    if u.unreachable_since:
        lines.append(
            fmt(_("📵 Unreachable since {at} (blocked the bot)"), at=when(u.unreachable_since))
        )
    lines.append(
        fmt(
            _("Referred by: {referrer} · referred {count}"),
            referrer=who(p.referrer) if p.referrer else "—",
            count=p.referrals,
        )
    )
    lines += ["", fmt(_("<b>Orders</b>: {count}"), count=p.order_count)]
    for order in p.orders:
        lines.append(
            fmt(
                "{icon} #{id} · {at} · {name} · {charge}",
                icon=STATE_ICONS[order.state],
                id=order.id,
                at=when(order.created_at),
                name=order.service_name[:40],
                charge=money(order.charge, order.currency),
            )
        )
    if p.ledger:
        lines += ["", _("<b>Latest ledger rows</b>")]
        for entry in p.ledger:
            sign = "+" if entry.amount > 0 else "−"
            note = fmt(" · {note}", note=entry.note[:60]) if entry.note else ""
            lines.append(
                fmt(
                    "{at} {sign}{amount} {kind}{note}",
                    at=when(entry.created_at),
                    sign=sign,
                    amount=money(abs(entry.amount), currency),
                    kind=ledger_kind(entry.kind),
                    note=note,
                )
            )
    return "\n".join(lines)


def adjustment(a: Adjustment, currency: str) -> str:
    if a.repeated:
        return fmt(
            _("This adjustment was made already (ledger row {id}); nothing new."), id=a.entry.id
        )
    values = {
        "amount": money(a.amount, currency),
        "who": who(a.user),
        "balance": money(a.user.balance, currency),
    }
    if a.credit:
        text: str = fmt(_("✅ Credited {amount} to {who}. Balance now {balance}."), **values)
    else:
        text = fmt(_("✅ Debited {amount} from {who}. Balance now {balance}."), **values)
    if a.entry.note:
        text += "\n" + fmt(_("Reason: {reason}"), reason=a.entry.note)
    return text


def credit_notice(amount: Micro, balance: Micro, reason: str | None, currency: str) -> str:
    """To the customer, in their language."""
    text: str = fmt(
        _("💰 {amount} was added to your balance. Balance now: <b>{balance}</b>."),
        amount=money(amount, currency),
        balance=money(balance, currency),
    )
    if reason:
        text += "\n" + fmt(_("Note: {reason}"), reason=reason)
    return text


def ban_change(change: BanChange) -> str:
    user = who(change.user)
    if change.user.banned:
        if not change.changed:
            return fmt(_("{who} is banned already."), who=user)
        return fmt(_("⛔ {who} is banned: the shop does not answer them any more."), who=user)
    if not change.changed:
        return fmt(_("{who} is not banned."), who=user)
    return fmt(_("✅ {who} is unbanned."), who=user)


def cannot_ban_admin() -> str:
    return _("Admins cannot be banned.")


def markup_change(m: MarkupChange, currency: str) -> str:
    if m.scope is MarkupScope.GLOBAL:
        head = _("✅ Global markup set to <b>{percent}</b> (was {before}).")
    elif m.scope is MarkupScope.CATEGORY:
        head = _("✅ Markup of category «{target}» set to <b>{percent}</b> (was {before}).")
    else:
        head = _("✅ Markup of service #{id} «{target}» set to <b>{percent}</b> (was {before}).")
    lines: list[str] = [
        fmt(
            head,
            percent=_percent(m.percent),
            before=_percent(m.before),
            target=m.target or "",
            id=m.service_id,
        )
    ]
    if m.scope is MarkupScope.CATEGORY:
        lines.append(
            fmt(
                ngettext(
                    "The category has {n} service.", "The category has {n} services.", m.services
                ),
                n=m.services,
            )
        )
    if m.overrides:
        lines.append(
            fmt(
                ngettext(
                    "{n} category or service markup still takes precedence over it.",
                    "{n} category and service markups still take precedence over it.",
                    m.overrides,
                ),
                n=m.overrides,
            )
        )
    if m.sample is not None:
        sample = m.sample
        unit = _("per order") if sample.per_order else _("per 1000")
        lines.append(
            fmt(
                _("Example: #{id} {name}: {before} → <b>{after}</b> {unit}"),
                id=sample.service_id,
                name=sample.name[:60],
                before=money(sample.before, currency),
                after=money(sample.after, currency),
                unit=unit,
            )
        )
    else:
        lines.append(_("No visible service follows this markup right now."))
    return "\n".join(lines)


def service_toggle(t: ServiceToggle) -> str:
    values = {"id": t.service_id, "name": t.name, "category": t.category}
    if t.hidden:
        if not t.changed:
            return fmt(_("Service #{id} «{name}» is hidden already."), **values)
        return fmt(_("🙈 Service #{id} «{name}» ({category}) is hidden from customers."), **values)
    if not t.changed:
        return fmt(_("Service #{id} «{name}» is visible already."), **values)
    return fmt(_("👁 Service #{id} «{name}» ({category}) is visible again."), **values)


def sync_started() -> str:
    return _("⏳ Loading the panel's catalogue…")


def _backup_side(side: BackupSide, currency: str) -> str:
    return fmt(
        _("#{id} «{name}» at {panel} (its id {panel_id}), {type}, {min}–{max}; cost {cost}"),
        id=side.id,
        name=side.name[:80],
        panel=code(side.panel),
        panel_id=code(side.provider_service_id),
        type=side.type,
        min=side.min,
        max=side.max,
        cost=money(side.cost, currency),
    )


def backup_preview(preview: BackupPreview, currency: str) -> str:
    percent = preview.margin_percent
    lines: list[str] = [
        _("🔀 <b>Add a backup?</b> Prices per 1000 (per order for flat-price types)."),
        fmt(_("Service: {side}"), side=trusted(_backup_side(preview.service, currency))),
        fmt(_("Backup: {side}"), side=trusted(_backup_side(preview.backup, currency))),
        fmt(
            _("Customers pay {price}; at the backup the margin is {margin}{percent}."),
            price=money(preview.price, currency),
            margin=money(preview.margin, currency),
            percent="" if percent is None else f" ({percent}%)",
        ),
    ]
    if preview.margin < 0:
        lines.append(_("⚠️ The backup costs more than customers pay: orders will not go to it."))
    return "\n".join(lines)


def backup_list(listing: BackupList, currency: str) -> str:
    lines: list[str] = [
        fmt(_("Service: {side}"), side=trusted(_backup_side(listing.service, currency))),
        fmt(_("Customers pay {price}."), price=money(listing.price, currency)),
    ]
    if not listing.backups:
        lines.append(_("No backups: when its panel refuses, the order fails and is refunded."))
    for number, side in enumerate(listing.backups, start=1):
        lines.append(fmt("{n}. {side}", n=number, side=trusted(_backup_side(side, currency))))
    return "\n".join(lines)


def backup_added() -> str:
    return _("✅ Backup added.")


def backup_removed(panel: str) -> str:
    return fmt(_("🗑 The backup at panel {panel} is removed."), panel=code(panel))


def backup_cancelled() -> str:
    return _("Nothing was changed.")


def _backup_refused(e: BackupRefused, c: str) -> str:
    d = e.details
    reasons = {
        BackupRefused.UNKNOWN_PANEL: lambda: fmt(
            _("There is no panel {name}."), name=code(str(d.get("panel", ""))[:40])
        ),
        BackupRefused.MISSING: lambda: fmt(
            _("Panel {panel} lists no service {id} (a /sync {panel} may help)."),
            panel=code(str(d.get("panel", ""))[:40]),
            id=code(str(d.get("id", ""))[:64]),
        ),
        BackupRefused.OTHER_TYPE: lambda: fmt(
            _("A backup must be of the same type: it is {theirs}, the service is {ours}."),
            theirs=str(d.get("theirs", ""))[:64],
            ours=str(d.get("ours", ""))[:64],
        ),
        BackupRefused.ITSELF: lambda: _("A service cannot be its own backup."),
        BackupRefused.SAME_PANEL: lambda: _("A backup must be at another panel."),
        BackupRefused.LOOP: lambda: _(
            "That backup leads back to the service through backups of its own (a loop)."
        ),
        BackupRefused.ALREADY: lambda: _("That service is a backup of this one already."),
        BackupRefused.TOO_MANY: lambda: fmt(
            _("A service has {max} backups at most."), max=d.get("max", 0)
        ),
        BackupRefused.NONE_THERE: lambda: fmt(
            _("The service has no backup at panel {panel}."),
            panel=code(str(d.get("panel", ""))[:40]),
        ),
    }
    build = reasons.get(e.reason)
    text = build() if build is not None else _("That did not work. Please try again.")
    return text + "\n" + _("Nothing was changed.")


def pause_cause(cause: AccountIssue) -> str:
    names = {
        AccountIssue.NO_FUNDS: _("the panel's balance is not enough"),
        AccountIssue.INVALID_KEY: _("the panel refuses the API key"),
        AccountIssue.IP_NOT_ALLOWED: _("the panel does not accept this server's IP address"),
        AccountIssue.API_DISABLED: _("the panel has switched off API access"),
    }
    return names[cause]


def on_panel(text: str, panel: str | None) -> str:
    """A reply about one panel of several starts with its name."""
    if panel is None:
        return text
    return fmt("<b>{name}</b> · ", name=panel) + text


def unknown_panel(name: str, names: Sequence[str]) -> str:
    return fmt(
        _("There is no panel {name}. Panels: {names}."),
        name=code(name[:40]),
        names=join(", ", (code(n) for n in names)),
    )


def sync_report(report: SyncReport, *, panel: str | None = None) -> str:
    return on_panel(_sync_report(report), panel)


def _sync_report(report: SyncReport) -> str:
    if report.refused is not None:
        return fmt(
            _(
                "⚠️ The panel's service list was not used: {reason}. The catalogue is kept as "
                "it was (operators were alerted)."
            ),
            reason=report.refused[:200],
        )
    text: str = fmt(
        _(
            "✅ Catalogue synced: {total} services listed by the panel; {added} added, "
            "{changed} changed, {removed} hidden (no longer listed)."
        ),
        total=report.total,
        added=report.added,
        changed=report.changed,
        removed=report.removed,
    )
    if report.unsupported:
        text += "\n" + fmt(
            ngettext(
                "{n} service is of a type the bot cannot order.",
                "{n} services are of a type the bot cannot order.",
                report.unsupported,
            ),
            n=report.unsupported,
        )
    if report.skipped:
        text += "\n" + fmt(
            ngettext(
                "{n} entry of the panel's list was unreadable and skipped.",
                "{n} entries of the panel's list were unreadable and skipped.",
                report.skipped,
            ),
            n=report.skipped,
        )
    return text


def panels(lines: Sequence[PanelLine]) -> str:
    out: list[str] = [_("🔌 <b>Panels</b>")]
    for line in lines:
        if line.balance is not None:
            balance = fmt(
                _("balance {balance} {currency}"),
                balance=f"{line.balance:f}",
                currency=line.currency or "",
            )
        else:
            balance = fmt(_("balance unknown ({reason})"), reason=(line.error or "")[:120])
        state: str
        if line.off_since is not None:
            state = fmt(_("⛔ switched off since {at}"), at=when(line.off_since))
        elif line.paused is not None:
            state = fmt(_("⏸ paused: {cause}"), cause=pause_cause(line.paused.cause))
        elif line.down_since is not None:
            state = fmt(_("🔴 not answering since {at}"), at=when(line.down_since))
        else:
            state = _("🟢 taking orders")
        out += [
            "",
            fmt("<b>{name}</b> · {state}", name=line.name, state=state),
            balance + (" ⚠️" if line.balance_low else ""),
            fmt(
                _(
                    "last good poll: {at} · failing orders: {flagged} · active orders: "
                    "{active} · services: {services}"
                ),
                at=when(line.last_polled),
                flagged=line.flagged,
                active=line.active,
                services=line.services,
            ),
        ]
    return "\n".join(out)


def panel_switched(name: str, off: bool, changed: bool) -> str:
    if not changed:
        if off:
            return fmt(_("Panel {name} is switched off already."), name=code(name))
        return fmt(_("Panel {name} takes new orders already."), name=code(name))
    if off:
        return fmt(
            _(
                "⛔ Panel {name} takes no new orders now: services with a backup go to the "
                "backup, the others are unavailable. Its orders are followed as usual."
            ),
            name=code(name),
        )
    return fmt(_("🟢 Panel {name} takes new orders again."), name=code(name))


def provider(p: ProviderOverview, currency: str) -> str:
    lines: list[str] = [fmt(_("🔌 <b>Panel</b> {url}"), url=p.url or "—")]
    if p.balance is not None:
        lines.append(
            fmt(
                _("Balance: <b>{balance} {currency}</b>"),
                balance=f"{p.balance:f}",
                currency=p.currency or "",
            )
        )
    else:
        lines.append(
            fmt(
                _("⚠️ Balance unknown: the panel did not answer ({reason})."),
                reason=(p.error or "")[:200],
            )
        )
        if p.stored_balance is not None:
            lines.append(
                fmt(
                    _("Last known: {balance} at {at}"),
                    balance=money(p.stored_balance, p.currency or currency),
                    at=when(p.stored_at),
                )
            )
    active = p.orders.get(OrderState.ACTIVE, 0)
    lines += [
        "",
        fmt(
            _("Active orders: {active} · unknown: {unknown} · being placed: {submitting}"),
            active=active,
            unknown=p.orders.get(OrderState.UNKNOWN, 0),
            submitting=p.orders.get(OrderState.SUBMITTING, 0),
        ),
        fmt(
            _("Last successful poll: {ok} · last poll of any kind: {any}"),
            ok=when(p.last_polled_ok),
            any=when(p.last_checked),
        ),
        fmt(_("Orders flagged after repeated polling failures: {n}"), n=p.flagged),
    ]
    if p.down_since is not None:
        lines.append(
            fmt(_("⚠️ Unreachable since {at} (operators were alerted)."), at=when(p.down_since))
        )
    if p.balance_low:
        lines.append(_("⚠️ The panel's balance is low (operators were alerted)."))
    if p.paused is not None:
        lines.append(
            fmt(
                _("⛔ Ordering paused since {at}: {cause} ({reason})."),
                at=when(p.paused.since),
                cause=pause_cause(p.paused.cause),
                reason=p.paused.reason[:200],
            )
        )
    return "\n".join(lines)


def order_card(view: AdminOrder, currency: str) -> str:
    o, x = view.order, view.extras
    c = o.currency
    lines: list[str] = [
        fmt(
            _("{icon} <b>Order #{id}</b> — {state}"),
            icon=STATE_ICONS[o.state],
            id=o.id,
            state=o.state.value,
        ),
        fmt(_("Customer: {who}"), who=who(view.customer)),
        fmt(
            _("Service: #{id} {name}"),
            id=o.service_id if o.service_id is not None else "—",
            name=o.service_name,
        ),
        fmt(
            _("Type: {type} · category: {category} · panel service {provider_service}"),
            type=o.service_type,
            category=o.category,
            provider_service=o.provider_service_id,
        ),
    ]
    if o.link:
        lines.append(fmt(_("Link: {link}"), link=o.link))
    lines.append(fmt(_("Quantity: {quantity}"), quantity=o.quantity))
    if o.runs:
        lines.append(fmt(_("Runs: {runs} every {interval} min"), runs=o.runs, interval=o.interval))
    for key, value in o.fields.items():
        if key in {"service", "link", "quantity", "runs", "interval"}:
            continue
        shown = str(value)
        shown = shown if len(shown) <= 200 else shown[:200] + "…"
        lines.append(fmt("{key}: {value}", key=key, value=code(shown)))
    lines += [
        "",
        fmt(
            _("Customer charge: <b>{charge}</b> (markup {markup})"),
            charge=money(o.charge, c),
            markup=_percent(x.markup),
        ),
        fmt(
            _("Expected provider cost: {cost} (rate {rate} per 1000)"),
            cost=money(o.cost, c),
            rate=f"{from_micro(x.rate).normalize():f}",
        ),
    ]
    if x.provider_charge is not None:
        lines.append(
            fmt(
                _("Provider charge (reported): <b>{charge} {currency}</b>"),
                charge=format_amount(x.provider_charge, x.provider_currency or c),
                currency=x.provider_currency or "",
            )
        )
    else:
        lines.append(_("Provider charge: not reported yet"))
    if o.refunded:
        lines.append(fmt(_("Refunded: {amount}"), amount=money(o.refunded, c)))
    lines += [
        "",
        fmt(
            _("Panel order: {id} · status: {status}"),
            id=code(o.provider_order_id) if o.provider_order_id else "—",
            status=o.provider_status or "—",
        ),
    ]
    if o.start_count or o.remains is not None:  # a start count of 0 means "not known"
        lines.append(
            fmt(
                _("Start count: {start} · remains: {remains}"),
                start=o.start_count or "—",
                remains=o.remains if o.remains is not None else "—",
            )
        )
    if o.error:
        lines.append(fmt(_("Error: {error}"), error=o.error[:300]))
    if x.poll_errors:
        lines.append(
            fmt(
                _("Polling errors in a row: {n} ({error})"),
                n=x.poll_errors,
                error=(x.poll_error or "")[:200],
            )
        )
    if x.flagged_at:
        lines.append(fmt(_("🚩 Flagged for operators at {at}"), at=when(x.flagged_at)))
    lines += [
        fmt(
            _("Created {created} · updated {updated}"),
            created=when(o.created_at),
            updated=when(o.updated_at),
        ),
        fmt(
            _("Finished {finished} · last checked {checked}"),
            finished=when(o.finished_at),
            checked=when(o.last_checked_at),
        ),
        "",
        _("<b>History</b>"),
    ]
    for event in view.events:
        origin = event.from_state.value if event.from_state else "·"
        line: str = fmt(
            "{at} {origin} → {state}", at=when(event.at), origin=origin, state=event.to_state.value
        )
        if event.refund:
            line += " " + fmt(_("refund {amount}"), amount=money(event.refund, c))
        if event.actor_id:
            line += " " + fmt(_("by admin {id}"), id=event.actor_id)
        if event.note:
            line += fmt(" · {note}", note=event.note[:100])
        lines.append(line)
    if view.panel_note:
        lines += [
            "",
            fmt(
                _("⚠️ The panel did not answer the refresh: {reason}"), reason=view.panel_note[:200]
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


def fail_confirm(view: AdminOrder) -> str:
    return fmt(
        _(
            "Mark order #{id} as not placed and give the full {amount} back to {who}? Only do this "
            "if the panel does not have the order."
        ),
        id=view.order.id,
        amount=money(view.order.charge - view.order.refunded, view.order.currency),
        who=who(view.customer),
    )


def refund_done(r: OrderRefund) -> str:
    return fmt(
        _("✅ Refunded {amount} of order #{id} to {who}. Balance now {balance}."),
        amount=money(r.amount, r.order.currency),
        id=r.order.id,
        who=who(r.customer),
        balance=money(r.customer.balance, r.order.currency),
    )


def resolve_failed_done(r: OrderRefund) -> str:
    return fmt(
        _("✅ Order #{id} marked not placed; {amount} is back with {who}."),
        id=r.order.id,
        amount=money(r.amount, r.order.currency),
        who=who(r.customer),
    )


def link_prompt(order_id: int) -> str:
    return fmt(
        _("Send the panel's order id for order #{id} (as the panel shows it), or /cancel."),
        id=order_id,
    )


def linked(order_id: int, provider_order_id: str) -> str:
    return fmt(
        _("✅ Order #{id} is linked to panel order {provider}; it is followed from now."),
        id=order_id,
        provider=code(provider_order_id),
    )


def not_possible_now() -> str:
    return _("Not possible for this order now; here is its current card.")


def flow_cancelled() -> str:
    return _("Cancelled; nothing was changed.")


def refund_notice(order: OrderDTO, amount: Micro) -> str:
    return fmt(
        _("↩️ {amount} for order #{id} is back on your balance."),
        amount=money(amount, order.currency),
        id=order.id,
    )


def not_placed_notice(order: OrderDTO, amount: Micro) -> str:
    return fmt(
        _(
            "⚠️ We checked order #{id}: the provider did not take it. The full {amount} is back on "
            "your balance."
        ),
        id=order.id,
        amount=money(amount, order.currency),
    )


def linked_notice(order: OrderDTO) -> str:
    return fmt(_("🔄 Good news: order #{id} is with the provider and in progress."), id=order.id)


def alert_refund(r: OrderRefund, admin_id: int) -> str:
    return fmt(
        _(
            "↩️ Refund issued: order {order}, {amount} to {who}, by admin {admin}. Service "
            "{service}."
        ),
        order=order_ref(r.order.id),
        service=service_ref(r.order.service_name, r.order.service_id, r.order.provider_service_id),
        amount=money(r.amount, r.order.currency),
        who=customer(r.customer),
        admin=admin_id,
    )


def alert_not_placed(r: OrderRefund, admin_id: int) -> str:
    return fmt(
        _(
            "↩️ Unknown order {order} resolved as not placed by admin {admin}: {amount} "
            "refunded to {who}. Service {service}."
        ),
        order=order_ref(r.order.id),
        service=service_ref(r.order.service_name, r.order.service_id, r.order.provider_service_id),
        admin=admin_id,
        amount=money(r.amount, r.order.currency),
        who=customer(r.customer),
    )


def alert_linked(view: AdminOrder, provider_order_id: str, admin_id: int) -> str:
    order = view.order
    return fmt(
        _(
            "🔗 Unknown order {order} linked to panel order {provider} by admin {admin}. "
            "Customer {who}, service {service}."
        ),
        order=order_ref(order.id),
        who=customer(view.customer),
        service=service_ref(order.service_name, order.service_id, order.provider_service_id),
        provider=code(provider_order_id),
        admin=admin_id,
    )


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


def broadcast_prompt() -> str:
    return _(
        "📣 Send the message to broadcast: a text, or a photo with a caption. /cancel to stop."
    )


def broadcast_unsupported() -> str:
    return _(
        "Only a text (up to 4096 characters) or a photo with a caption (up to 1024) can be "
        "broadcast. Send one, or /cancel."
    )


def broadcast_preview(recipients: int) -> str:
    return (
        fmt(
            ngettext(
                "☝️ This is how it will look. Send it to {n} customer?",
                "☝️ This is how it will look. Send it to {n} customers?",
                recipients,
            ),
            n=recipients,
        )
        + "\n"
        + _("Banned customers and those who blocked the bot are left out.")
    )


def broadcast_confirm_button(recipients: int) -> str:
    return _("📣 Send to {n}").format(n=recipients)


def broadcast_queued(queued: int) -> str:
    return fmt(
        ngettext(
            "✅ Queued for {n} customer. It goes out behind order notifications; we will report "
            "when it is done.",
            "✅ Queued for {n} customers. It goes out behind order notifications; we will report "
            "when it is done.",
            queued,
        ),
        n=queued,
    )


def broadcast_waiting() -> str:
    return _("Tap Send or Cancel under the preview above, or /cancel.")


def broadcast_cancelled() -> str:
    return _("Broadcast cancelled; nothing was sent.")


def progress_button() -> str:
    return _("🔄 Progress")


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


def button_confirm() -> str:
    return _("✅ Confirm")


def button_cancel() -> str:
    return _("✖ Cancel")


def button_ban() -> str:
    return _("⛔ Ban")


def button_unban() -> str:
    return _("✅ Unban")


def button_order(order: OrderDTO) -> str:
    return f"{STATE_ICONS[order.state]} #{order.id}"


# --- platforms ---------------------------------------------------------------------------


def _platform(name: str) -> str:
    return _("Other") if name == "Other" else name


def platform_overview(overview: PlatformOverview) -> str:
    lines = [_("🧭 <b>Platforms</b> (as customers see them)"), ""]
    if not overview.platforms:
        lines.append(_("The catalogue is empty."))
    for entry in overview.platforms:
        counts = fmt(
            _("{categories} · {services}"),
            categories=ngettext("{n} category", "{n} categories", entry.categories).format(
                n=entry.categories
            ),
            services=ngettext("{n} service", "{n} services", entry.services).format(
                n=entry.services
            ),
        )
        line = fmt("<b>{name}</b> — {counts}", name=_platform(entry.name), counts=counts)
        if entry.renamed_from:
            line = fmt(
                _("{line} (renamed from {names})"),
                line=line,
                names=", ".join(_platform(n) for n in entry.renamed_from),
            )
        lines.append(line)
    if overview.renames:
        lines += ["", _("Renames:")]
        lines += [
            fmt("{source} → {target}", source=_platform(src), target=_platform(dst))
            for src, dst in overview.renames
        ]
    lines += ["", usage("platform")]
    return "\n".join(lines)


def platform_renamed(source: str, change: PlatformRename) -> str:
    target = _platform(change.target or "")
    if not change.moved:
        return fmt(_("«{source}» is shown as «{target}» already."), source=source, target=target)
    if change.merged:
        return fmt(
            _("«{source}» is merged into «{target}»: customers see one platform."),
            source=source,
            target=target,
        )
    return fmt(_("«{source}» is shown as «{target}» now."), source=source, target=target)


def platform_reset(name: str, change: PlatformRename) -> str:
    return fmt(
        _("Renames undone: {names} show under their own names again."),
        names=", ".join(_platform(n) for n in change.moved),
    )
