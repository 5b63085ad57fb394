"""Every text of the bot is translated in every shipped language, placeholders intact."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, create_i18n

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ["en", "ru"]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
TAG = re.compile(r"</?[a-z][a-z0-9-]*")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "__": None, "lazy_gettext": None}


def _catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=locale)


def _source_ids() -> set[str]:
    ids: set[str] = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS
        ):
            ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


@pytest.mark.parametrize("locale", SHIPPED)
def test_catalogue_has_every_text_of_the_code(locale: str) -> None:
    catalog = _catalog(locale)
    known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}
    missing = sorted(_source_ids() - known)
    assert not missing, f"run `make messages` and translate: {missing[:5]}"


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_message_translated_with_same_placeholders_and_tags(locale: str) -> None:
    catalog = _catalog(locale)
    nplurals = catalog.num_plurals
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if isinstance(message.id, tuple) and len(strings) != nplurals:
            problems.append(f"{ids[0]!r}: {len(strings)} plural forms, want {nplurals}")
        for text in strings:
            if not text:
                problems.append(f"{ids[0]!r}: untranslated")
                continue
            if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(ids[-1])):
                problems.append(f"{ids[0]!r}: placeholders differ")
            if sorted(TAG.findall(text)) != sorted(TAG.findall(ids[0])):
                problems.append(f"{ids[0]!r}: HTML tags differ")
        if message.fuzzy:
            problems.append(f"{ids[0]!r}: fuzzy")
    assert not problems, "\n".join(problems[:20])


def test_catalogues_load_and_translate() -> None:
    i18n = create_i18n("en")
    assert set(SHIPPED) <= set(i18n.available_locales)
    assert i18n.gettext("Main menu", locale="ru") != "Main menu"
    assert i18n.pick("ru-RU") == "ru" and i18n.pick("de") == "en" and i18n.pick(None) == "en"
