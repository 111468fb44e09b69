"""A test-made stand-in for the CLR 2.0.1 JSON-LD context, which the project may not ship.

The official context is not in the repository (docs/clr.md); CI has no copy. Tests that sign or verify
a ClrCredential write this stand-in into a folder, name it in ``BADGES_CONTEXTS_DIR`` and pin its own
SHA-256 for the official URL through the test-only override (``BADGES_TEST_CONTEXT_PINS`` with its
flag). It defines the CLR terms our transcripts use, written here from the CLR 2.0 data model's class
and property names, not copied from 1EdTech's file. Its IRIs are its own (under
``…/spec/clr/v2p0/vocab.html#``) and need not be the official file's, so a transcript signed in the
tests proves our signing and verifying code on a CLR-shaped document, not byte-equality with one signed
under the official context: the tests that need that file (1EdTech's CLR vector, the official context
in the JavaScript stack) run only where a developer supplied it (docs/clr.md).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final

from verifier.document_loader import (
    CONTEXTS_DIR_ENV,
    TEST_PINS_ENV,
    TEST_PINS_FLAG_ENV,
    TEST_PINS_FLAG_VALUE,
    operator_contexts,
)

if TYPE_CHECKING:
    from pathlib import Path

CLR_CONTEXT_URL: Final = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
_VOCAB: Final = "https://purl.imsglobal.org/spec/clr/v2p0/vocab.html#"
_XSD: Final = "http://www.w3.org/2001/XMLSchema#"


def _term(name: str, **definition: Any) -> dict[str, Any]:
    return {"@id": _VOCAB + name, **definition}


STAND_IN: Final[dict[str, Any]] = {
    "@context": {
        "@protected": True,
        "id": "@id",
        "type": "@type",
        "ClrCredential": _term(
            "ClrCredential",
            **{
                "@context": {
                    "@protected": True,
                    "id": "@id",
                    "type": "@type",
                    "partial": _term("partial", **{"@type": _XSD + "boolean"}),
                }
            },
        ),
        "ClrSubject": _term(
            "ClrSubject",
            **{
                "@context": {
                    "@protected": True,
                    "id": "@id",
                    "type": "@type",
                    "identifier": _term("identifier", **{"@container": "@set"}),
                    # Linked by id in the default graph, not a @graph container: the shape 1EdTech's
                    # signed CLR vector shows in its canonical N-Quads (spec/vectors/clr-eddsa-rdfc-2022).
                    "verifiableCredential": _term(
                        "verifiableCredential", **{"@type": "@id", "@container": "@set"}
                    ),
                    "achievement": _term("achievement", **{"@container": "@set"}),
                    "association": _term("association", **{"@container": "@set"}),
                }
            },
        ),
        "Association": _term("Association"),
    }
}


def stand_in_bytes() -> bytes:
    """The stand-in as the file a test writes."""
    return json.dumps(STAND_IN, indent=2).encode()


def supply_stand_in(folder: Path) -> dict[str, str]:
    """Write the stand-in into ``folder`` under the manifest's file name.

    Returns:
        The environment that makes the verifier serve it for the official URL: the folder and the
        test-only pin of the stand-in's own SHA-256.
    """
    folder.mkdir(parents=True, exist_ok=True)
    data = stand_in_bytes()
    (folder / operator_contexts()[CLR_CONTEXT_URL].file).write_bytes(data)
    return {
        CONTEXTS_DIR_ENV: str(folder),
        TEST_PINS_ENV: json.dumps({CLR_CONTEXT_URL: hashlib.sha256(data).hexdigest()}),
        TEST_PINS_FLAG_ENV: TEST_PINS_FLAG_VALUE,
    }
