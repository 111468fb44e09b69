"""CLR 2.0 transcripts in Digital Bazaar's JavaScript stack: 1EdTech's signed CLR vector, and a transcript
of 20 badges signed by the project, both verify there with the same pinned CLR context; a tampered
transcript does not."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

CLR_VECTOR = SPEC / "vectors" / "clr-eddsa-rdfc-2022" / "signed-clrcredential.json"
LEARNER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


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


def test_js_stack_verifies_the_1edtech_clr_vector_and_a_project_transcript(
    catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    require_js()
    vector = json.loads(CLR_VECTOR.read_text(encoding="utf-8"))
    transcript = _transcript(catalog, issuer)
    tampered = copy.deepcopy(transcript)
    tampered["credentialSubject"]["verifiableCredential"][12]["credentialSubject"]["result"][0][
        "achievedLevel"
    ] += "-forged"
    documents = {
        VECTOR_CONTROLLER: controller_document(VECTOR_CONTROLLER, VECTOR_KEY_MULTIBASE),
        issuer.did: json.loads((issuer.site / "did.json").read_text(encoding="utf-8")),
    }
    items = [vector, transcript, *transcript["credentialSubject"]["verifiableCredential"], tampered]
    results = js_verify([{"kind": "ldp", "credential": item} for item in items], documents=documents, now=NOW)
    *accepted, forged = results
    assert accepted == [{"verified": True, "status": "none"}] * 22
    assert forged["verified"] is False
    assert "Invalid signature" in forged["error"]
