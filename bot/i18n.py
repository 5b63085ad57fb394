"""Gettext catalogues for the bot, loaded straight from the committed `.po` files.

aiogram's I18n wants compiled `.mo` files; compiling them in memory at start-up means a
fresh clone, a Docker image and a test run all see the same texts with no build step.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po


def _locales_dir() -> Path:
    """locales/ beside the code in a checkout, else in the working directory (an installed
    package, e.g. the Docker image, whose WORKDIR holds locales/)."""
    beside = Path(__file__).resolve().parent.parent / "locales"
    return beside if beside.is_dir() else Path.cwd() / "locales"


LOCALES_DIR = _locales_dir()
DOMAIN = "messages"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


class Catalogues(I18n):
    @contextmanager
    def context(self) -> Iterator[I18n]:
        # aiogram's gettext looks the instance up on I18n itself; a subclass would get a
        # context variable of its own (ContextInstanceMixin), so set it on the base class.
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        if not self.path.is_dir():
            return translations
        for folder in sorted(self.path.iterdir()):
            po_path = folder / "LC_MESSAGES" / f"{self.domain}.po"
            if not po_path.is_file():
                continue
            with po_path.open("rb") as fp:
                catalog = read_po(fp, locale=folder.name, domain=self.domain)
            buffer = BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            translations[folder.name] = gettext.GNUTranslations(buffer)
        return translations

    def pick(self, *candidates: str | None) -> str:
        """The first candidate language we ship (by its base code), else the default."""
        for candidate in candidates:
            if not candidate:
                continue
            base = candidate.replace("_", "-").split("-")[0].lower()
            if base in self.locales or base == "en":
                return base
        return self.default_locale


@contextmanager
def in_language(i18n: I18n, language: str | None) -> Iterator[None]:
    """gettext in `language` (a shipped one, else the default locale) inside the block."""
    pick = getattr(i18n, "pick", None)
    locale = pick(language) if callable(pick) else (language or i18n.default_locale)
    token = I18n.set_current(i18n)
    try:
        with i18n.use_locale(locale):
            yield
    finally:
        I18n.reset_current(token)


def pgettext(context: str, message: str) -> str:
    """gettext of `message` in a context (msgctxt), for a word whose translation depends
    on what it is said of: an order is "выполнен", a refill "выполнена"."""
    i18n = I18n.get_current(no_error=True)
    if i18n is None:
        return message
    translations = i18n.locales.get(i18n.current_locale)
    return translations.pgettext(context, message) if translations is not None else message


def create_i18n(default_locale: str = "en", path: Path = LOCALES_DIR) -> Catalogues:
    return Catalogues(path=path, default_locale=default_locale, domain=DOMAIN)


def fill_source_catalogue(po_path: Path) -> int:
    """English is the source language: its catalogue translates every msgid to itself.

    Run by `make messages` after new texts are extracted; returns how many were filled.
    """
    with po_path.open("rb") as fp:
        catalog = read_po(fp)
    filled = 0
    for message in catalog:
        translated = message.string and (
            not isinstance(message.string, tuple) or all(message.string)
        )
        if not message.id or translated:
            continue
        if isinstance(message.id, tuple):
            message.string = (message.id[0], message.id[1])
        else:
            message.string = message.id
        filled += 1

    with po_path.open("wb") as fp:
        write_po(fp, catalog, width=100, omit_header=False)
    return filled


if __name__ == "__main__":
    count = fill_source_catalogue(LOCALES_DIR / "en" / "LC_MESSAGES" / f"{DOMAIN}.po")
    print(f"en: {count} source texts filled")
