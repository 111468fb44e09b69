"""Which language a page is rendered in, and the gettext catalogues (English is the source language).

Catalogues are the ``.po`` files under ``issuer/locale/<lang>/LC_MESSAGES/messages.po``, compiled in memory at
first use (Babel), so no compiled ``.mo`` file is kept in the repository. ``make messages`` extracts new
strings from the templates and code and updates the catalogues.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "LOCALE_DIR", "negotiate", "translations"]

LOCALE_DIR: Final = Path(__file__).resolve().parent.parent.parent / "locale"
DEFAULT_LANGUAGE: Final = "en"
LANGUAGES: Final = {"en": "English", "es": "Español"}
"""The languages offered, each named in itself (the language switcher shows these)."""


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of ``language`` (English and unknown languages: the source strings)."""
    po_file = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po_file.is_file():
        return gettext.NullTranslations()
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def _accepted(accept_language: str) -> list[str]:
    """Language tags of an Accept-Language header, best first (RFC 9110 §12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(chosen: str | None, accept_language: str | None) -> str:
    """The page language: the visitor's choice (cookie or ``?lang=``) if offered, else the best match of
    the browser's Accept-Language, else English."""
    if chosen in LANGUAGES:
        return chosen
    for tag in _accepted(accept_language or "")[:10]:
        try:
            language = Locale.parse(tag, sep="-").language
        except (ValueError, UnknownLocaleError):
            continue
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE
