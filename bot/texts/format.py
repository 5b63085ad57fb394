"""The one way to build message text (parse mode HTML): `fmt` escapes every value it is
given unless the value is `Markup` (already-safe HTML, made by `fmt` or `trusted`), and
`money` and `when` are the one money and one date formatter of every text."""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.shop.money import Micro, format_amount


def money(amount: Micro, currency: str) -> str:
    return f"{format_amount(amount, currency)} {escape(currency)}"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"
