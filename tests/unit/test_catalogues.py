"""The gettext catalogues: every string the pages show is in the Spanish catalogue, translated, with the
same placeholders (English is the source language, so it is complete by construction)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent.parent


def _source_messages() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT / "issuer"), method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _spanish() -> Catalog:
    with (ROOT / "issuer/locale/es/LC_MESSAGES/messages.po").open("rb") as po:
        return read_po(po, locale="es")


def test_every_page_string_is_in_the_spanish_catalogue() -> None:
    catalog = _spanish()
    known = {
        message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id
    }
    missing = sorted(_source_messages() - known)
    assert missing == [], "run `make messages`, then translate: " + "; ".join(missing)


def test_every_spanish_entry_is_translated_and_keeps_its_placeholders() -> None:
    catalog = _spanish()
    untranslated = [
        message.id for message in catalog if message.id and (not message.string or "fuzzy" in message.flags)
    ]
    assert untranslated == []
    problems = [(message.id, [str(error) for error in errors]) for message, errors in catalog.check()]
    assert problems == []


def test_the_catalogue_renders_a_page_string_in_spanish() -> None:
    from issuer.web.pages.i18n import negotiate, translations

    assert translations("es").gettext("Sign in") == "Iniciar sesión"
    assert translations("en").gettext("Sign in") == "Sign in"
    assert negotiate(None, "fr-CA, es-MX;q=0.8, en;q=0.5") == "es"
    assert negotiate(None, "de") == "en"
    assert negotiate("es", "en") == "es"
    assert negotiate("xx", "en;q=0, es") == "es"
