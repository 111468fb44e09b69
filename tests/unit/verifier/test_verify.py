"""verify_credential: every check reported, with the right code for each kind of failure."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest

from issuer.issuance import Award, build_credential
from tests.conftest import NOW, TestIssuer
from verifier.status import BitstringStatusList, status_entry, status_list_credential
from verifier.verify import VerifyOptions, verify_credential

if TYPE_CHECKING:
    from pathlib import Path

    from issuer.definitions import BadgeCatalog

LIST_URL = "https://badges.example.edu/orgs/lincoln-hs/status/revocation/1"


def _credential(
    catalog: BadgeCatalog,
    issuer: TestIssuer,
    *,
    status: dict[str, Any] | None = None,
    slug: str = "math-7rp-proportional",
) -> dict[str, Any]:
    award = Award(definition=catalog.get(slug), level=3, recipient="learner@example.org")
    return build_credential(
        award,
        issuer.profile,
        credential_id="urn:uuid:7d4c2c1e-1111-4a4a-9b9b-0123456789ab",
        now=NOW,
        salt="5a1t",
        status=status,
    )


def _codes(report: Any) -> dict[str, str | None]:
    return {c.id: c.code for c in report.checks if not c.passed}


def _publish_list(issuer: TestIssuer, *, revoked: set[int], purpose: str = "revocation") -> Path:
    bits = BitstringStatusList()
    for index in revoked:
        bits.set(index, 1)
    unsigned = status_list_credential(
        list_url=LIST_URL,
        issuer=issuer.did,
        purpose=purpose,
        encoded_list=bits.encode(),
        valid_from=NOW - timedelta(days=1),
    )
    path = issuer.site / "status-1.json"
    path.write_text(json.dumps(issuer.sign_ldp(unsigned)), encoding="utf-8")
    return path


def test_verify_valid_credential_passes_every_check(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    report = verify_credential(
        issuer.sign_ldp(_credential(catalog, issuer)), resolver=issuer.resolver(), now=NOW
    )
    assert report.verdict == "valid"
    assert all(c.passed for c in report.checks)
    assert report.to_json()["credential"]["achievementName"] == catalog.get("math-7rp-proportional").name


def test_verify_changed_name_is_invalid_signature(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer))
    signed["credentialSubject"]["achievement"]["name"] += " (honours)"
    report = verify_credential(signed, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "invalid"
    assert _codes(report) == {"proof": "INVALID_SIGNATURE"}


def test_verify_changed_level_is_invalid_signature(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer))
    result = signed["credentialSubject"]["result"][0]
    result["achievedLevel"] = result["achievedLevel"].replace("level-3", "level-4")
    assert _codes(verify_credential(signed, resolver=issuer.resolver(), now=NOW)) == {
        "proof": "INVALID_SIGNATURE"
    }


def test_verify_expired_and_not_yet_valid(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer, slug="weld-smaw-3f"))  # valid for P3Y
    later = verify_credential(signed, resolver=issuer.resolver(), now=NOW + timedelta(days=4 * 366))
    earlier = verify_credential(signed, resolver=issuer.resolver(), now=NOW - timedelta(seconds=1))
    assert _codes(later) == {"validity": "EXPIRED"}
    assert _codes(earlier) == {"validity": "NOT_YET_VALID"}


def test_verify_key_from_another_issuer_is_refused(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer))
    forged = copy.deepcopy(signed)
    forged["issuer"]["id"] = "did:web:other-district.example"
    report = verify_credential(forged, resolver=issuer.resolver(), now=NOW)
    # The signature no longer matches either; and the key is not the claimed issuer's.
    assert _codes(report) == {"proof": "INVALID_SIGNATURE", "issuer_key": "ISSUER_KEY_MISMATCH"}


def test_verify_unreachable_did_document_is_indeterminate(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer))
    from verifier.resolve import OfflineFetcher, Resolver

    report = verify_credential(signed, resolver=Resolver(OfflineFetcher()), now=NOW)
    assert report.verdict == "indeterminate"
    assert _codes(report) == {"proof": "KEY_RESOLUTION_ERROR"}


def test_verify_rotated_key_still_verifies_revoked_key_does_not(
    catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer))
    old_key = issuer.signer("EdDSA").key_id
    issuer.store.rotate("EdDSA", now=NOW)
    issuer.publish()
    assert verify_credential(signed, resolver=issuer.resolver(), now=NOW).verdict == "valid"
    issuer.store.revoke(old_key, reason="laptop stolen", now=NOW)
    issuer.publish()
    report = verify_credential(signed, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "invalid"
    assert _codes(report) == {"proof": "INVALID_VERIFICATION_METHOD"}


def test_verify_revoked_credential(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    entry = status_entry(list_url=LIST_URL, index=94_567, purpose="revocation")
    signed = issuer.sign_ldp(_credential(catalog, issuer, status=entry))
    resolver = issuer.resolver({LIST_URL: _publish_list(issuer, revoked={5})})
    assert verify_credential(signed, resolver=resolver, now=NOW).verdict == "valid"
    resolver = issuer.resolver({LIST_URL: _publish_list(issuer, revoked={5, 94_567})})
    report = verify_credential(signed, resolver=resolver, now=NOW)
    assert _codes(report) == {"status": "REVOKED"}


def test_verify_status_list_not_reachable_is_indeterminate(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    entry = status_entry(list_url=LIST_URL, index=10, purpose="revocation")
    signed = issuer.sign_ldp(_credential(catalog, issuer, status=entry))
    report = verify_credential(signed, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "indeterminate"
    assert _codes(report) == {"status": "STATUS_RETRIEVAL_ERROR"}


def test_verify_forged_status_list_is_refused(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    entry = status_entry(list_url=LIST_URL, index=10, purpose="revocation")
    signed = issuer.sign_ldp(_credential(catalog, issuer, status=entry))
    path = _publish_list(issuer, revoked={10})
    forged = json.loads(path.read_text(encoding="utf-8"))
    forged["credentialSubject"]["encodedList"] = BitstringStatusList().encode()  # "nobody is revoked"
    path.write_text(json.dumps(forged), encoding="utf-8")
    report = verify_credential(signed, resolver=issuer.resolver({LIST_URL: path}), now=NOW)
    assert report.verdict == "invalid"
    assert _codes(report) == {"status": "STATUS_LIST_ERROR"}


def test_verify_status_check_can_be_turned_off(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    entry = status_entry(list_url=LIST_URL, index=10, purpose="revocation")
    signed = issuer.sign_ldp(_credential(catalog, issuer, status=entry))
    report = verify_credential(
        signed, resolver=issuer.resolver(), now=NOW, options=VerifyOptions(check_status=False)
    )
    assert report.verdict == "valid"
    assert report.check("status") is None


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "MALFORMED_CREDENTIAL"),
        (b"[1, 2]", "MALFORMED_CREDENTIAL"),
        (b"\xff\xfe", "MALFORMED_CREDENTIAL"),
        (b"[" * 100_000 + b"]" * 100_000, "MALFORMED_CREDENTIAL"),
        (b" " * (3 * 1024 * 1024), "MALFORMED_CREDENTIAL"),
    ],
)
def test_verify_garbage_is_malformed_not_a_crash(issuer: TestIssuer, raw: bytes, code: str) -> None:
    report = verify_credential(raw, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "invalid"
    assert _codes(report) == {"format": code}


def test_verify_unsigned_credential_is_invalid(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    report = verify_credential(_credential(catalog, issuer), resolver=issuer.resolver(), now=NOW)
    assert _codes(report)["proof"] == "MALFORMED_CREDENTIAL"


def test_verify_injected_unknown_context_is_refused(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer))
    signed["@context"].append("https://evil.example/context.json")
    report = verify_credential(signed, resolver=issuer.resolver(), now=NOW)
    assert _codes(report) == {"proof": "CONTEXT_NOT_ALLOWED"}


def test_verify_unknown_cryptosuite_is_unsupported(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer))
    signed["proof"][0]["cryptosuite"] = "eddsa-2099"
    assert _codes(verify_credential(signed, resolver=issuer.resolver(), now=NOW)) == {
        "proof": "UNSUPPORTED_PROOF"
    }


def test_verify_wrong_proof_purpose_is_refused(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer))
    signed["proof"][0]["proofPurpose"] = "authentication"
    assert _codes(verify_credential(signed, resolver=issuer.resolver(), now=NOW)) == {
        "proof": "INVALID_PROOF_PURPOSE"
    }


def test_verify_jcs_proof(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_credential(catalog, issuer), cryptosuite="eddsa-jcs-2022")
    assert verify_credential(signed, resolver=issuer.resolver(), now=NOW).verdict == "valid"
    signed["name"] = "Something else"
    assert _codes(verify_credential(signed, resolver=issuer.resolver(), now=NOW)) == {
        "proof": "INVALID_SIGNATURE"
    }


def _vc_1_1(credential: dict[str, Any]) -> dict[str, Any]:
    """The same badge in the VC 1.1 form some OB 3.0 issuers still use (issuanceDate, VC v1 context)."""
    old = copy.deepcopy(credential)
    old["@context"] = [
        "https://www.w3.org/2018/credentials/v1",
        old["@context"][1],
        "https://w3id.org/security/data-integrity/v2",
    ]
    old["issuanceDate"] = old.pop("validFrom")
    old["expirationDate"] = old.pop("validUntil")
    return old


def test_verify_vc_1_1_json_ld_credential(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    signed = issuer.sign_ldp(_vc_1_1(_credential(catalog, issuer, slug="weld-smaw-3f")))
    report = verify_credential(signed, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "valid", report.to_json()
    expired = verify_credential(signed, resolver=issuer.resolver(), now=NOW + timedelta(days=4 * 366))
    assert _codes(expired) == {"validity": "EXPIRED"}


def test_verify_vc_1_1_jwt_with_vc_claim(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    from verifier.proofs import vc_jwt

    award = Award(
        definition=catalog.get("weld-smaw-3f"),
        level=3,
        recipient="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    )
    credential = _vc_1_1(
        build_credential(award, issuer.profile, credential_id="urn:uuid:3f1d-legacy", now=NOW, salt="s")
    )
    payload = {
        "vc": credential,
        "iss": issuer.did,
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": int(NOW.timestamp()),
    }
    signer = issuer.signer("RS256")
    header = vc_jwt.jose_header("RS256", kid=issuer.method(signer))
    signing_input = vc_jwt.signing_input(header, payload)
    token = vc_jwt.assemble(signing_input, signer.sign(signing_input))
    report = verify_credential(token, resolver=issuer.resolver(), now=NOW)
    assert report.verdict == "valid", report.to_json()
    assert report.summary()["achievementName"] == catalog.get("weld-smaw-3f").name


@pytest.mark.parametrize(
    "appended",
    [
        "https://evil.example/ctx.json",
        {"name": "https://evil.example/name"},
        {"@vocab": "https://evil.example/"},
    ],
)
def test_verify_jcs_refuses_unsigned_unpinned_context(
    catalog: BadgeCatalog, issuer: TestIssuer, appended: str | dict[str, str]
) -> None:
    # eddsa-jcs-2022 signs only the proof's copy of @context; anything appended after it is unsigned.
    signed = issuer.sign_ldp(_credential(catalog, issuer), cryptosuite="eddsa-jcs-2022")
    signed["@context"].append(appended)
    assert _codes(verify_credential(signed, resolver=issuer.resolver(), now=NOW)) == {
        "proof": "CONTEXT_NOT_ALLOWED"
    }


def _jwks_signed(
    catalog: BadgeCatalog, issuer: TestIssuer, *, issuer_id: str, jwks_url: str
) -> tuple[dict[str, Any], Path]:
    """A credential whose proof names a key in a bare JWKS at ``jwks_url`` (no verification relationships)."""
    from issuer.issuance import IssuerProfile, sign_data_integrity
    from keys.publish import jwks

    award = Award(definition=catalog.get("weld-smaw-3f"), level=3, recipient="learner@example.org")
    credential = build_credential(
        award,
        IssuerProfile(id=issuer_id, name="Lincoln High School"),
        credential_id="urn:uuid:jwks-1",
        now=NOW,
        salt="s",
    )
    signer = issuer.signer("EdDSA")
    signed = sign_data_integrity(
        credential, signer, verification_method=f"{jwks_url}#{signer.key_id}", created=NOW
    )
    path = issuer.site / "jwks.json"
    path.write_text(json.dumps(jwks(issuer.store.published_records())), encoding="utf-8")
    return signed, path


def test_verify_key_of_another_tenant_on_the_same_host_is_refused(
    catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    # One service host serves many organisations: a key published under another organisation's path,
    # or any bare JWKS for a did:web issuer, is not the issuer's key.
    url = "https://badges.example.edu/orgs/evil-tenant/jwks.json"
    signed, path = _jwks_signed(catalog, issuer, issuer_id=issuer.did, jwks_url=url)
    assert _codes(verify_credential(signed, resolver=issuer.resolver({url: path}), now=NOW)) == {
        "issuer_key": "ISSUER_KEY_MISMATCH"
    }
    https_issuer = "https://badges.example.edu/orgs/lincoln-hs/issuer.json"
    signed, path = _jwks_signed(catalog, issuer, issuer_id=https_issuer, jwks_url=url)
    assert _codes(verify_credential(signed, resolver=issuer.resolver({url: path}), now=NOW)) == {
        "issuer_key": "ISSUER_KEY_MISMATCH"
    }


def test_verify_https_issuer_key_published_under_its_url(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    url = "https://badges.example.edu/orgs/lincoln-hs/jwks.json"
    signed, path = _jwks_signed(
        catalog, issuer, issuer_id="https://badges.example.edu/orgs/lincoln-hs/issuer.json", jwks_url=url
    )
    report = verify_credential(signed, resolver=issuer.resolver({url: path}), now=NOW)
    assert report.verdict == "valid", report.to_json()


def test_verify_forged_credential_does_not_fetch_its_status_list(
    catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    from verifier.resolve import ChainFetcher, MapFetcher, OfflineFetcher, RecordingFetcher, Resolver

    entry = status_entry(list_url="https://tracker.example/l", index=10, purpose="revocation")
    signed = issuer.sign_ldp(_credential(catalog, issuer, status=entry))
    signed["name"] = "Tampered"
    recorder = RecordingFetcher(ChainFetcher(MapFetcher.from_file(issuer.resolve_map()), OfflineFetcher()))
    report = verify_credential(signed, resolver=Resolver(recorder), now=NOW)
    assert _codes(report) == {"proof": "INVALID_SIGNATURE"}
    assert "https://tracker.example/l" not in recorder.fetched


def test_verify_status_list_must_be_the_one_named(catalog: BadgeCatalog, issuer: TestIssuer) -> None:
    entry = status_entry(list_url=LIST_URL, index=10, purpose="revocation")
    signed = issuer.sign_ldp(_credential(catalog, issuer, status=entry))
    other = issuer.site / "other-list.json"
    bits = BitstringStatusList()
    unsigned = status_list_credential(
        list_url=LIST_URL.replace("/1", "/2"),
        issuer=issuer.did,
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from=NOW - timedelta(days=1),
    )
    other.write_text(json.dumps(issuer.sign_ldp(unsigned)), encoding="utf-8")
    report = verify_credential(signed, resolver=issuer.resolver({LIST_URL: other}), now=NOW)
    assert _codes(report) == {"status": "STATUS_LIST_ERROR"}
