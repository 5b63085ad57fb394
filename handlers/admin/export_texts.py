"""Texts of /export."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.shop.exports import ExportKind, ExportResult
from bot.texts.format import fmt


def kind_name(kind: ExportKind) -> str:
    match kind:
        case ExportKind.ORDERS:
            return _("Orders")
        case ExportKind.LEDGER:
            return _("Ledger")
    return _("Customers")


def period(r: ExportResult) -> str:
    first, last = r.window.first, r.window.last
    if first is None:
        return _("everything so far")
    if last is None:
        return fmt(_("{first} until now (UTC)"), first=first.isoformat())
    return fmt(_("{first} – {last} (UTC)"), first=first.isoformat(), last=last.isoformat())


def caption(r: ExportResult) -> str:
    return fmt(
        ngettext("📄 {kind}: {rows} row, {period}.", "📄 {kind}: {rows} rows, {period}.", r.rows),
        kind=kind_name(r.kind),
        rows=r.rows,
        period=period(r),
    )


def too_big(megabytes: int) -> str:
    return fmt(
        _("The file is over the {limit} MB a bot may send. Choose fewer days."),
        limit=megabytes,
    )
