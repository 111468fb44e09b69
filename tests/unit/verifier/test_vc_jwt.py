"""VC-JWT (OB 3.0 §8.2): building, allow-listed verification, claim checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from verifier.errors import (
    InvalidSignatureError,
    JwtClaimsMismatchError,
    MalformedCredentialError,
    UnsupportedProofError,
)
from verifier.proofs.vc_jwt import (
    ALLOWED_ALGORITHMS,
    assemble,
    jose_header,
    jwt_claims,
    parse_header,
    signing_input,
    unverified_credential,
    verify_jwt,
)

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

KID = "https://issuer.example.edu/keys#key-1"
ISSUER = "https://issuer.example.edu/profile"
SUBJECT = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


@pytest.fixture(name="credential")
def fx_credential() -> dict[str, Any]:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:a63a60be-f4af-491e-87fc-2c8b0d0a1b2c",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": ISSUER, "type": ["Profile"], "name": "Example District"},
        "validFrom": "2025-03-01T12:00:00Z",
        "validUntil": "2030-03-01T12:00:00Z",
        "name": "Fractions: mastery level 3",
        "credentialSubject": {
            "id": SUBJECT,
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://issuer.example.edu/achievements/fractions",
                "type": ["Achievement"],
                "name": "Fractions",
                "description": "Adds and compares fractions.",
                "criteria": {"narrative": "Level 3 on the fractions rubric."},
            },
        },
    }


@pytest.fixture(name="keys", scope="module")
def fx_keys() -> dict[str, PrivateKey]:
    return {algorithm: _new_key(algorithm) for algorithm in ALLOWED_ALGORITHMS}


def _new_key(algorithm: str) -> PrivateKey:
    if algorithm == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(algorithm: str, key: PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        hash_algorithm = hashes.SHA256() if algorithm == "ES256" else hashes.SHA384()
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hash_algorithm)))
        size = (key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _token(
    algorithm: str, key: PrivateKey, payload: dict[str, Any], header: dict[str, Any] | None = None
) -> str:
    header = header if header is not None else jose_header(algorithm, kid=KID)
    data = signing_input(header, payload)
    return assemble(data, _sign(algorithm, key, data))


def _raw_token(algorithm: str, key: PrivateKey, header: bytes, payload: bytes) -> str:
    data = f"{_b64(header)}.{_b64(payload)}".encode("ascii")
    return assemble(data, _sign(algorithm, key, data))


def _ed25519_jwk(key: ed25519.Ed25519PrivateKey, *, private: bool) -> dict[str, str]:
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64(public)}
    if private:
        raw = key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        jwk["d"] = _b64(raw)
    return jwk


# --------------------------------------------------------------------------- building


def test_jwt_claims_maps_credential_members(credential: dict[str, Any]) -> None:
    claims = jwt_claims(credential)

    assert claims["iss"] == ISSUER
    assert claims["jti"] == credential["id"]
    assert claims["sub"] == SUBJECT
    assert claims["nbf"] == 1740830400  # 2025-03-01T12:00:00Z
    assert claims["exp"] == 1898596800  # 2030-03-01T12:00:00Z
    assert "vc" not in claims
    assert {k: v for k, v in claims.items() if k not in {"iss", "jti", "sub", "nbf", "exp"}} == credential


def test_jwt_claims_accepts_issuer_as_string(credential: dict[str, Any]) -> None:
    credential["issuer"] = ISSUER
    del credential["validUntil"]

    claims = jwt_claims(credential)

    assert claims["iss"] == ISSUER
    assert "exp" not in claims


def test_jwt_claims_refuses_missing_subject_id(credential: dict[str, Any]) -> None:
    del credential["credentialSubject"]["id"]

    with pytest.raises(MalformedCredentialError, match=r"credentialSubject\.id .*Data Integrity"):
        jwt_claims(credential)


@pytest.mark.parametrize("valid_from", ["2025-03-01T12:00:00.500Z", "2025-03-01T12:00:00", "yesterday"])
def test_jwt_claims_refuses_fractional_or_zoneless_valid_from(
    credential: dict[str, Any], valid_from: str
) -> None:
    credential["validFrom"] = valid_from

    with pytest.raises(MalformedCredentialError, match="validFrom"):
        jwt_claims(credential)


def test_jose_header_is_alg_kid_typ() -> None:
    assert jose_header("RS256", kid=KID) == {"alg": "RS256", "kid": KID, "typ": "JWT"}


def test_jose_header_refuses_unlisted_algorithm() -> None:
    with pytest.raises(UnsupportedProofError, match="HS256"):
        jose_header("HS256", kid=KID)


def test_signing_input_is_base64url_of_compact_json() -> None:
    data = signing_input({"alg": "EdDSA"}, {"a": "é"})

    assert data == b"eyJhbGciOiJFZERTQSJ9.eyJhIjoiw6kifQ"


# --------------------------------------------------------------------------- verifying


@pytest.mark.parametrize("algorithm", ALLOWED_ALGORITHMS)
def test_verify_jwt_round_trip(
    algorithm: str, keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    key = keys[algorithm]
    token = _token(algorithm, key, jwt_claims(credential))

    assert verify_jwt(token, key.public_key()) == credential


@pytest.mark.parametrize("algorithm", ALLOWED_ALGORITHMS)
def test_verify_jwt_accepts_pyjwt_encoded_token(
    algorithm: str, keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    key = keys[algorithm]
    token = jwt.encode(jwt_claims(credential), key, algorithm=algorithm, headers={"kid": KID})

    assert parse_header(token) == {"alg": algorithm, "kid": KID, "typ": "JWT"}
    assert verify_jwt(token, key.public_key()) == credential


def test_verify_jwt_refuses_alg_none(keys: dict[str, PrivateKey], credential: dict[str, Any]) -> None:
    header = _b64(json.dumps({"alg": "none", "kid": KID, "typ": "JWT"}).encode())
    token = f"{header}.{_b64(json.dumps(jwt_claims(credential)).encode())}."

    with pytest.raises(UnsupportedProofError, match="'none'"):
        parse_header(token)
    with pytest.raises(UnsupportedProofError, match="'none'"):
        verify_jwt(token, keys["EdDSA"].public_key())


def test_verify_jwt_refuses_hs256_key_confusion(
    keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    # The classic attack: HMAC the token with the issuer's public key (PEM) as the shared secret.
    rsa_public = keys["RS256"].public_key()
    pem = rsa_public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = json.dumps({"alg": "HS256", "kid": KID, "typ": "JWT"}).encode()
    data = f"{_b64(header)}.{_b64(json.dumps(jwt_claims(credential)).encode())}".encode()
    token = assemble(data, hmac.new(pem, data, hashlib.sha256).digest())

    with pytest.raises(UnsupportedProofError, match="HS256") as info:
        verify_jwt(token, rsa_public)
    assert info.value.code == "UNSUPPORTED_PROOF"


def test_parse_header_refuses_jwk_with_private_member(
    keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    key = keys["EdDSA"]
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    header = {"alg": "EdDSA", "jwk": _ed25519_jwk(key, private=True), "typ": "JWT"}
    token = _token("EdDSA", key, jwt_claims(credential), header)

    with pytest.raises(UnsupportedProofError, match=r"private .*\['d'\]"):
        parse_header(token)
    with pytest.raises(UnsupportedProofError, match=r"\['d'\]"):
        verify_jwt(token, key.public_key())


def test_verify_jwt_accepts_public_jwk_header(
    keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    key = keys["EdDSA"]
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    jwk = _ed25519_jwk(key, private=False)
    token = _token("EdDSA", key, jwt_claims(credential), {"alg": "EdDSA", "jwk": jwk})

    assert parse_header(token)["jwk"] == jwk
    assert verify_jwt(token, key.public_key()) == credential


@pytest.mark.parametrize(
    "extra",
    [{"x5u": "https://evil.example/cert.pem"}, {"crit": ["exp"]}, {"jku": "https://evil.example/jwks"}],
)
def test_parse_header_refuses_extra_member(
    extra: dict[str, Any], keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    header = {**jose_header("EdDSA", kid=KID), **extra}
    token = _token("EdDSA", keys["EdDSA"], jwt_claims(credential), header)

    with pytest.raises(UnsupportedProofError, match=repr(next(iter(extra)))):
        parse_header(token)


@pytest.mark.parametrize("members", [{}, {"kid": KID, "jwk": {"kty": "OKP"}}])
def test_parse_header_needs_exactly_one_of_kid_or_jwk(
    members: dict[str, Any], keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    token = _token("EdDSA", keys["EdDSA"], jwt_claims(credential), {"alg": "EdDSA", **members})

    with pytest.raises(UnsupportedProofError, match="exactly one of kid or jwk"):
        parse_header(token)


def test_parse_header_refuses_other_typ(keys: dict[str, PrivateKey], credential: dict[str, Any]) -> None:
    header = {"alg": "EdDSA", "kid": KID, "typ": "vc+jwt"}
    token = _token("EdDSA", keys["EdDSA"], jwt_claims(credential), header)

    with pytest.raises(UnsupportedProofError, match="typ"):
        parse_header(token)


def test_verify_jwt_tampered_payload_is_invalid_signature(
    keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    key = keys["RS256"]
    token = _token("RS256", key, jwt_claims(credential))
    header, _, signature = token.split(".")
    credential["name"] = "Fractions: mastery level 4"
    forged = f"{header}.{_b64(json.dumps(jwt_claims(credential)).encode())}.{signature}"

    with pytest.raises(InvalidSignatureError) as info:
        verify_jwt(forged, key.public_key())
    assert info.value.code == "INVALID_SIGNATURE"


@pytest.mark.parametrize("algorithm", ALLOWED_ALGORITHMS)
def test_verify_jwt_wrong_key_is_invalid_signature(
    algorithm: str, keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    token = _token(algorithm, keys[algorithm], jwt_claims(credential))
    other = _new_key(algorithm)

    with pytest.raises(InvalidSignatureError):
        verify_jwt(token, other.public_key())


def test_verify_jwt_es256_der_signature_is_invalid(
    keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    # JWS wants r||s; a DER-encoded ECDSA signature must not verify.
    key = keys["ES256"]
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    data = signing_input(jose_header("ES256", kid=KID), jwt_claims(credential))
    token = assemble(data, key.sign(data, ec.ECDSA(hashes.SHA256())))

    with pytest.raises(InvalidSignatureError):
        verify_jwt(token, key.public_key())


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("jti", "urn:uuid:00000000-0000-0000-0000-000000000000"),
        ("iss", "https://evil.example/profile"),
        ("sub", "did:example:someone-else"),
        ("nbf", 1740830401),
        ("exp", 1898596801),
    ],
)
def test_verify_jwt_claim_mismatch(
    claim: str, value: object, keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    payload = {**jwt_claims(credential), claim: value}
    token = _token("EdDSA", keys["EdDSA"], payload)

    with pytest.raises(JwtClaimsMismatchError, match=f"the {claim} claim") as info:
        verify_jwt(token, keys["EdDSA"].public_key())
    assert info.value.code == "JWT_CLAIMS_MISMATCH"


@pytest.mark.parametrize("claim", ["iss", "sub", "jti", "nbf", "exp"])
def test_verify_jwt_missing_required_claim(
    claim: str, keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    payload = jwt_claims(credential)
    del payload[claim]
    token = _token("EdDSA", keys["EdDSA"], payload)

    with pytest.raises(JwtClaimsMismatchError, match=claim):
        verify_jwt(token, keys["EdDSA"].public_key())


def test_verify_jwt_exp_sets_valid_until_when_absent(
    keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    del credential["validUntil"]
    payload = {**jwt_claims(credential), "exp": 1898596800}
    token = _token("EdDSA", keys["EdDSA"], payload)

    result = verify_jwt(token, keys["EdDSA"].public_key())

    assert result["validUntil"] == "2030-03-01T12:00:00Z"


def test_verify_jwt_accepts_legacy_vc_claim(keys: dict[str, PrivateKey], credential: dict[str, Any]) -> None:
    vc = {
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        ],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuanceDate": "2025-03-01T12:00:00.250Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": credential["credentialSubject"]["achievement"],
        },
    }
    payload = {
        "iss": ISSUER,
        "sub": SUBJECT,
        "jti": credential["id"],
        "nbf": 1740830400,
        "exp": 1898596800,
        "vc": vc,
    }
    token = _token("RS256", keys["RS256"], payload)

    result = verify_jwt(token, keys["RS256"].public_key())

    assert result["issuer"] == ISSUER
    assert result["id"] == credential["id"]
    assert result["credentialSubject"]["id"] == SUBJECT
    assert result["issuanceDate"] == "2025-03-01T12:00:00.250Z"
    assert result["expirationDate"] == "2030-03-01T12:00:00Z"
    assert "validFrom" not in result


def test_verify_jwt_legacy_vc_claim_mismatch(keys: dict[str, PrivateKey], credential: dict[str, Any]) -> None:
    vc = {
        "@context": ["https://www.w3.org/2018/credentials/v1"],
        "issuer": "https://other.example",
        "credentialSubject": {},
    }
    token = _token("EdDSA", keys["EdDSA"], {"iss": ISSUER, "nbf": 1740830400, "vc": vc})

    with pytest.raises(JwtClaimsMismatchError, match="iss"):
        verify_jwt(token, keys["EdDSA"].public_key())


def test_verify_jwt_refuses_rsa_1024(credential: dict[str, Any]) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - the point of the test
    token = _token("RS256", weak, jwt_claims(credential))

    with pytest.raises(UnsupportedProofError, match="2048"):
        verify_jwt(token, weak.public_key())


def test_verify_jwt_refuses_es256_from_p384_key(credential: dict[str, Any]) -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    token = _token("ES256", p384, jwt_claims(credential))

    with pytest.raises(UnsupportedProofError, match="secp384r1"):
        verify_jwt(token, p384.public_key())


def test_verify_jwt_refuses_key_of_other_type(
    keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    token = _token("EdDSA", keys["EdDSA"], jwt_claims(credential))

    with pytest.raises(UnsupportedProofError, match="EdDSA does not match the key"):
        verify_jwt(token, keys["RS256"].public_key())


@pytest.mark.parametrize("token", ["a.b", "a.b.c.d", "", "eyJ!.e30.", "e30.e30.sig"])
def test_verify_jwt_refuses_malformed_token(token: str, keys: dict[str, PrivateKey]) -> None:
    with pytest.raises((MalformedCredentialError, UnsupportedProofError)):
        verify_jwt(token, keys["EdDSA"].public_key())


def test_parse_header_refuses_non_jws() -> None:
    with pytest.raises(MalformedCredentialError, match="three base64url parts"):
        parse_header("not-a-jwt")


def test_verify_jwt_refuses_duplicate_json_member(
    keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    body = json.dumps(jwt_claims(credential))
    payload = ('{"iss":"https://evil.example",' + body[1:]).encode()
    header = json.dumps(jose_header("EdDSA", kid=KID)).encode()
    token = _raw_token("EdDSA", keys["EdDSA"], header, payload)

    with pytest.raises(MalformedCredentialError, match="duplicate JSON member 'iss'"):
        verify_jwt(token, keys["EdDSA"].public_key())


def test_unverified_credential_reads_without_key(
    keys: dict[str, PrivateKey], credential: dict[str, Any]
) -> None:
    token = _token("ES256", keys["ES256"], jwt_claims(credential))

    assert unverified_credential(token) == credential
