"""Our verifier and Digital Bazaar's JS stack agree on the Data Integrity part of the credential corpus.

Compared (one Node process for the whole batch, at the corpus clock, with the same DID documents and
status lists our resolver reads from tests/vectors/credentials/resolve-map.json):

- every ``valid/*.json`` (eddsa-rdfc-2022 and eddsa-jcs-2022; did:web, did:key, a status entry whose
  bit is clear): both accept;
- every ``invalid/<CODE>/*.json`` whose CODE is a proof, key, context or canonicalization failure
  (:data:`PROOF_CODES`): both refuse. For KEY_RESOLUTION_ERROR we say "indeterminate" and JS says
  "not verified": neither accepts.
- validity dates and status (EXPIRED, NOT_YET_VALID, REVOKED, STATUS_LIST_ERROR) are our checks; the JS
  harness happens to check dates and given lists too, so they are compared as well, except the
  list issued by another issuer (:data:`JS_DOES_NOT_CHECK`): the harness does not compare the list's
  issuer with the badge's.

Not compared: the VC-JWT files (the JS side checks JOSE only, with a key we would hand it) and
MALFORMED_CREDENTIAL (not Data Integrity questions).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from keys.encoding import did_web_from_url
from tests.conftest import NOW
from tests.interop.js import js_verify
from verifier.resolve import ChainFetcher, MapFetcher, OfflineFetcher, Resolver
from verifier.verify import verify_credential

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "vectors" / "credentials"

PROOF_CODES = frozenset(
    {
        "INVALID_SIGNATURE",
        "UNSUPPORTED_PROOF",
        "CONTEXT_NOT_ALLOWED",
        "CANONICALIZATION_ERROR",
        "INVALID_VERIFICATION_METHOD",
        "ISSUER_KEY_MISMATCH",
        "INVALID_PROOF_PURPOSE",
        "KEY_RESOLUTION_ERROR",
    }
)
VALIDITY_AND_STATUS_CODES = frozenset({"EXPIRED", "NOT_YET_VALID", "REVOKED", "STATUS_LIST_ERROR"})
JS_DOES_NOT_CHECK = frozenset({"invalid/STATUS_LIST_ERROR/ldp-status-list-of-another-issuer.json"})


def _name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def _ldp_cases(codes: frozenset[str]) -> list[Path]:
    return sorted(
        path
        for code in codes
        for path in (CORPUS / "invalid" / code).glob("*.json")
        if _name(path) not in JS_DOES_NOT_CHECK
    )


def _js_documents() -> dict[str, Any]:
    """The resolve map's documents, keyed as the JS loader wants them: DID documents by DID."""
    mapping: dict[str, str] = json.loads((CORPUS / "resolve-map.json").read_text(encoding="utf-8"))
    documents: dict[str, Any] = {}
    for url, file in mapping.items():
        key = did_web_from_url(url) if url.endswith("/did.json") else url
        documents[key] = json.loads((CORPUS / file).read_text(encoding="utf-8"))
    return documents


def _compare(paths: list[Path]) -> dict[str, tuple[str, bool, str]]:
    """name -> (our verdict, JS verified, JS error) for each file."""
    resolver = Resolver(ChainFetcher(MapFetcher.from_file(CORPUS / "resolve-map.json"), OfflineFetcher()))
    credentials = [json.loads(path.read_text(encoding="utf-8")) for path in paths]
    results = js_verify(
        [{"kind": "ldp", "credential": credential} for credential in credentials],
        documents=_js_documents(),
        now=NOW,
    )
    return {
        _name(path): (
            verify_credential(credential, resolver=resolver, now=NOW).verdict,
            result["verified"],
            str(result.get("error", "")),
        )
        for path, credential, result in zip(paths, credentials, results, strict=True)
    }


def test_corpus_agreement_on_the_data_integrity_cases(js_stack: None) -> None:
    valid = sorted((CORPUS / "valid").glob("*.json"))
    proof_cases = _ldp_cases(PROOF_CODES)
    dated_cases = _ldp_cases(VALIDITY_AND_STATUS_CODES)
    assert len(valid) >= 4
    assert {path.parent.name for path in proof_cases} == PROOF_CODES
    assert {path.parent.name for path in dated_cases} == VALIDITY_AND_STATUS_CODES

    outcomes = _compare(valid + proof_cases + dated_cases)  # one Node process

    accepted_by_both = {name for name, (ours, js, _) in outcomes.items() if ours == "valid" and js}
    refused_by_both = {name for name, (ours, js, _) in outcomes.items() if ours != "valid" and not js}
    assert accepted_by_both == {_name(path) for path in valid}, outcomes
    assert refused_by_both == {_name(path) for path in proof_cases + dated_cases}, outcomes
    # Our verdicts are the corpus's: invalid, except an unretrievable key (indeterminate).
    assert {name for name, (ours, _, _) in outcomes.items() if ours == "indeterminate"} == {
        _name(path) for path in proof_cases if path.parent.name == "KEY_RESOLUTION_ERROR"
    }
