"""Pure keyboard builders are kept per language and arguments (handlers/common/keyboards.py)."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import create_i18n
from bot.shop.catalog import PlatformEntry
from handlers.common.keyboards import remembered
from handlers.storefront import keyboards

built: list[object] = []


@remembered
def _counted(*args: object) -> InlineKeyboardMarkup:
    built.append(args)
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("🏠 Menu"), callback_data="m:main")]]
    )


@dataclass
class _Loose:  # not frozen: cannot be hashed
    name: str


def test_the_same_arguments_in_the_same_language_build_once() -> None:
    i18n = create_i18n()
    built.clear()
    with i18n.context(), i18n.use_locale("en"):
        first = _counted(1, [PlatformEntry("Instagram", 3)])
        assert _counted(1, [PlatformEntry("Instagram", 3)]) is first
        assert _counted(2, [PlatformEntry("Instagram", 3)]) is not first
    assert len(built) == 2


def test_each_language_has_its_own_keyboard() -> None:
    i18n = create_i18n()
    with i18n.context():
        with i18n.use_locale("en"):
            english = keyboards.main_menu()
        with i18n.use_locale("ru"):
            russian = keyboards.main_menu()
        with i18n.use_locale("en"):
            assert keyboards.main_menu() is english
    assert english.inline_keyboard[0][0].text == "🛒 New order"
    assert russian.inline_keyboard[0][0].text != english.inline_keyboard[0][0].text


def test_arguments_that_cannot_be_hashed_are_built_each_time() -> None:
    i18n = create_i18n()
    built.clear()
    with i18n.context(), i18n.use_locale("en"):
        _counted(_Loose("a"))
        _counted(_Loose("a"))
    assert len(built) == 2


def test_a_changed_catalogue_answer_builds_a_new_keyboard() -> None:
    i18n = create_i18n()
    with i18n.context(), i18n.use_locale("en"):
        before = keyboards.platforms([PlatformEntry("Instagram", 3)])
        after = keyboards.platforms([PlatformEntry("Insta", 3)])
    assert before is not after
    assert before.inline_keyboard[0][0].text != after.inline_keyboard[0][0].text
