"""Every customer-facing text: pure functions of data, translated with gettext, HTML-safe.

User-supplied values (names, links, comments) are always escaped here; nothing else in
the handlers builds message text.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext

from bot.provider.errors import account_issue
from bot.shop.catalog import CategoryEntry, PlatformEntry, ServiceCard, ServicePage, SyncReport
from bot.shop.enums import OrderState
from bot.shop.errors import (
    AlreadyRefunded,
    InsufficientFunds,
    InvalidAmount,
    InvalidOrderField,
    NotFound,
    NotYours,
    PriceChanged,
    ProviderPaused,
    QuantityOutOfRange,
    ServiceUnavailable,
    ShopError,
    TransitionNotAllowed,
)
from bot.shop.money import Micro, format_amount
from bot.shop.order_form import Step
from bot.shop.orders.models import Draft, OrderDTO, OrderPage
from bot.shop.settlement import posts_served
from bot.shop.tracking import RefillView
from bot.shop.users import UserDTO

STATE_ICONS = {
    OrderState.SUBMITTING: "⏳",
    OrderState.ACTIVE: "🔄",
    OrderState.COMPLETED: "✅",
    OrderState.PARTIAL: "🟡",
    OrderState.CANCELED: "↩️",
    OrderState.FAILED: "⚠️",
    OrderState.UNKNOWN: "❓",
}


def money(amount: Micro, currency: str) -> str:
    return f"{format_amount(amount, currency)} {escape(currency)}"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def state_name(state: OrderState) -> str:
    names = {
        OrderState.SUBMITTING: _("being placed"),
        OrderState.ACTIVE: _("in progress"),
        OrderState.COMPLETED: _("completed"),
        OrderState.PARTIAL: _("partially completed"),
        OrderState.CANCELED: _("canceled, refunded"),
        OrderState.FAILED: _("not placed, refunded"),
        OrderState.UNKNOWN: _("being checked"),
    }
    return names[state]


# --- menu, help ---------------------------------------------------------------


def welcome(user: UserDTO, currency: str) -> str:
    name = escape(user.first_name or user.username or _("there"))
    return _(
        "👋 Hi, {name}!\n\n"
        "Here you can buy followers, views, likes, comments and more for your social "
        "networks. Pick a service, send a link, pay from your balance — we keep you posted "
        "on every step of the order.\n\n"
        "💰 Balance: <b>{balance}</b>"
    ).format(name=name, balance=money(user.balance, currency))


def main_menu_title(balance: Micro, currency: str) -> str:
    return _("🏠 Main menu\n💰 Balance: <b>{balance}</b>").format(balance=money(balance, currency))


def help_text() -> str:
    return _(
        "<b>How it works</b>\n"
        "1. Tap 🛒 New order, choose a platform, a category and a service.\n"
        "2. Send what the service asks for (a link, a quantity ...), one step at a time.\n"
        "3. Check the summary and confirm: the price is taken from your balance.\n"
        "4. We tell you here when the order starts, progresses and finishes. Whatever is "
        "not delivered comes back to your balance automatically.\n\n"
        "You can also type a word (for example <i>followers</i>) or <code>#12</code> to "
        "find a service.\n\n"
        "<b>Commands</b>\n"
        "/start — main menu\n/orders — my orders\n/balance — balance and history\n"
        "/topup — add funds\n/language — change language\n/cancel — leave the current step\n"
        "/paysupport — help with a payment"
    )


def cancelled() -> str:
    return _("Okay, cancelled. Nothing was ordered and nothing was charged.")


def nothing_to_cancel() -> str:
    return _("There is nothing to cancel. Here is the main menu.")


def unknown_text() -> str:
    return _(
        "I did not find a service for that. Try another word, or open 🛒 New order. "
        "/help shows what I can do."
    )


def language_prompt() -> str:
    return _("Choose your language:")


def language_set() -> str:
    return _("Language changed to English.")


# --- catalogue ----------------------------------------------------------------


def platforms_title(platforms: list[PlatformEntry]) -> str:
    if not platforms:
        return _("The catalogue is empty right now. Please come back a bit later.")
    return _("🛒 <b>New order</b>\nChoose a platform:")


def platform_label(entry: PlatformEntry) -> str:
    return _("Other") if entry.name == "Other" else entry.name


def categories_title(platform: PlatformEntry, page: int, pages: int) -> str:
    return _("<b>{platform}</b> — choose a category:").format(
        platform=escape(platform_label(platform))
    ) + _page_suffix(page, pages)


def category_label(entry: CategoryEntry) -> str:
    return f"{entry.name} ({entry.services})"


def services_title(view: ServicePage) -> str:
    return _("<b>{category}</b> — choose a service (price per 1000 unless noted):").format(
        category=escape(view.category.name)
    ) + _page_suffix(view.page, view.pages)


def _page_suffix(page: int, pages: int) -> str:
    return (
        "" if pages <= 1 else "\n" + _("Page {page} of {pages}").format(page=page + 1, pages=pages)
    )


def service_label(card: ServiceCard) -> str:
    """Name and price on one button; the name is shortened, never the price."""
    price = money(card.price, card.currency)
    unit = _("per order") if card.per_order else "/1k"
    tail = f" · {price} {unit}"
    room = max(12, 60 - len(tail))
    name = card.name if len(card.name) <= room else card.name[: room - 1].rstrip() + "…"
    return name + tail


def service_card(card: ServiceCard) -> str:
    yes, no = _("yes"), _("no")
    price = (_("{price} per order") if card.per_order else _("{price} per 1000")).format(
        price=f"<b>{money(card.price, card.currency)}</b>"
    )
    lines = [
        f"<b>{escape(card.name)}</b>",
        _("Service #{id} · {category}").format(id=card.id, category=escape(card.category)),
        "",
        _("💵 Price: {price}").format(price=price),
    ]
    if card.type.flat_price:
        lines.append(_("📦 One package per order"))
    else:
        lines.append(_("🔢 Quantity: from {min} to {max}").format(min=card.min, max=card.max))
    lines.append(_("♻️ Refill: {value}").format(value=yes if card.refill else no))
    lines.append(_("✖️ Cancel: {value}").format(value=yes if card.cancel else no))
    if card.dripfeed:
        lines.append(_("💧 Drip-feed available (deliver in several runs)"))
    if card.description:
        lines += ["", escape(card.description[:1500])]
    return "\n".join(lines)


def search_results(query: str, cards: list[ServiceCard]) -> str:
    return ngettext(
        "🔎 Found {count} service for «{query}»:",
        "🔎 Found {count} services for «{query}»:",
        len(cards),
    ).format(count=len(cards), query=escape(query[:50]))


# --- order form ---------------------------------------------------------------

_EXAMPLES: dict[Step, Any] = {
    Step.LINK: __("Send the link (the post, video or profile).\nExample: {example}"),
    Step.QUANTITY: __("How many? Send a number from {min} to {max}.\nExample: {quantity}"),
    Step.RUNS: __(
        "Drip-feed: in how many runs should it be delivered? Send a number from 2 to 100, "
        "or tap Skip to get everything at once.\nExample: 5"
    ),
    Step.INTERVAL: __("Minutes between runs? Send a number from 1 to 1440.\nExample: 30"),
    Step.COMMENTS: __(
        "Send the comments, one per line ({min} to {max} lines).\nExample:\nGreat post!\nLove it 🔥"
    ),
    Step.USERNAMES: __("Send the usernames, one per line.\nExample:\nnatgeo\nnasa"),
    Step.KEYWORDS: __("Send the keywords, one per line.\nExample:\nbuy sneakers\nsneaker shop"),
    Step.GROUPS: __(
        "Send the groups to invite from, one per line.\nExample:\nhttps://t.me/somegroup"
    ),
    Step.HASHTAGS: __("Send the hashtags, one per line.\nExample:\n#travel\n#sea"),
    Step.HASHTAG: __("Send the hashtag.\nExample: #travel"),
    Step.USERNAME: __("Send the username.\nExample: @natgeo"),
    Step.MEDIA: __("Send the link to the media whose likers to mention.\nExample: {example}"),
    Step.ANSWER_NUMBER: __("Which answer of the poll? Send its number.\nExample: 2"),
    Step.MIN: __("Minimum per post? Send a number from {min} to {max}.\nExample: {min}"),
    Step.MAX: __("Maximum per post? Send a number from your minimum up to {max}.\nExample: {max}"),
    Step.POSTS: __(
        "For how many new posts? Send a number from 1 to 1000. You pay for all of them now; "
        "whatever is not used comes back when the subscription ends.\nExample: 10"
    ),
    Step.OLD_POSTS: __(
        "Also for how many existing posts? Send a number from 0 to 100, or tap Skip.\nExample: 0"
    ),
    Step.DELAY: __("Delay before each post is served, in minutes: choose below."),
    Step.EXPIRY: __("Until when? Send a date like 31/12/2026, or tap Skip for no end date."),
}


def step_question(
    step: Step, number: int, total: int, *, min_: int, max_: int, example_link: str
) -> str:
    head = _("Step {n} of {total}").format(n=number, total=total)
    body = str(_EXAMPLES[step]).format(
        min=min_,
        max=max_,
        example=escape(example_link),
        quantity=min(max(1000, min_), max_),
    )
    return f"<i>{head}</i>\n{body}"


def example_link(platform: str) -> str:
    return {
        "Instagram": "https://instagram.com/p/C0abc123",
        "TikTok": "https://www.tiktok.com/@user/video/7300000000000000000",
        "YouTube": "https://youtube.com/watch?v=dQw4w9WgXcQ",
        "Telegram": "https://t.me/channel/123",
        "X/Twitter": "https://x.com/user/status/1800000000000000000",
        "Facebook": "https://facebook.com/page/posts/123",
        "Spotify": "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
    }.get(platform, "https://example.com/page")


_FIELD_NAMES: dict[str, Any] = {
    "link": __("Link"),
    "quantity": __("Quantity"),
    "runs": __("Runs"),
    "interval": __("Interval, min"),
    "comments": __("Comments"),
    "usernames": __("Usernames"),
    "keywords": __("Keywords"),
    "groups": __("Groups"),
    "hashtags": __("Hashtags"),
    "hashtag": __("Hashtag"),
    "username": __("Username"),
    "media": __("Media"),
    "answer_number": __("Answer"),
    "min": __("Min per post"),
    "max": __("Max per post"),
    "posts": __("Posts"),
    "old_posts": __("Old posts"),
    "delay": __("Delay, min"),
    "expiry": __("Until"),
}


def field_name(name: str) -> str:
    return str(_FIELD_NAMES.get(name, name))


def shop_error_for_choice() -> str:
    return _("Please choose one of the buttons.")


def send_text_please() -> str:
    return _("Please answer with a text message, or tap ✖ Cancel.")


def confirm_or_cancel() -> str:
    return _("Please tap ✅ Confirm to place the order, or ✖ Cancel.")


def summary(draft: Draft, balance: Micro) -> str:
    lines = [_("🧾 <b>Check your order</b>"), "", f"<b>{escape(draft.service_name)}</b>"]
    for key, value in draft.fields.items():
        if value is None:
            continue
        shown = escape(str(value))
        if "\n" in shown:
            count = shown.count("\n") + 1
            preview = "\n".join(shown.split("\n")[:5])
            more = "\n…" if count > 5 else ""
            lines.append(f"{field_name(key)} ({count}):\n<code>{preview}{more}</code>")
        else:
            lines.append(f"{field_name(key)}: <code>{shown}</code>")
    lines += [
        "",
        _("💵 Total: <b>{total}</b>").format(total=money(draft.charge, draft.currency)),
        _("💰 Balance after: {after}").format(after=money(balance - draft.charge, draft.currency)),
    ]
    if draft.service_type == "Subscriptions":
        lines.append(_("Charged for the maximum now; the unused part comes back at the end."))
    return "\n".join(lines)


def shortfall(error: InsufficientFunds, currency: str) -> str:
    return _(
        "Not enough on your balance: the order costs {needed}, you have {available}.\n"
        "Top up <b>{missing}</b> and confirm again — your order is kept."
    ).format(
        needed=money(error.needed, currency),
        available=money(error.available, currency),
        missing=money(error.missing, currency),
    )


def price_changed(error: PriceChanged, currency: str) -> str:
    return _(
        "The price changed while you were ordering: it is now {current} instead of {quoted}. "
        "Please check the summary again."
    ).format(current=money(error.current, currency), quoted=money(error.quoted, currency))


# --- placement results -------------------------------------------------------------


def order_placed(order: OrderDTO) -> str:
    return _(
        "✅ Order <b>#{id}</b> placed: {service}.\nPaid {charge}. We will tell you here when "
        "it progresses; /orders shows all your orders."
    ).format(
        id=order.id, service=escape(order.service_name), charge=money(order.charge, order.currency)
    )


def order_already_placed(order: OrderDTO) -> str:
    return _("This order is already placed: <b>#{id}</b> ({state}). It was charged once.").format(
        id=order.id, state=state_name(order.state)
    )


def order_refused(order: OrderDTO, reason: str) -> str:
    return _(
        "⚠️ The provider could not take order #{id}: {reason}\n"
        "The full amount, {charge}, is back on your balance."
    ).format(id=order.id, reason=reason, charge=money(order.charge, order.currency))


def order_unknown(order: OrderDTO) -> str:
    return _(
        "⏳ Order #{id} was sent, but the provider did not answer in time. We are checking "
        "what happened with it — you will hear from us here. Please do not order it again "
        "meanwhile."
    ).format(id=order.id)


def refusal_reason(panel_text: str | None, *, unavailable: bool = False) -> str:
    """A plain explanation of the panel's refusal; its raw text goes to operators."""
    text = (panel_text or "").casefold()
    if unavailable or account_issue(text) is not None:
        # Down, or refusing the shop's own account (key, IP, funds): not the customer's
        # doing, and ordering is paused until it is fixed.
        return _("the service is temporarily unavailable. Please try again later.")
    if "link" in text and ("active order" in text or "wait until" in text):
        return _("there is already an active order for this link. Wait until it finishes.")
    if "link" in text:
        return _("the link was not accepted. Check that it is public and correct.")
    if "quantity" in text:
        return _("the quantity was not accepted for this service.")
    return _("the order was refused. Please check your details or choose another service.")


# --- orders -------------------------------------------------------------------


def orders_title(page: OrderPage) -> str:
    if page.total == 0:
        return _("You have no orders yet. Tap 🛒 New order to place your first one.")
    pages = max(1, -(-page.total // page.per_page))
    return _("📋 <b>My orders</b>") + _page_suffix(page.page, pages)


def order_label(order: OrderDTO) -> str:
    return f"{STATE_ICONS[order.state]} #{order.id} · {order.service_name}"[:60]


def order_card(order: OrderDTO, refills: list[RefillView]) -> str:
    lines = [
        _("{icon} <b>Order #{id}</b> — {state}").format(
            icon=STATE_ICONS[order.state], id=order.id, state=state_name(order.state)
        ),
        escape(order.service_name),
        "",
    ]
    if order.link:
        lines.append(_("🔗 {link}").format(link=escape(order.link)))
    lines.append(_("🔢 Quantity: {quantity}").format(quantity=order.quantity))
    lines.append(_("💵 Price: {charge}").format(charge=money(order.charge, order.currency)))
    if order.start_count:  # 0 is many panels' "not known yet"
        lines.append(_("▶️ Start count: {count}").format(count=order.start_count))
    posts = posts_served(order)
    if posts is not None:
        lines.append(
            _("📮 Posts served: {served} of {paid}").format(served=posts[0], paid=posts[1])
        )
    elif order.remains is not None and order.state is not OrderState.COMPLETED:
        lines.append(_("⏳ Remains: {remains}").format(remains=order.remains))
    if order.refunded and posts is not None and order.state.finished:
        lines.append(
            _("↩️ Unused posts refunded: {amount}").format(
                amount=money(order.refunded, order.currency)
            )
        )
    elif order.refunded:
        lines.append(_("↩️ Refunded: {amount}").format(amount=money(order.refunded, order.currency)))
    lines.append(_("🕒 Placed: {at}").format(at=when(order.created_at)))
    for refill in refills[-3:]:
        lines.append(
            _("♻️ Refill #{id}: {status}").format(id=refill.id, status=refill_status(refill))
        )
    return "\n".join(lines)


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
    return ngettext(
        "Just updated. You can refresh again in {n} second.",
        "Just updated. You can refresh again in {n} seconds.",
        seconds,
    ).format(n=seconds)


def refill_requested() -> str:
    return _("♻️ Refill requested. Its status shows on the order card.")


def cancel_requested() -> str:
    return _("Cancellation requested. The refund follows as soon as the provider confirms it.")


def panel_said_no(reason: str | None) -> str:
    return _("The provider declined: {reason}").format(reason=escape((reason or "")[:200]))


def action_not_available() -> str:
    return _("This is not possible for this order right now.")


def provider_unavailable() -> str:
    return _("The provider is not reachable right now. Please try again in a few minutes.")


# --- balance ------------------------------------------------------------------


def balance_text(user: UserDTO, currency: str, entries: list[Any]) -> str:
    lines = [_("💰 Balance: <b>{balance}</b>").format(balance=money(user.balance, currency))]
    if entries:
        lines += ["", _("<b>Latest movements</b>")]
        for entry in entries:
            sign = "+" if entry.amount > 0 else "−"
            lines.append(
                f"{entry.created_at:%m-%d %H:%M} {sign}{money(abs(entry.amount), currency)} · "
                f"{ledger_kind(entry.kind)}"
            )
    return "\n".join(lines)


def ledger_kind(kind: str) -> str:
    names = {
        "topup": _("top-up"),
        "charge": _("order"),
        "refund": _("refund"),
        "adjustment": _("adjustment"),
        "referral": _("referral reward"),
        "promo": _("promo"),
    }
    return names.get(str(kind), str(kind))


# --- errors -------------------------------------------------------------------


def shop_error(error: ShopError, currency: str) -> str:
    """The one place where domain errors become words for the customer."""
    match error:
        case QuantityOutOfRange(min=low, max=high, field=field):
            if field in {"comments", "usernames"}:
                return _("Send from {min} to {max} lines.").format(min=low, max=high)
            return _("Send a number from {min} to {max}.").format(min=low, max=high)
        case InvalidOrderField(reason=reason, field=field):
            return _field_error(field, reason)
        case InsufficientFunds():
            return shortfall(error, currency)
        case PriceChanged():
            return price_changed(error, currency)
        case ServiceUnavailable():
            return _("This service is not available any more. Please choose another one.")
        case ProviderPaused():
            return _(
                "Ordering is temporarily unavailable. Nothing was charged; please try again "
                "a bit later — your order form is kept."
            )
        case NotFound() | NotYours():
            return _("Not found. It may have been removed, or it is not yours.")
        case AlreadyRefunded():
            return _("This order has already been refunded in full.")
        case TransitionNotAllowed():
            return _("This order has already moved on; nothing was changed.")
        case InvalidAmount():
            return _("That is not a valid amount.")
    return _("That did not work. Please try again.")


def _field_error(field: str, reason: str) -> str:
    messages = {
        "not_a_whole_number": _("Please send a whole number, like 1000."),
        "bad_link": _("That does not look like a link. Send a full link starting with https://"),
        "empty": _("Please send at least one line."),
        "too_long": _("That is too long. Send fewer or shorter lines."),
        "line_too_long": _("One of the lines is too long (300 characters at most)."),
        "bad_username": _("Usernames may contain only letters, digits, dots and underscores."),
        "bad_hashtag": _("Send one hashtag, letters and digits only, like #travel."),
        "not_allowed": _("Please choose one of the buttons."),
        "bad_date": _("Send a date like 31/12/2026."),
        "past_date": _("That date has passed. Send a date in the future."),
    }
    return messages.get(
        reason, _("“{field}” is not valid. Please check it.").format(field=field_name(field))
    )


def apology() -> str:
    return _(
        "Sorry, something went wrong on our side. Please try again in a moment; if you were "
        "ordering, check /orders first."
    )


def stale_button() -> str:
    return _("This button is out of date. Send /start for the current menu.")


def sync_report(report: SyncReport) -> str:
    return _(
        "Catalogue synced: {total} services, {added} new, {changed} changed, {removed} removed."
    ).format(total=report.total, added=report.added, changed=report.changed, removed=report.removed)
