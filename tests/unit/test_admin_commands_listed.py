"""Every admin command the routers handle (and the admin menu offers) is in /admin's list,
with its syntax, in English and Russian, and in the README's table: they cannot drift."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiogram import Router
from aiogram.filters import Command

from bot.commands import admin_commands
from bot.i18n import create_i18n
from bot.texts.format import fmt
from handlers.admin import texts
from handlers.admin.router import create_router as admin_router
from handlers.wallet import payments, promo
from handlers.wallet.payments import admin_only

ROOT = Path(__file__).resolve().parents[2]
# Steps inside a flow (and /cancel, everyone's), not commands of their own.
FLOW_STEPS = {"cancel", "skip"}


def _commands(router: Router, *, admin_only_filter: bool = False) -> Iterator[str]:
    for handler in router.message.handlers:
        callbacks = [f.callback for f in handler.filters or ()]
        if admin_only_filter and admin_only not in callbacks:
            continue
        for callback in callbacks:
            if isinstance(callback, Command):
                yield from (str(c) for c in callback.commands)
    for sub in router.sub_routers:
        yield from _commands(sub, admin_only_filter=admin_only_filter)


def registered() -> set[str]:
    names = set(_commands(admin_router()))
    for module in (payments, promo):
        names |= set(_commands(module.create_router(), admin_only_filter=True))
    return names - FLOW_STEPS


def test_the_routers_are_read() -> None:
    assert {"stats", "credit", "panels", "export", "starsrefund", "promo"} <= registered()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_admin_command_is_in_the_admin_list(language: str) -> None:
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale(language):
        menu = {command.command for command in admin_commands()}
        text = texts.admin_help(False)
        descriptions = texts.command_descriptions()
        titles = [texts.group_title(group) for group, _ in texts.GROUPS]
    grouped = [c for _, commands in texts.GROUPS for c in commands]
    assert len(grouped) == len(set(grouped))
    assert registered() | menu <= set(grouped)
    assert set(grouped) == set(texts.SYNTAX) == set(descriptions)
    for command in grouped:
        assert str(texts.syntax(command)) in text, command
        assert fmt("{d}", d=descriptions[command]) in text, command
    for title in titles:
        assert f"<b>{title}</b>" in text
    if language == "ru":  # no English title or description left
        assert "<b>Shop</b>" not in text and "This list" not in text
    assert len(text) <= 4096  # one Telegram message


def test_every_admin_command_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if re.match(r"\| [^|]* \| `/", line)]
    syntaxes = {
        re.sub(r"\\\|", "|", match.group(1))
        for row in rows
        if (match := re.match(r"\| [^|]* \| `((?:[^`])+)`", row))
    }
    assert syntaxes == set(texts.SYNTAX.values())
    assert registered() <= {s.split()[0].lstrip("/") for s in syntaxes}
