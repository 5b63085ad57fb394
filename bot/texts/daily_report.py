"""The daily summary in the operators' chat (bot/shop/daily_report.py has the figures)."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.shop.daily_report import DailyReport
from bot.texts.format import fmt, money, when


def daily_report(r: DailyReport) -> str:
    c = r.currency
    lines: list[str] = [
        fmt(_("📊 <b>Daily report</b>, {start} – {end}"), start=when(r.start), end=when(r.end)),
        fmt(
            ngettext(
                "Orders placed: {n} ({settled} settled, {open} open for {open_charged})",
                "Orders placed: {n} ({settled} settled, {open} open for {open_charged})",
                r.orders,
            ),
            n=r.orders,
            settled=r.settled,
            open=r.open,
            open_charged=money(r.open_charged, c),
        ),
        fmt(
            _("Settled orders: revenue {revenue}, cost {cost}, profit <b>{profit}</b>"),
            revenue=money(r.revenue, c),
            cost=money(r.cost, c),
            profit=money(r.profit, c),
        ),
        fmt(
            ngettext(
                "Refunds: {n} for {amount}",
                "Refunds: {n} for {amount}",
                r.refunds,
            ),
            n=r.refunds,
            amount=money(r.refunded, c),
        ),
        fmt(
            ngettext(
                "Stars refunds: {n} ({stars} ⭐, {amount} taken back)",
                "Stars refunds: {n} ({stars} ⭐, {amount} taken back)",
                r.stars_refunds,
            ),
            n=r.stars_refunds,
            stars=r.stars,
            amount=money(r.stars_refunded, c),
        ),
        fmt(_("Top-ups: {amount}"), amount=money(r.topups, c)),
        fmt(_("New customers: {n}"), n=r.new_customers),
        fmt(_("Open support tickets: {n} (/tickets)"), n=r.open_tickets),
    ]
    if r.top:
        lines.append(_("Top services:"))
        for place, line in enumerate(r.top, start=1):
            lines.append(
                fmt(
                    ngettext(
                        "{place}. {name}: {orders} order, {revenue}",
                        "{place}. {name}: {orders} orders, {revenue}",
                        line.orders,
                    ),
                    place=place,
                    name=line.name,
                    orders=line.orders,
                    revenue=money(line.revenue, c),
                )
            )
    return "\n".join(lines)
