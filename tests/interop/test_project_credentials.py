"""The project's own credentials against Digital Bazaar's JavaScript stack and jose, both ways (issue #3).

- What the project issues (every example badge, e-mail and DID recipients, eddsa-rdfc-2022 and
  eddsa-jcs-2022 by a did:web and a did:key issuer, VC-JWTs in RS256, ES256 and EdDSA, Bitstring
  status lists) verifies in the JS stack.
- What the JS stack signs verifies in ``verify_credential`` and in the installed ``badges verify``,
  and its tampered copies are rejected by both sides with the right code.

Each Node start costs one to two seconds, so the module signs and verifies in batches, once, in
module-scoped fixtures; the tests only read the results.
"""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from issuer.issuance import (
    Attester,
    Award,
    EvidenceItem,
    IssuerProfile,
    build_credential,
    sign_data_integrity,
)
from keys.encoding import did_key_from_public_key, did_web_to_url, public_key_to_jwk
from keys.publish import jwks
from tests.conftest import NOW, TestIssuer
from tests.interop import js
from tests.interop.js import (
    JsBridgeError,
    _manifest_entries,
    controller_document,
    did_key,
    ed25519_multibase,
    js_sign_jwt,
    js_sign_ldp,
    js_verify,
    pinned_contexts,
    require_js,
)
from verifier.document_loader import DEFAULT_LOADER, operator_contexts, pinned_context_urls
from verifier.proofs import vc_jwt
from verifier.resolve import ChainFetcher, MapFetcher, OfflineFetcher, Resolver
from verifier.status import BitstringStatusList, status_entry, status_list_credential
from verifier.verify import VerificationReport, verify_credential

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog
    from issuer.issuance import CryptosuiteName
    from keys.signer import Signer

BADGES = Path(sys.executable).parent / "badges"
SLUGS = ("math-7rp-proportional", "weld-smaw-3f", "weld-smaw-4f", "workplace-communication")
CRYPTOSUITES: tuple[CryptosuiteName, ...] = ("eddsa-rdfc-2022", "eddsa-jcs-2022")
JWT_ALGORITHMS = ("RS256", "ES256", "EdDSA")
EMAIL = "Ana.Lopez@students.example.org"
LEARNER_DID = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
STATUS_LIST_URL = "https://badges.example.edu/status/revocation-1"
CLEAR_INDEX, REVOKED_INDEX = 40_321, 94_117

# The JS side's keys: fixed seeds, so its signatures are reproducible.
JS_SEED = bytes.fromhex("9f2c4b7e1d0a5c8e3f6b2a1d4c7e0f9a8b5c2d1e4f7a0b3c6d9e2f5a8b1c4d7e")
OTHER_SEED = bytes.fromhex("1e4f7a0b3c6d9e2f5a8b1c4d7e9f2c4b7e1d0a5c8e3f6b2a1d4c7e0f9a8b5c2d")
JS_WEB_DID = "did:web:credentials.js-issuer.example:orgs:valley-cte"
UNKNOWN_CONTEXT = "https://example.org/contexts/unknown/v1"

# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def _credential_id(label: str) -> str:
    # Deterministic ids: the randomness of a real issuance is the caller's, here the label's.
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'https://mastery-badges.test/' + label)}"


def _award(catalog: BadgeCatalog, slug: str, recipient: str) -> Award:
    definition = catalog.get(slug)
    return Award(
        definition=definition,
        level=4 if recipient.startswith("did:") else definition.required_level,
        recipient=recipient,
        attester=Attester(
            id="https://lincoln-hs.example.edu/staff/r-okafor",
            name="R. Okafor",
            role=sorted(definition.attester_roles)[0],
            organization="Lincoln High School",
        ),
        evidence=(
            EvidenceItem(
                name="Assessment record",
                narrative="Observed on the **second** attempt; rubric sheet attached.",
                url="https://evidence.example.org/e/42",
                genre="Assessment",
            ),
            EvidenceItem(name="Supervisor's note", narrative="Worked safely and without coaching."),
        ),
        narrative="Awarded after the end-of-unit performance task.",
    )


def _build(
    catalog: BadgeCatalog,
    label: str,
    issuer: IssuerProfile,
    *,
    slug: str = "weld-smaw-3f",
    recipient: str = LEARNER_DID,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return build_credential(
        _award(catalog, slug, recipient),
        issuer,
        credential_id=_credential_id(label),
        now=NOW,
        salt=uuid.uuid5(uuid.NAMESPACE_URL, label).hex[:16],
        status=status,
    )


def _ldp(credential: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ldp", "credential": credential}


def _failures(report: VerificationReport) -> dict[str, str | None]:
    return {check.id: check.code for check in report.checks if not check.passed}


def _json_failures(report: dict[str, Any]) -> dict[str, str | None]:
    return {check["id"]: check["code"] for check in report["checks"] if not check["passed"]}


def _private_jwk(key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> dict[str, Any]:
    if isinstance(key, Ed25519PrivateKey):
        return OKPAlgorithm.to_jwk(key, as_dict=True)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return ECAlgorithm.to_jwk(key, as_dict=True)
    return RSAAlgorithm.to_jwk(key, as_dict=True)


def _b64url_json(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _run_badges_verify(paths: list[Path], *, resolve_map: Path) -> tuple[int, list[dict[str, Any]]]:
    completed = subprocess.run(
        [
            str(BADGES),
            "verify",
            *(str(p) for p in paths),
            "--json",
            "--offline",
            "--resolve",
            str(resolve_map),
            "--at",
            NOW.isoformat(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    reports = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    assert len(reports) == len(paths), completed.stdout + completed.stderr
    return completed.returncode, reports


# --------------------------------------------------------------------------------------------------
# 0. Both implementations canonicalize with the same context bytes
# --------------------------------------------------------------------------------------------------


def test_pinned_contexts_are_the_verifiers_pinned_contexts() -> None:
    contexts = pinned_contexts()
    # Every pinned context but those the operator supplies (not shipped; js_contexts adds them).
    assert set(contexts) == pinned_context_urls() - set(operator_contexts())
    assert {url: DEFAULT_LOADER(url)["document"] for url in contexts} == contexts


@pytest.mark.parametrize(
    "manifest",
    [
        {"https://a.example/ctx": "a.jsonld"},
        {"contexts": {"https://a.example/ctx": {"file": "a.jsonld", "sha256": "ab"}}},
        {"contexts": [{"url": "https://a.example/ctx", "file": "a.jsonld"}]},
    ],
)
def test_manifest_entries_refuses_other_shapes(manifest: Any) -> None:
    with pytest.raises(JsBridgeError, match=r"manifest\.json"):
        _manifest_entries(manifest)


def test_pinned_contexts_refuses_a_file_whose_sha256_differs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    entry = {"url": "https://a.example/ctx", "file": "a.jsonld", "sha256": "00" * 32}
    (tmp_path / "a.jsonld").write_text('{"@context": {}}', encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"contexts": [entry]}), encoding="utf-8")
    monkeypatch.setattr(js, "MANIFEST", tmp_path / "manifest.json")
    pinned_contexts.cache_clear()
    try:
        with pytest.raises(JsBridgeError, match=r"a\.jsonld: sha256 differs"):
            pinned_contexts()
    finally:
        # The cache must not keep this manifest's (failed) reading for the other tests.
        pinned_contexts.cache_clear()


# --------------------------------------------------------------------------------------------------
# 1. Every LDP credential the project issues verifies in the JS stack
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectLdp:
    """The project's signed credentials, what the JS stack said about each, and how to resolve them."""

    issuer: TestIssuer
    did_key_issuer: str
    credentials: dict[str, dict[str, Any]]
    js: dict[str, dict[str, Any]]
    resolver: Resolver


@pytest.fixture(name="web_issuer", scope="module")
def fx_web_issuer(issuer_store_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> TestIssuer:
    """The conftest did:web issuer (real encrypted key store), once for the module."""
    return TestIssuer.copied_from(issuer_store_dir, tmp_path_factory.mktemp("interop-issuer"))


@pytest.fixture(name="project_ldp", scope="module")
def fx_project_ldp(catalog: BadgeCatalog, web_issuer: TestIssuer) -> ProjectLdp:
    """Sign every (badge, recipient, issuer, cryptosuite) combination and verify all in one Node run."""
    require_js()
    ed_signer: Signer = web_issuer.signer("EdDSA")
    # The same store key, named as a did:key: the project's default issuer when no did:web is set.
    key_did = did_key_from_public_key(ed_signer.public_key())
    key_method = f"{key_did}#{key_did.removeprefix('did:key:')}"
    credentials: dict[str, dict[str, Any]] = {}
    for slug in SLUGS:
        for recipient_kind, recipient in (("email", EMAIL), ("did", LEARNER_DID)):
            for cryptosuite in CRYPTOSUITES:
                label = f"{slug}/{recipient_kind}/did:web/{cryptosuite}"
                credential = _build(catalog, label, web_issuer.profile, slug=slug, recipient=recipient)
                credentials[label] = web_issuer.sign_ldp(credential, cryptosuite=cryptosuite)
                label = f"{slug}/{recipient_kind}/did:key/{cryptosuite}"
                profile = IssuerProfile(id=key_did, name="Lincoln High School")
                credential = _build(catalog, label, profile, slug=slug, recipient=recipient)
                credentials[label] = sign_data_integrity(
                    credential,
                    ed_signer,
                    verification_method=key_method,
                    created=NOW,
                    cryptosuite=cryptosuite,
                )

    # Bitstring status: one list, one badge whose bit is clear and one whose bit is set.
    bits = BitstringStatusList()
    bits.set(REVOKED_INDEX, 1)
    status_list = web_issuer.sign_ldp(
        status_list_credential(
            list_url=STATUS_LIST_URL,
            issuer=web_issuer.did,
            purpose="revocation",
            encoded_list=bits.encode(),
            valid_from=NOW,
        )
    )
    list_path = web_issuer.site / "status-revocation-1.json"
    list_path.write_text(json.dumps(status_list), encoding="utf-8")
    for label, index in (("status/clear", CLEAR_INDEX), ("status/revoked", REVOKED_INDEX)):
        entry = status_entry(list_url=STATUS_LIST_URL, index=index, purpose="revocation")
        credentials[label] = web_issuer.sign_ldp(_build(catalog, label, web_issuer.profile, status=entry))

    # A negative control in the same batch: the JS side is not accepting everything.
    tampered = copy.deepcopy(credentials["weld-smaw-3f/email/did:web/eddsa-rdfc-2022"])
    tampered["credentialSubject"]["result"][0]["achievedLevel"] = tampered["credentialSubject"]["result"][0][
        "achievedLevel"
    ].replace("level-3", "level-4")
    credentials["tampered/achievedLevel"] = tampered

    did_document = json.loads((web_issuer.site / "did.json").read_text(encoding="utf-8"))
    results = js_verify(
        [_ldp(c) for c in credentials.values()],
        documents={web_issuer.did: did_document, STATUS_LIST_URL: status_list},
        now=NOW,
    )
    return ProjectLdp(
        issuer=web_issuer,
        did_key_issuer=key_did,
        credentials=credentials,
        js=dict(zip(credentials, results, strict=True)),
        resolver=web_issuer.resolver({STATUS_LIST_URL: list_path}),
    )


def _issued_labels(batch: ProjectLdp) -> list[str]:
    return [label for label in batch.credentials if not label.startswith(("status/", "tampered/"))]


def test_js_verify_accepts_every_project_ldp_credential(project_ldp: ProjectLdp) -> None:
    labels = _issued_labels(project_ldp)
    # 4 badges x 2 recipients x 2 issuers x 2 cryptosuites.
    assert len(labels) == 32
    assert {project_ldp.credentials[label]["proof"][0]["cryptosuite"] for label in labels} == set(
        CRYPTOSUITES
    )
    assert {project_ldp.credentials[label]["issuer"]["id"] for label in labels} == {
        project_ldp.issuer.did,
        project_ldp.did_key_issuer,
    }
    assert {label: project_ldp.js[label] for label in labels} == {
        label: {"verified": True, "status": "none"} for label in labels
    }


def test_js_verify_rejects_tampered_project_credential(project_ldp: ProjectLdp) -> None:
    result = project_ldp.js["tampered/achievedLevel"]
    assert result["verified"] is False
    assert "Invalid signature" in result["error"]


def test_verify_credential_agrees_on_every_project_ldp_credential(project_ldp: ProjectLdp) -> None:
    labels = _issued_labels(project_ldp)
    verdicts = {
        label: verify_credential(
            project_ldp.credentials[label], resolver=project_ldp.resolver, now=NOW
        ).verdict
        for label in labels
    }
    assert verdicts == dict.fromkeys(labels, "valid")
    tampered = verify_credential(
        project_ldp.credentials["tampered/achievedLevel"], resolver=project_ldp.resolver, now=NOW
    )
    assert _failures(tampered) == {"proof": "INVALID_SIGNATURE"}


def test_js_verify_reads_project_status_list(project_ldp: ProjectLdp) -> None:
    clear = verify_credential(project_ldp.credentials["status/clear"], resolver=project_ldp.resolver, now=NOW)
    revoked = verify_credential(
        project_ldp.credentials["status/revoked"], resolver=project_ldp.resolver, now=NOW
    )

    assert project_ldp.js["status/clear"] == {"verified": True, "status": "valid"}
    assert project_ldp.js["status/revoked"]["verified"] is False
    assert project_ldp.js["status/revoked"]["status"] == "revocation"
    assert clear.verdict == "valid"
    assert _failures(revoked) == {"status": "REVOKED"}


# --------------------------------------------------------------------------------------------------
# 2. The project's VC-JWTs verify with jose
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectJwts:
    credential: dict[str, Any]
    tokens: dict[str, str]
    public_jwks: dict[str, dict[str, Any]]
    js: list[dict[str, Any]]


@pytest.fixture(name="project_jwts", scope="module")
def fx_project_jwts(catalog: BadgeCatalog, web_issuer: TestIssuer) -> ProjectJwts:
    """RS256, ES256 and EdDSA VC-JWTs of one badge, checked by jose in one Node run."""
    require_js()
    credential = _build(catalog, "jwt/weld-smaw-4f", web_issuer.profile, slug="weld-smaw-4f")
    tokens = {alg: web_issuer.sign_jwt(credential, alg) for alg in JWT_ALGORITHMS}
    # The keys as the issuer publishes them (JWKS, kid = the DID URL of the verification method).
    published = {
        key["kid"]: key for key in jwks(web_issuer.store.published_records(), did=web_issuer.did)["keys"]
    }
    public_jwks = {alg: published[web_issuer.method(web_issuer.signer(alg))] for alg in JWT_ALGORITHMS}
    items = [
        {"kind": "jwt", "token": tokens[alg], "jwk": public_jwks[alg], "alg": alg} for alg in JWT_ALGORITHMS
    ]
    # The allow-list matters: each token offered under another algorithm's key and allow-list.
    items += [
        {"kind": "jwt", "token": tokens[alg], "jwk": public_jwks[other], "alg": other}
        for alg, other in zip(JWT_ALGORITHMS, JWT_ALGORITHMS[1:] + JWT_ALGORITHMS[:1], strict=True)
    ]
    return ProjectJwts(credential, tokens, public_jwks, js_verify(items, now=NOW))


def test_jose_verifies_project_vc_jwts(project_jwts: ProjectJwts, web_issuer: TestIssuer) -> None:
    expected_payload = vc_jwt.jwt_claims(project_jwts.credential)
    for alg, result in zip(JWT_ALGORITHMS, project_jwts.js[:3], strict=True):
        assert result["verified"] is True, (alg, result)
        assert result["payload"] == expected_payload
        assert result["header"] == {
            "alg": alg,
            "kid": web_issuer.method(web_issuer.signer(alg)),
            "typ": "JWT",
        }
    assert project_jwts.public_jwks["RS256"]["kty"] == "RSA"
    assert "d" not in project_jwts.public_jwks["EdDSA"]


def test_jose_refuses_project_vc_jwt_outside_the_alg_allow_list(project_jwts: ProjectJwts) -> None:
    crossed = project_jwts.js[3:]
    assert [r["verified"] for r in crossed] == [False, False, False]
    assert all('"alg" (Algorithm) Header Parameter value not allowed' in r["error"] for r in crossed)


# --------------------------------------------------------------------------------------------------
# 3. and 4. What the JS stack signs verifies here; its tampered copies are rejected by both sides
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JsSigned:
    """Credentials signed by the JS stack (valid and tampered), and a resolve map for them."""

    valid: dict[str, dict[str, Any] | str]
    tampered: dict[str, dict[str, Any] | str]
    resolver: Resolver
    resolve_map: Path
    did_web_document: dict[str, Any]
    directory: Path


def _js_did_web_document(jwt_keys: dict[str, Any]) -> dict[str, Any]:
    """The JS issuer's did:web document: its Ed25519 Multikey and one JsonWebKey per JWT algorithm."""
    document = controller_document(JS_WEB_DID, ed25519_multibase(JS_SEED))
    document["@context"] = [*document["@context"], "https://w3id.org/security/jwk/v1"]
    for alg, key in jwt_keys.items():
        method_id = f"{JS_WEB_DID}#jwt-{alg.lower()}"
        document["verificationMethod"].append(
            {
                "id": method_id,
                "type": "JsonWebKey",
                "controller": JS_WEB_DID,
                "publicKeyJwk": public_key_to_jwk(key.public_key()),
            }
        )
        document["assertionMethod"].append(method_id)
    return document


@pytest.fixture(name="js_signed", scope="module")
def fx_js_signed(catalog: BadgeCatalog, tmp_path_factory: pytest.TempPathFactory) -> JsSigned:
    """Sign with Digital Bazaar's stack and jose (one Node start per signature: sign.mjs takes one)."""
    require_js()
    js_key_did, other_did = did_key(JS_SEED), did_key(OTHER_SEED)
    key_profile = IssuerProfile(id=js_key_did, name="Valley CTE Program")
    web_profile = IssuerProfile(id=JS_WEB_DID, name="Valley CTE Program", url="https://valley-cte.example")

    valid: dict[str, dict[str, Any] | str] = {}
    for cryptosuite in CRYPTOSUITES:
        label = f"js/did:key/{cryptosuite}"
        valid[label] = js_sign_ldp(
            _build(catalog, label, key_profile, slug="workplace-communication", recipient=EMAIL),
            seed=JS_SEED,
            controller=js_key_did,
            cryptosuite=cryptosuite,
            created=NOW,
        )
    valid["js/did:web/eddsa-rdfc-2022"] = js_sign_ldp(
        _build(catalog, "js/did:web", web_profile, slug="math-7rp-proportional"),
        seed=JS_SEED,
        controller=JS_WEB_DID,
        created=NOW,
    )

    jwt_keys: dict[str, Any] = {
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ES256": ec.derive_private_key(int.from_bytes(JS_SEED, "big"), ec.SECP256R1()),
        "EdDSA": Ed25519PrivateKey.from_private_bytes(JS_SEED),
    }
    jwt_credential = _build(catalog, "js/jwt", web_profile, slug="weld-smaw-4f")
    for alg, key in jwt_keys.items():
        valid[f"jose/{alg}"] = js_sign_jwt(
            vc_jwt.jwt_claims(jwt_credential),
            header={"alg": alg, "kid": f"{JS_WEB_DID}#jwt-{alg.lower()}", "typ": "JWT"},
            private_jwk=_private_jwk(key),
        )

    signed = valid["js/did:key/eddsa-rdfc-2022"]
    assert isinstance(signed, dict)
    tampered: dict[str, dict[str, Any] | str] = {}
    renamed = copy.deepcopy(signed)
    renamed["name"] = renamed["name"] + " (Honors)"
    tampered["name changed"] = renamed
    swapped = copy.deepcopy(signed)
    swapped["proof"]["verificationMethod"] = f"{other_did}#{ed25519_multibase(OTHER_SEED)}"
    tampered["key swapped"] = swapped
    # Really signed by another did:key, while the issuer is still the first one.
    tampered["signed by another key"] = js_sign_ldp(
        _build(catalog, "js/other-key", key_profile, slug="workplace-communication"),
        seed=OTHER_SEED,
        controller=other_did,
        created=NOW,
    )
    # sign.mjs always signs for assertionMethod (vc.issue's default purpose): mutate it afterwards.
    purpose = copy.deepcopy(signed)
    purpose["proof"]["proofPurpose"] = "authentication"
    tampered["proof purpose"] = purpose
    context = copy.deepcopy(signed)
    context["@context"] = [*context["@context"], UNKNOWN_CONTEXT]
    tampered["unknown context"] = context
    expired = _build(catalog, "js/expired", key_profile, slug="weld-smaw-3f")
    expired.update(
        validFrom="2022-09-01T08:00:00Z",
        awardedDate="2022-09-01T08:00:00Z",
        validUntil="2025-09-01T08:00:00Z",
    )
    tampered["expired"] = js_sign_ldp(
        expired, seed=JS_SEED, controller=js_key_did, created=NOW.replace(year=2022, month=9, day=1)
    )
    jose_eddsa = valid["jose/EdDSA"]
    assert isinstance(jose_eddsa, str)
    header = {"alg": "none", "kid": f"{JS_WEB_DID}#jwt-eddsa", "typ": "JWT"}
    tampered["alg none"] = f"{_b64url_json(header)}.{jose_eddsa.split('.')[1]}."

    directory = tmp_path_factory.mktemp("js-signed")
    document = _js_did_web_document(jwt_keys)
    (directory / "did.json").write_text(json.dumps(document), encoding="utf-8")
    resolve_map = directory / "resolve-map.json"
    resolve_map.write_text(json.dumps({did_web_to_url(JS_WEB_DID): "did.json"}), encoding="utf-8")
    return JsSigned(
        valid=valid,
        tampered=tampered,
        resolver=Resolver(ChainFetcher(MapFetcher.from_file(resolve_map), OfflineFetcher())),
        resolve_map=resolve_map,
        did_web_document=document,
        directory=directory,
    )


def _write(directory: Path, items: dict[str, dict[str, Any] | str], prefix: str) -> list[Path]:
    paths = []
    for number, value in enumerate(items.values()):
        suffix = "jwt" if isinstance(value, str) else "json"
        path = directory / f"{prefix}-{number}.{suffix}"
        path.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
        paths.append(path)
    return paths


# What our verifier must say about each tampered credential: the failed checks and their codes.
EXPECTED_FAILURES: dict[str, dict[str, str | None]] = {
    "name changed": {"proof": "INVALID_SIGNATURE"},
    # The other key cannot have signed it, and it is not the issuer's key either.
    "key swapped": {"proof": "INVALID_SIGNATURE", "issuer_key": "ISSUER_KEY_MISMATCH"},
    # A valid signature, by a key the issuer does not control.
    "signed by another key": {"issuer_key": "ISSUER_KEY_MISMATCH"},
    "proof purpose": {"proof": "INVALID_PROOF_PURPOSE"},
    "unknown context": {"proof": "CONTEXT_NOT_ALLOWED"},
    "expired": {"validity": "EXPIRED"},
    "alg none": {"proof": "UNSUPPORTED_PROOF"},
}


# What the JS stack says about the same tampered credentials (a fragment of its error message).
JS_ERRORS = {
    "name changed": "Invalid signature.",
    "key swapped": "Invalid signature.",
    "signed by another key": "Credential issuer must match the verification method controller.",
    "proof purpose": "insufficient proofs matched the acceptable suite(s) and required purpose(s)",
    "unknown context": f'URL: "{UNKNOWN_CONTEXT}"',
    "expired": 'is after "validUntil" (2025-09-01T08:00:00Z)',
    # jose is asked for EdDSA only: an unsecured JWT is outside the allow-list.
    "alg none": '"alg" (Algorithm) Header Parameter value not allowed',
}


def test_js_signed_proofs_name_the_expected_keys(js_signed: JsSigned) -> None:
    by_key = js_signed.valid["js/did:key/eddsa-rdfc-2022"]
    by_web = js_signed.valid["js/did:web/eddsa-rdfc-2022"]
    assert isinstance(by_key, dict)
    assert isinstance(by_web, dict)
    assert by_key["proof"]["verificationMethod"] == f"{did_key(JS_SEED)}#{ed25519_multibase(JS_SEED)}"
    assert by_web["proof"]["verificationMethod"] == f"{JS_WEB_DID}#{ed25519_multibase(JS_SEED)}"
    assert by_key["proof"]["created"] == "2026-11-23T12:00:00Z"


def test_verify_credential_accepts_js_signed_credentials(js_signed: JsSigned) -> None:
    reports = {
        label: verify_credential(value, resolver=js_signed.resolver, now=NOW)
        for label, value in js_signed.valid.items()
    }

    assert {label: _failures(r) for label, r in reports.items()} == {label: {} for label in js_signed.valid}
    assert {label: r.verdict for label, r in reports.items()} == dict.fromkeys(js_signed.valid, "valid")
    assert {label: r.format for label, r in reports.items()} == {
        label: "jwt" if label.startswith("jose/") else "ldp" for label in js_signed.valid
    }
    assert [c.id for c in reports["js/did:web/eddsa-rdfc-2022"].checks] == [
        "proof",
        "issuer_key",
        "structure",
        "validity",
        "status",
    ]


def test_badges_verify_cli_accepts_js_signed_credentials(js_signed: JsSigned) -> None:
    paths = _write(js_signed.directory, js_signed.valid, "valid")

    returncode, reports = _run_badges_verify(paths, resolve_map=js_signed.resolve_map)

    assert returncode == 0, reports
    assert [r["verdict"] for r in reports] == ["valid"] * len(paths)
    assert [r["credential"]["format"] for r in reports] == [
        "jwt" if label.startswith("jose/") else "ldp" for label in js_signed.valid
    ]


@pytest.mark.parametrize("label", list(EXPECTED_FAILURES))
def test_verify_credential_rejects_tampered_js_credential(js_signed: JsSigned, label: str) -> None:
    report = verify_credential(js_signed.tampered[label], resolver=js_signed.resolver, now=NOW)

    assert _failures(report) == EXPECTED_FAILURES[label]
    assert report.verdict == "invalid"


def test_badges_verify_cli_rejects_tampered_js_credentials(js_signed: JsSigned) -> None:
    paths = _write(js_signed.directory, js_signed.tampered, "tampered")

    returncode, reports = _run_badges_verify(paths, resolve_map=js_signed.resolve_map)

    assert returncode == 1
    assert (
        dict(zip(js_signed.tampered, (_json_failures(r) for r in reports), strict=True)) == EXPECTED_FAILURES
    )
    assert [r["verdict"] for r in reports] == ["invalid"] * len(paths)


def test_js_verify_rejects_tampered_js_credentials(js_signed: JsSigned) -> None:
    eddsa_jwk = next(
        method["publicKeyJwk"]
        for method in js_signed.did_web_document["verificationMethod"]
        if method["id"] == f"{JS_WEB_DID}#jwt-eddsa"
    )
    items = [
        {"kind": "jwt", "token": value, "jwk": eddsa_jwk, "alg": "EdDSA"}
        if isinstance(value, str)
        else _ldp(value)
        for value in js_signed.tampered.values()
    ]

    results = dict(
        zip(
            js_signed.tampered,
            js_verify(items, documents={JS_WEB_DID: js_signed.did_web_document}, now=NOW),
            strict=True,
        )
    )

    assert {label: r["verified"] for label, r in results.items()} == dict.fromkeys(js_signed.tampered, False)
    errors = {label: r["error"] for label, r in results.items()}
    unexpected = {
        label: errors[label] for label, fragment in JS_ERRORS.items() if fragment not in errors[label]
    }
    assert unexpected == {}
