"""CLR 2.0 transcripts in Digital Bazaar's JavaScript stack: a transcript of 20 badges signed by the
project verifies there with the same CLR context as in Python (in tests, the test-made stand-in supplied
the way an operator supplies the official file); a tampered transcript does not, nor one whose context
nobody supplied. 1EdTech's signed vector needs the official context: it runs where a developer has it."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from issuer.issuance import Award, build_credential
from issuer.transcripts import build_clr
from tests.conftest import NOW, SPEC, TestIssuer
from tests.interop.js import (
    VECTOR_CONTROLLER,
    VECTOR_KEY_MULTIBASE,
    controller_document,
    js_verify,
    require_js,
)
from verifier.document_loader import CONTEXTS_DIR_ENV, TEST_PINS_ENV, TEST_PINS_FLAG_ENV, operator_contexts

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

CLR_VECTOR = SPEC / "vectors" / "clr-eddsa-rdfc-2022" / "signed-clrcredential.json"
LEARNER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
CLR_CONTEXT_URL = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
# A developer's own folder holding the official context (read before any test changes the environment).
DEVELOPER_CONTEXTS = os.environ.get(CONTEXTS_DIR_ENV)


def _transcript(catalog: BadgeCatalog, issuer: TestIssuer) -> dict[str, Any]:
    slugs = sorted(definition.slug for definition in catalog)
    badges = []
    for number in range(20):
        award = Award(
            definition=catalog.get(slugs[number % len(slugs)]), level=3 + number % 2, recipient=LEARNER
        )
        unsigned = build_credential(
            award,
            issuer.profile,
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{number:012d}",
            now=NOW,
            salt="s",
        )
        badges.append(issuer.sign_ldp(unsigned))
    unsigned_clr = build_clr(
        issuer.profile,
        credentials=badges,
        learner=LEARNER,
        credential_id="urn:uuid:c1c1c1c1-0000-4000-8000-000000000001",
        name="Transcript for Northwest College",
        now=NOW,
        salt="s",
    )
    return issuer.sign_ldp(unsigned_clr)


def test_js_stack_verifies_a_project_transcript_with_the_same_clr_context(
    catalog: BadgeCatalog, issuer: TestIssuer, clr_context: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require_js()
    transcript = _transcript(catalog, issuer)
    tampered = copy.deepcopy(transcript)
    tampered["credentialSubject"]["verifiableCredential"][12]["credentialSubject"]["result"][0][
        "achievedLevel"
    ] += "-forged"
    documents = {issuer.did: json.loads((issuer.site / "did.json").read_text(encoding="utf-8"))}
    items = [transcript, *transcript["credentialSubject"]["verifiableCredential"], tampered]
    results = js_verify([{"kind": "ldp", "credential": item} for item in items], documents=documents, now=NOW)
    *accepted, forged = results
    assert accepted == [{"verified": True, "status": "none"}] * 21
    assert forged["verified"] is False
    assert "Invalid signature" in forged["error"]

    # Nobody supplied the context: the JavaScript loader is not given it either, and refuses it.
    monkeypatch.delenv(CONTEXTS_DIR_ENV)
    without = js_verify([{"kind": "ldp", "credential": transcript}], documents=documents, now=NOW)
    assert without[0]["verified"] is False
    assert CLR_CONTEXT_URL in without[0]["error"]


def test_js_stack_verifies_the_1edtech_clr_vector_with_the_official_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pinned = operator_contexts()[CLR_CONTEXT_URL]
    official = Path(DEVELOPER_CONTEXTS or ".") / pinned.file
    if not DEVELOPER_CONTEXTS or not official.is_file():
        pytest.skip(f"no official CLR 2.0.1 context in {CONTEXTS_DIR_ENV} (not shipped; see docs/clr.md)")
    assert hashlib.sha256(official.read_bytes()).hexdigest() == pinned.sha256
    require_js()
    monkeypatch.setenv(CONTEXTS_DIR_ENV, str(official.parent))
    monkeypatch.delenv(TEST_PINS_ENV, raising=False)
    monkeypatch.delenv(TEST_PINS_FLAG_ENV, raising=False)
    vector = json.loads(CLR_VECTOR.read_text(encoding="utf-8"))
    documents = {VECTOR_CONTROLLER: controller_document(VECTOR_CONTROLLER, VECTOR_KEY_MULTIBASE)}
    results = js_verify([{"kind": "ldp", "credential": vector}], documents=documents, now=NOW)
    assert results == [{"verified": True, "status": "none"}]
