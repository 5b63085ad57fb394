"""Texts of the order form: its questions, the summary and what became of the order."""

from __future__ import annotations

from typing import Any

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from bot.provider.errors import account_issue
from bot.shop.money import Micro
from bot.shop.order_form import Step
from bot.shop.orders.models import Draft, OrderDTO
from bot.shop.payments.values import StarsQuote
from bot.texts.format import Markup, bold, code, fmt, money, number
from handlers.common.texts import drip_total, field_name, state_name

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
    head = fmt(_("Step {n} of {total}"), n=number, total=total)
    body = fmt(
        str(_EXAMPLES[step]),
        min=min_,
        max=max_,
        example=example_link,
        quantity=min(max(1000, min_), max_),
    )
    return fmt("<i>{head}</i>\n{body}", head=head, body=body)


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


def shop_error_for_choice() -> str:
    return _("Please choose one of the buttons.")


def send_text_please() -> str:
    return _("Please answer with a text message, or tap ✖ Cancel.")


def confirm_or_cancel() -> str:
    return _("Please tap ✅ Confirm to place the order, or ✖ Cancel.")


def summary(draft: Draft, balance: Micro) -> str:
    lines = [_("🧾 <b>Check your order</b>"), "", bold(draft.service_name)]
    for key, value in draft.fields.items():
        if value is None:
            continue
        shown = str(value)
        if "\n" in shown:
            count = shown.count("\n") + 1
            preview = "\n".join(shown.split("\n")[:5])
            more = "\n…" if count > 5 else ""
            lines.append(
                fmt(
                    "{name} ({count}):\n{value}",
                    name=field_name(key),
                    count=count,
                    value=code(preview + more),
                )
            )
        else:
            if isinstance(value, int) and not isinstance(value, bool):
                shown = number(value)
            lines.append(fmt("{name}: {value}", name=field_name(key), value=code(shown)))
    if draft.runs:
        lines.append(drip_total(draft.runs, draft.quantity))
    lines += [
        "",
        fmt(_("💵 Total: <b>{total}</b>"), total=money(draft.charge, draft.currency)),
        balance_line(balance, draft.charge, draft.currency),
    ]
    if draft.service_type == "Subscriptions":
        lines.append(_("Charged for the maximum now; the unused part comes back at the end."))
    return "\n".join(lines)


def balance_line(balance: Micro, charge: Micro, currency: str) -> Markup:
    """What is left after paying, or, when the balance is short, how much is missing:
    never a negative balance."""
    if balance >= charge:
        return fmt(_("💰 Balance after: {after}"), after=money(balance - charge, currency))
    return fmt(
        _("💰 Your balance: {balance}. Missing: <b>{missing}</b>"),
        balance=money(balance, currency),
        missing=money(charge - balance, currency),
    )


def topup_label(quote: StarsQuote, currency: str) -> str:
    """The button that tops up exactly what the order lacks (whole Stars, rounded up)."""
    return _("➕ Top up {credit} · ⭐{stars}").format(
        credit=money(quote.credit, currency), stars=quote.stars
    )


def order_placed(order: OrderDTO) -> str:
    text = fmt(
        _(
            "✅ Order <b>#{id}</b> placed: {service}.\nPaid {charge}. We will tell you here when "
            "it progresses; /orders shows all your orders."
        ),
        id=order.id,
        service=order.service_name,
        charge=money(order.charge, order.currency),
    )
    if order.runs:
        text = fmt("{text}\n{total}", text=text, total=drip_total(order.runs, order.quantity))
    return text


def order_already_placed(order: OrderDTO) -> str:
    return fmt(
        _("This order is already placed: <b>#{id}</b> ({state}). It was charged once."),
        id=order.id,
        state=state_name(order.state),
    )


def order_refused(order: OrderDTO, reason: str) -> str:
    return fmt(
        _(
            "⚠️ The provider could not take order #{id}: {reason}\n"
            "The full amount, {charge}, is back on your balance."
        ),
        id=order.id,
        reason=reason,
        charge=money(order.charge, order.currency),
    )


def order_unknown(order: OrderDTO) -> str:
    return fmt(
        _(
            "⏳ Order #{id} was sent, but the provider did not answer in time. We are checking "
            "what happened with it — you will hear from us here. Please do not order it again "
            "meanwhile."
        ),
        id=order.id,
    )


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
