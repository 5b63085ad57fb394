"""Texts of the join prompt."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.texts.format import fmt


def join_prompt(channel: str) -> str:
    return fmt(
        _(
            "📢 To use the shop, please join our channel {channel} first. Then tap «Check "
            "again». Your orders, /balance and /help are open to you meanwhile."
        ),
        channel=channel,
    )


def not_yet(channel: str) -> str:
    return fmt(
        _("We do not see you in {channel} yet. Join it, then tap «Check again»."),
        channel=channel,
    )


def welcome() -> str:
    return _("✅ Thank you for joining! The shop is open to you.")


def button_open(channel: str) -> str:
    return fmt(_("📢 Open {channel}"), channel=channel)


def button_check() -> str:
    return _("✅ Check again")


def button_menu() -> str:
    return _("🏠 Open the menu")
