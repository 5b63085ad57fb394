"""Texts of a broadcast by language: choosing who gets which text, the prompts, and the
recipients per language under the preview, and the progress message's buttons and
answers."""

from __future__ import annotations

from collections.abc import Mapping

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.i18n import LANGUAGE_NAMES
from bot.shop.admin_broadcast import Audience
from bot.shop.enums import BroadcastState
from bot.texts.format import fmt


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def choose_hint(default: str) -> str:
    return fmt(
        _(
            "Or choose below: a text per language (customers of a language without one get "
            "the {default} text), or one language only."
        ),
        default=language_name(default),
    )


def button_each() -> str:
    return _("🗣 A text per language")


def button_only(code: str) -> str:
    return fmt(_("Only {language}"), language=language_name(code))


def ask_text(code: str, *, fallback: bool, skippable: bool, default: str) -> str:
    """The prompt for one language's text."""
    if fallback:
        text: str = fmt(
            _(
                "📣 Send the text for {language} customers (a text or a photo with a "
                "caption). Customers of a language without a text of its own get this one."
            ),
            language=language_name(code),
        )
    elif skippable:
        text = fmt(
            _("📣 Send the text for {language} customers, or /skip: they get the {default} text."),
            language=language_name(code),
            default=language_name(default),
        )
    else:
        text = fmt(
            _("📣 Send the text for {language} customers only (a text or a photo with a caption)."),
            language=language_name(code),
        )
    return text + "\n" + _("/cancel to stop.")


def cannot_skip(code: str) -> str:
    return fmt(
        _("The {language} text is needed: other languages fall back to it. Send it, or /cancel."),
        language=language_name(code),
    )


def preview_for(code: str) -> str:
    return fmt(_("☝️ For {language} customers:"), language=language_name(code))


def recipients(audience: Audience, counts: Mapping[str, int]) -> str:
    """One line per language that gets the broadcast, with its number of recipients."""
    lines = [_("Recipients by language:")]
    for code in sorted(counts, key=lambda c: (c != audience.fallback, c)):
        if audience.content_for(code) is None:
            continue
        n = counts[code]
        line: str = fmt(
            ngettext("{language}: {n} customer", "{language}: {n} customers", n),
            language=language_name(code),
            n=n,
        )
        if audience.per_language and audience.falls_back(code):
            line += " " + fmt(_("(the {language} text)"), language=language_name(audience.fallback))
        lines.append("• " + line)
    if len(lines) == 1:
        lines.append("• " + _("nobody"))
    return "\n".join(lines)


def button_pause() -> str:
    return _("⏸ Pause")


def button_resume() -> str:
    return _("▶️ Resume")


def button_stop() -> str:
    return _("⏹ Cancel broadcast")


def changed(state: BroadcastState) -> str:
    """The toast after Pause or Resume."""
    if state == BroadcastState.PAUSED:
        return _("Paused: nothing more goes out until you resume it.")
    return _("Resumed.")


def stopped(not_sent: int) -> str:
    return fmt(
        ngettext(
            "Broadcast cancelled: {n} message not sent.",
            "Broadcast cancelled: {n} messages not sent.",
            not_sent,
        ),
        n=not_sent,
    )


def not_changed(state: BroadcastState) -> str:
    """A button that no longer applies (tapped twice, or on an old message)."""
    if state == BroadcastState.PAUSED:
        return _("This broadcast is paused already. Nothing changed.")
    if state == BroadcastState.SENDING:
        return _("This broadcast is running, not paused. Nothing changed.")
    if state == BroadcastState.CANCELLED:
        return _("This broadcast was cancelled already. Nothing changed.")
    return _("This broadcast is over already. Nothing changed.")
