"""Texts of the storefront: welcome, menu, help, language, the catalogue and search."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.shop.catalog import CategoryEntry, PlatformEntry, SearchPage, ServiceCard, ServicePage
from bot.shop.money import Micro
from bot.shop.users import UserDTO
from bot.texts.format import bold, escape, fmt, money, number, shorten, unit_price, without_prefix
from handlers.common.texts import page_suffix


def welcome(user: UserDTO, currency: str) -> str:
    name = user.first_name or user.username or _("there")
    return fmt(
        _(
            "👋 Hi, {name}!\n\n"
            "Here you can buy followers, views, likes, comments and more for your social "
            "networks. Pick a service, send a link, pay from your balance — we keep you posted "
            "on every step of the order.\n\n"
            "💰 Balance: <b>{balance}</b>"
        ),
        name=name,
        balance=money(user.balance, currency),
    )


def main_menu_title(balance: Micro, currency: str) -> str:
    return fmt(_("🏠 Main menu\n💰 Balance: <b>{balance}</b>"), balance=money(balance, currency))


def help_text(*, referrals: bool = True) -> str:
    lines = [
        _(
            "<b>How it works</b>\n"
            "1. Tap 🛒 New order, choose a platform, a category and a service.\n"
            "2. Send what the service asks for (a link, a quantity ...), one step at a time.\n"
            "3. Check the summary and confirm: the price is taken from your balance.\n"
            "4. We tell you here when the order starts, progresses and finishes. Whatever is "
            "not delivered comes back to your balance automatically.\n\n"
            "You can also type what you are looking for (for example <i>tiktok followers</i>) "
            "or <code>#12</code> to find a service. The menu under the message field works at "
            "any moment, also in the middle of an order."
        ),
        "",
        _("<b>Commands</b>"),
        _("/start — main menu"),
        _("/orders — my orders: status, refill, cancel"),
        _("/balance — balance and history"),
        _("/topup — add funds with Telegram Stars"),
        _("/promo — redeem a promo code"),
    ]
    if referrals:
        lines.append(_("/referral — invite friends, earn a reward on their top-ups"))
    lines += [
        _("/language — change language"),
        _("/support — write to the shop: a support ticket"),
        _("/paysupport — help with a payment"),
        _("/cancel — leave the current step"),
        _("/help — this help"),
    ]
    return "\n".join(lines)


def nothing_to_cancel() -> str:
    return _("There is nothing to cancel. Here is the main menu.")


def unknown_text() -> str:
    return _(
        "We did not find a service for that. Try another word, or open 🛒 New order. "
        "/help shows what you can do here."
    )


def language_prompt() -> str:
    return _("Choose your language:")


def language_set() -> str:
    return _("Language changed to English.")


def platforms_title(platforms: list[PlatformEntry]) -> str:
    if not platforms:
        return _("The catalogue is empty right now. Please come back a bit later.")
    return _("🛒 <b>New order</b>\nChoose a platform:")


def platform_label(entry: PlatformEntry) -> str:
    return _("Other") if entry.name == "Other" else entry.name


def categories_title(platform: PlatformEntry, page: int, pages: int) -> str:
    return fmt(
        _("<b>{platform}</b> — choose a category:"), platform=platform_label(platform)
    ) + page_suffix(page, pages)


def category_label(entry: CategoryEntry) -> str:
    return f"{shorten(entry.name, 50)} ({entry.services})"


def services_title(view: ServicePage) -> str:
    return fmt(
        _("<b>{category}</b> — choose a service (price per 1000 unless noted):"),
        category=view.category.name,
    ) + page_suffix(view.page, view.pages)


# How much of a service's name a button shows: what a phone's chat fits beside the price
# (Telegram cuts longer labels at the end, where the price used to be).
SERVICE_NAME_ROOM = 30


def service_label(card: ServiceCard, category: str | None = None) -> str:
    """The price first, then the name shortened; inside a category the words that repeat
    it (or the platform) are left out. The service card shows the full name."""
    price = unit_price(card.unit_price, card.currency)
    unit = _("per order") if card.per_order else _("/1k")
    if not unit.startswith("/"):  # "0.71 USD/1k", but "1.90 USD per order"
        price += " "
    name = without_prefix(card.name, category, card.platform) if category else card.name
    return f"{price}{unit} · {shorten(name, SERVICE_NAME_ROOM)}"


def service_card(card: ServiceCard) -> str:
    yes, no = _("yes"), _("no")
    price = fmt(
        _("{price} per order") if card.per_order else _("{price} per 1000"),
        price=bold(unit_price(card.unit_price, card.currency)),
    )
    lines = [
        bold(card.name),
        fmt(_("Service #{id} · {category}"), id=card.id, category=card.category),
        "",
        fmt(_("💵 Price: {price}"), price=price),
    ]
    if card.type.flat_price:
        lines.append(_("📦 One package per order"))
    else:
        lines.append(
            fmt(_("🔢 Quantity: from {min} to {max}"), min=number(card.min), max=number(card.max))
        )
    lines.append(fmt(_("♻️ Refill: {value}"), value=yes if card.refill else no))
    lines.append(fmt(_("✖️ Cancel: {value}"), value=yes if card.cancel else no))
    if card.dripfeed:
        lines.append(_("💧 Drip-feed available (deliver in several runs)"))
    if card.description:
        lines += ["", escape(card.description[:1500])]
    return "\n".join(lines)


def search_results(query: str, view: SearchPage) -> str:
    return fmt(
        ngettext(
            "🔎 Found {count} service for «{query}»:",
            "🔎 Found {count} services for «{query}»:",
            view.total,
        ),
        count=number(view.total),
        query=query[:50],
    ) + page_suffix(view.page, view.pages)


def search_out_of_date() -> str:
    return _("That search is out of date: send the words again.")
