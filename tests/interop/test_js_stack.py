"""The harness proves itself on published material: Digital Bazaar's stack and jose, offline."""

from __future__ import annotations

import base64
import copy
import gzip
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from tests.interop.js import (
    SPEC,
    VECTOR_CONTROLLER,
    VECTOR_CREATED,
    VECTOR_KEY_MULTIBASE,
    VECTOR_SEED,
    did_key,
    ed25519_multibase,
    js_sign_jwt,
    js_sign_ldp,
    js_verify,
    require_js,
    vector_credential,
    vector_documents,
)

if TYPE_CHECKING:
    from pathlib import Path

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SEED = bytes(range(32))
DCC_EXAMPLE = SPEC / "examples" / "dcc" / "obv3-eddsa-rdfc-2022-didkey-with-bitstring-status.json"
STATUS_LIST_URL = "https://example.edu/status/1"


def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _ldp(credential: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ldp", "credential": credential}


def _flip(text: str, index: int) -> str:
    """``text`` with one character changed, keeping digits digits so dates stay well formed."""
    char = text[index]
    replacement = str((int(char) + 1) % 10) if char.isdigit() else ("a" if char != "a" else "b")
    return text[:index] + replacement + text[index + 1 :]


def test_js_verify_accepts_1edtech_vector(js_stack: None) -> None:
    [result] = js_verify([_ldp(vector_credential(signed=True))], documents=vector_documents(), now=NOW)
    assert result == {"verified": True, "status": "none"}


def test_js_verify_accepts_dcc_example(js_stack: None) -> None:
    # Its status list is not passed (and DCC signed it with Ed25519Signature2020): status unchecked.
    [result] = js_verify([_ldp(_read(DCC_EXAMPLE))], now=NOW)
    assert result == {"verified": True, "status": "unchecked"}


def test_js_verify_rejects_one_character_tampers(js_stack: None) -> None:
    signed = vector_credential(signed=True)
    cases: dict[str, dict[str, Any]] = {}
    for label, (path, index) in {
        "name": (("name",), 12),
        "validFrom": (("validFrom",), 12),
        "achievement name": (("credentialSubject", "achievement", "name"), 3),
        "proof created": (("proof", "created"), 12),
        "proofValue": (("proof", "proofValue"), 40),
    }.items():
        tampered = copy.deepcopy(signed)
        parent = tampered
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = _flip(parent[path[-1]], index)
        assert tampered != signed
        cases[label] = tampered
    dcc = _read(DCC_EXAMPLE)
    dcc["credentialSubject"]["name"] = _flip(dcc["credentialSubject"]["name"], 0)
    cases["dcc subject name"] = dcc

    results = js_verify([_ldp(c) for c in cases.values()], documents=vector_documents(), now=NOW)

    assert {label: r["verified"] for label, r in zip(cases, results, strict=True)} == dict.fromkeys(
        cases, False
    )
    assert all("Invalid signature" in r["error"] for r in results)


def test_js_sign_ldp_reproduces_1edtech_vector(js_stack: None) -> None:
    # Ed25519 is deterministic: same key, document and proof options give the vector's proofValue.
    signed = js_sign_ldp(
        vector_credential(signed=False),
        seed=VECTOR_SEED,
        controller=VECTOR_CONTROLLER,
        created=datetime.fromisoformat(VECTOR_CREATED),
    )
    assert signed == vector_credential(signed=True)


@pytest.mark.parametrize("cryptosuite", ["eddsa-rdfc-2022", "eddsa-jcs-2022"])
def test_js_sign_ldp_did_key_round_trip_verifies(js_stack: None, cryptosuite: str) -> None:
    issuer = did_key(SEED)
    credential = vector_credential(signed=False)
    credential["issuer"]["id"] = issuer

    signed = js_sign_ldp(
        credential,
        seed=SEED,
        controller=issuer,
        cryptosuite=cryptosuite,
        created=datetime(2024, 5, 1, tzinfo=UTC),
    )
    tampered = copy.deepcopy(signed)
    tampered["name"] = "Teamwork Badge!"
    results = js_verify([_ldp(signed), _ldp(tampered)], now=NOW)

    assert signed["proof"]["verificationMethod"] == f"{issuer}#{ed25519_multibase(SEED)}"
    assert signed["proof"]["cryptosuite"] == cryptosuite
    assert signed["proof"]["created"] == "2024-05-01T00:00:00Z"
    assert [r["verified"] for r in results] == [True, False]


def test_js_verify_did_web_controller_document(js_stack: None) -> None:
    issuer = "did:web:badges.example.edu"
    credential = vector_credential(signed=False)
    credential["issuer"]["id"] = issuer
    signed = js_sign_ldp(
        credential,
        seed=SEED,
        controller=issuer,
        verification_method=f"{issuer}#key-1",
        created=datetime(2024, 5, 1, tzinfo=UTC),
    )
    right = {issuer: _did_web_document(issuer, ed25519_multibase(SEED))}
    wrong = {issuer: _did_web_document(issuer, ed25519_multibase(bytes(32)))}

    [with_right_key] = js_verify([_ldp(signed)], documents=right, now=NOW)
    [with_wrong_key] = js_verify([_ldp(signed)], documents=wrong, now=NOW)
    [without_document] = js_verify([_ldp(signed)], now=NOW)

    assert with_right_key["verified"] is True
    assert with_wrong_key["verified"] is False
    assert "Invalid signature" in with_wrong_key["error"]
    assert without_document["verified"] is False
    assert "Offline document loader" in without_document["error"]


def _did_web_document(did: str, public_key_multibase: str) -> dict[str, Any]:
    # A relative key id, as did:web documents often use.
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": "#key-1",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public_key_multibase,
            }
        ],
        "assertionMethod": ["#key-1"],
    }


def test_js_verify_refuses_unpinned_context(js_stack: None) -> None:
    credential = vector_credential(signed=True)
    credential["@context"] = [*credential["@context"], "https://example.org/not-pinned/v1"]

    [result] = js_verify([_ldp(credential)], documents=vector_documents(), now=NOW)

    assert result["verified"] is False
    assert "https://example.org/not-pinned/v1" in result["error"]


def test_js_verify_rejects_undefined_terms_in_safe_mode(js_stack: None) -> None:
    undefined_property = vector_credential(signed=True)
    undefined_property["undefinedTerm"] = "x"
    # The MEASURED.md trap: this type is defined only by the OB extensions context.
    undefined_type = vector_credential(signed=True)
    undefined_type["credentialSchema"] = [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]

    results = js_verify(
        [_ldp(undefined_property), _ldp(undefined_type)], documents=vector_documents(), now=NOW
    )

    assert [r["verified"] for r in results] == [False, False]
    assert all("Safe mode" in r["error"] for r in results)


def test_js_verify_checks_given_bitstring_status_list(js_stack: None) -> None:
    issuer = did_key(SEED)
    bits = bytearray(131_072 // 8)
    bits[0] = 0b0000_0100  # index 5 set (index 0 is the most significant bit of byte 0)
    encoded = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).rstrip(b"=").decode()
    status_list = js_sign_ldp(
        {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": STATUS_LIST_URL,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer,
            "validFrom": "2024-01-01T00:00:00Z",
            "credentialSubject": {
                "id": f"{STATUS_LIST_URL}#list",
                "type": "BitstringStatusList",
                "statusPurpose": "revocation",
                "encodedList": encoded,
            },
        },
        seed=SEED,
        controller=issuer,
        created=datetime(2024, 1, 1, tzinfo=UTC),
    )
    badges = [_badge_with_status(issuer, index) for index in (5, 6)]

    results = js_verify([_ldp(b) for b in badges], documents={STATUS_LIST_URL: status_list}, now=NOW)

    assert [(r["verified"], r["status"]) for r in results] == [(False, "revocation"), (True, "valid")]


def _badge_with_status(issuer: str, index: int) -> dict[str, Any]:
    credential = vector_credential(signed=False)
    credential["issuer"]["id"] = issuer
    credential["credentialStatus"] = {
        "id": f"{STATUS_LIST_URL}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": STATUS_LIST_URL,
    }
    return js_sign_ldp(credential, seed=SEED, controller=issuer, created=datetime(2024, 5, 1, tzinfo=UTC))


def _private_key(alg: str) -> Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    if alg == "EdDSA":
        return Ed25519PrivateKey.from_private_bytes(SEED)
    if alg == "ES256":
        return ec.derive_private_key(int.from_bytes(SEED, "big"), ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(key: Any, alg: str) -> dict[str, Any]:
    if alg == "EdDSA":
        return OKPAlgorithm.to_jwk(key, as_dict=True)
    if alg == "ES256":
        return ECAlgorithm.to_jwk(key, as_dict=True)
    return RSAAlgorithm.to_jwk(key, as_dict=True)


def _ob_payload() -> dict[str, Any]:
    credential = vector_credential(signed=False)
    return {
        **credential,
        "iss": credential["issuer"]["id"],
        "jti": credential["id"],
        "sub": credential["credentialSubject"]["id"],
        "nbf": int(datetime.fromisoformat(credential["validFrom"]).timestamp()),
    }


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
def test_js_sign_jwt_verifies_with_pyjwt(js_stack: None, alg: str) -> None:
    private_key = _private_key(alg)
    payload = _ob_payload()

    token = js_sign_jwt(payload, header={"alg": alg, "typ": "JWT"}, private_jwk=_jwk(private_key, alg))

    assert jwt.get_unverified_header(token) == {"alg": alg, "typ": "JWT"}
    assert jwt.decode(token, private_key.public_key(), algorithms=[alg]) == payload


@pytest.mark.parametrize("alg", ["EdDSA", "ES256", "RS256"])
def test_js_verify_jwt_from_pyjwt(js_stack: None, alg: str) -> None:
    private_key = _private_key(alg)
    public_jwk = _jwk(private_key.public_key(), alg)
    payload = _ob_payload()
    token = jwt.encode(payload, private_key, algorithm=alg)
    header, _, signature = token.split(".")
    tampered_body = base64.urlsafe_b64encode(
        json.dumps({**payload, "name": "Teamwork Badgf"}).encode()
    ).rstrip(b"=")
    # Algorithm confusion: an HMAC token must not pass an allow-list of [alg].
    hs256 = jwt.encode(payload, b"k" * 32, algorithm="HS256")

    results = js_verify(
        [
            {"kind": "jwt", "token": token, "jwk": public_jwk, "alg": alg},
            {
                "kind": "jwt",
                "token": f"{header}.{tampered_body.decode()}.{signature}",
                "jwk": public_jwk,
                "alg": alg,
            },
            {"kind": "jwt", "token": hs256, "jwk": public_jwk, "alg": alg},
        ],
        now=NOW,
    )

    assert results[0]["verified"] is True
    assert results[0]["payload"] == payload
    assert [r["verified"] for r in results[1:]] == [False, False]
    assert "signature verification failed" in results[1]["error"]
    assert '"alg"' in results[2]["error"]


def test_require_js_fails_under_ci_when_node_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="node is not on PATH"):
        require_js()


def test_require_js_skips_outside_ci_when_node_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="node is not on PATH"):
        require_js()


def test_vector_constants_match_the_key() -> None:
    assert ed25519_multibase(VECTOR_SEED) == VECTOR_KEY_MULTIBASE
