"""Gettext catalogues for the bot, loaded straight from the committed `.po` files.

aiogram's I18n wants compiled `.mo` files; compiling them in memory at start-up means a
fresh clone, a Docker image and a test run all see the same texts with no build step.
"""

from __future__ import annotations

import gettext
from io import BytesIO
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}


class Catalogues(I18n):
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


def create_i18n(default_locale: str = "en", path: Path = LOCALES_DIR) -> Catalogues:
    return Catalogues(path=path, default_locale=default_locale, domain=DOMAIN)
