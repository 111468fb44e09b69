"""VC-JWT as Open Badges 3.0 profiles it (OB 3.0 §8.2, "JSON Web Token Proof Format").

https://www.imsglobal.org/spec/ob/v3p0/#jwt-proof

Building (the issuer signs the bytes with its own key):
``jwt_claims`` -> ``jose_header`` -> ``signing_input`` -> signer -> ``assemble``.

Verifying: ``parse_header`` (allow-list), key lookup by the caller (``kid`` or ``jwk``), then
``verify_jwt`` (key/alg match, JWS signature with pyjwt, OB §8.2.6 claim checks). The validity
window (``nbf``/``validFrom`` in the past, ``exp``/``validUntil`` in the future) is left to the caller,
which owns the clock.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeAlias

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from verifier.errors import (
    InvalidSignatureError,
    JwtClaimsMismatchError,
    MalformedCredentialError,
    UnsupportedProofError,
)
from verifier.parsing import no_duplicate_members

__all__ = [
    "ALLOWED_ALGORITHMS",
    "PublicKey",
    "assemble",
    "jose_header",
    "jwt_claims",
    "parse_header",
    "signing_input",
    "unverified_credential",
    "verify_jwt",
]

#: The public key types a VC-JWT can be verified with (the verifier never holds private keys).
PublicKey: TypeAlias = Ed25519PublicKey | RSAPublicKey | EllipticCurvePublicKey

#: JWS algorithms accepted; everything else (``none``, HMAC, PS*, ES384, ...) is refused.
ALLOWED_ALGORITHMS: Final = ("EdDSA", "ES256", "RS256")

MIN_RSA_BITS: Final = 2048

# OB 3.0 §8.2 "Create the JOSE Header": "Additional JOSE Headers are NOT allowed."
_HEADER_MEMBERS: Final = frozenset({"alg", "kid", "jwk", "typ"})
# RFC 7517 §A.2 / RFC 7518 §6: members that only a private (or symmetric) JWK carries.
_PRIVATE_JWK_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# RFC 7519 §4.1: the registered claims; stripped from the payload to recover the credential.
_REGISTERED_CLAIMS: Final = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})

_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*")
#: The shape of a compact JWS (three base64url parts), to tell a JWT from JSON text before parsing.
COMPACT_JWS: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_DATETIME: Final = re.compile(
    r"(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)?(?P<tz>Z|[+-]\d{2}:\d{2})"
)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- building


def jwt_claims(credential: Mapping[str, Any]) -> dict[str, Any]:
    """Create the JWT Payload: the credential at top level plus the registered claims.

    https://www.imsglobal.org/spec/ob/v3p0/#create-the-jwt-payload

    Args:
        credential: An unsigned (or Data Integrity signed) OpenBadgeCredential.

    Returns:
        The payload: every credential member, plus ``iss`` (issuer id), ``jti`` (id), ``nbf``
        (validFrom), ``sub`` (credentialSubject.id) and ``exp`` (validUntil, when present).

    Raises:
        MalformedCredentialError: A required member is missing, ``validFrom``/``validUntil`` is not a
            whole-second dateTime, or the credential already uses a registered claim name.
    """
    clashing = sorted(_REGISTERED_CLAIMS.intersection(credential) | ({"vc"} & credential.keys()))
    if clashing:
        raise MalformedCredentialError(
            f"the credential has member(s) {clashing} that would clash with JWT claims"
        )
    credential_id = credential.get("id")
    if not isinstance(credential_id, str) or not credential_id:
        raise MalformedCredentialError("a VC-JWT needs the credential id (it becomes the jti claim)")
    subject = credential.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, Mapping) else None
    if not isinstance(subject_id, str) or not subject_id:
        raise MalformedCredentialError(
            "a VC-JWT needs credentialSubject.id (e.g. the learner's DID); "
            "use the Data Integrity proof for a hashed recipient"
        )
    claims = dict(credential)
    claims["iss"] = _issuer_id(credential)
    claims["jti"] = credential_id
    claims["nbf"] = _whole_seconds(credential.get("validFrom"), "validFrom")
    claims["sub"] = subject_id
    if "validUntil" in credential:
        claims["exp"] = _whole_seconds(credential["validUntil"], "validUntil")
    return claims


def jose_header(algorithm: str, *, kid: str) -> dict[str, str]:
    """Create the JOSE Header.

    https://www.imsglobal.org/spec/ob/v3p0/#joseheader

    Args:
        algorithm: One of :data:`ALLOWED_ALGORITHMS`.
        kid: A URI that dereferences to the public JWK.

    Returns:
        ``{"alg": algorithm, "kid": kid, "typ": "JWT"}``.

    Raises:
        UnsupportedProofError: The algorithm is not allowed.
        MalformedCredentialError: ``kid`` is empty.
    """
    if algorithm not in ALLOWED_ALGORITHMS:
        raise UnsupportedProofError(
            f"JWS algorithm {algorithm!r} is not allowed; use one of {', '.join(ALLOWED_ALGORITHMS)}"
        )
    if not kid:
        raise MalformedCredentialError("the kid header must be a non-empty URI")
    return {"alg": algorithm, "kid": kid, "typ": "JWT"}


def signing_input(header: Mapping[str, Any], payload: Mapping[str, Any]) -> bytes:
    """Compute the JWS Signing Input, ``BASE64URL(header) || "." || BASE64URL(payload)``.

    https://www.imsglobal.org/spec/ob/v3p0/#jwt-signing (steps A to C; RFC 7515 §5.1)

    Args:
        header: The JOSE Header.
        payload: The JWT Payload (from :func:`jwt_claims`).

    Returns:
        The ASCII bytes to sign.

    Raises:
        MalformedCredentialError: The payload is not JSON-serializable.
    """
    return _b64encode(_compact_json(header)) + b"." + _b64encode(_compact_json(payload))


def assemble(signing_input: bytes, signature: bytes) -> str:
    """Encode the Compact JWS, ``signing input || "." || BASE64URL(signature)``.

    https://www.imsglobal.org/spec/ob/v3p0/#jwt-signing (steps E and F)

    Args:
        signing_input: The bytes returned by :func:`signing_input`.
        signature: The JWS signature over them (ES256: the 64-byte r||s form).

    Returns:
        The compact JWS string.
    """
    return (signing_input + b"." + _b64encode(signature)).decode("ascii")


# --------------------------------------------------------------------------- verifying


def parse_header(token: str) -> dict[str, Any]:
    """Base64url-decode the JOSE Header and enforce OB's allow-list.

    https://www.imsglobal.org/spec/ob/v3p0/#jwt-verify (step 1) and #joseheader

    Args:
        token: A compact JWS.

    Returns:
        The header: ``alg`` (one of :data:`ALLOWED_ALGORITHMS`), exactly one of ``kid`` or ``jwk``
        (a public JWK), and optionally ``typ`` (``"JWT"``).

    Raises:
        MalformedCredentialError: Not a compact JWS, or the header is not a JSON object.
        UnsupportedProofError: Algorithm not allowed, extra header members, both or neither of
            ``kid``/``jwk``, a ``jwk`` with private members, or a ``typ`` other than ``JWT``.
    """
    encoded_header, _, _ = _split(token)
    header = _json_object(_b64decode(encoded_header, "header"), "JOSE header")
    alg = header.get("alg")
    if alg is None:
        raise UnsupportedProofError("the JOSE header has no alg")
    if alg not in ALLOWED_ALGORITHMS:
        raise UnsupportedProofError(
            f"JWS algorithm {alg!r} is not allowed; accepted: {', '.join(ALLOWED_ALGORITHMS)}"
        )
    extra = sorted(set(header) - _HEADER_MEMBERS)
    if extra:
        raise UnsupportedProofError(
            f"JOSE header member(s) {extra} are not allowed (OB 3.0 allows only alg, kid, jwk, typ)"
        )
    has_kid, has_jwk = "kid" in header, "jwk" in header
    if has_kid == has_jwk:
        raise UnsupportedProofError(
            "the JOSE header must carry exactly one of kid or jwk to identify the key"
            + (" (it has both)" if has_kid else "")
        )
    if has_kid and (not isinstance(header["kid"], str) or not header["kid"]):
        raise MalformedCredentialError("the kid header must be a non-empty string")
    if has_jwk:
        _check_public_jwk(header["jwk"])
    # RFC 7515 §4.1.9: typ values are compared case-insensitively.
    typ = header.get("typ", "JWT")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise UnsupportedProofError(f"the typ header must be 'JWT', got {typ!r}")
    return header


def unverified_credential(token: str) -> dict[str, Any]:
    """Decode the credential carried by a VC-JWT without checking anything.

    For routing and key lookup only (for example to read ``issuer`` before resolving ``kid``).

    Args:
        token: A compact JWS.

    Returns:
        The credential: the payload without the JWT registered claims, or for the VC 1.1 form the
        ``vc`` claim with ``issuer``/``id``/``credentialSubject.id``/dates filled from the claims.

    Raises:
        MalformedCredentialError: Not a compact JWS, or the payload is not a credential object.
    """
    _, encoded_payload, _ = _split(token)
    payload = _json_object(_b64decode(encoded_payload, "payload"), "JWT payload")
    credential, _ = _normalize(payload)
    return credential


def verify_jwt(token: str, public_key: PublicKey) -> dict[str, Any]:
    """Verify a VC-JWT and return the credential it carries.

    https://www.imsglobal.org/spec/ob/v3p0/#jwt-verify and #jwt-verify-credential

    The signature is checked by pyjwt's JWA implementation of the header's (allow-listed)
    algorithm, with the key object. pyjwt's own time checks are not used: the caller checks the validity window.

    Args:
        token: A compact JWS.
        public_key: The issuer's key, resolved from the header's ``kid`` or ``jwk``.

    Returns:
        The credential (see :func:`unverified_credential`). When ``exp`` is present and the
        credential has no ``validUntil`` (``expirationDate`` for VC 1.1), it is set from ``exp``.

    Raises:
        MalformedCredentialError: Not a compact JWS, or the payload is not a credential object.
        UnsupportedProofError: See :func:`parse_header`; or the key does not fit the algorithm.
        InvalidSignatureError: The signature does not verify with ``public_key``.
        JwtClaimsMismatchError: ``iss``/``sub``/``jti``/``nbf``/``exp`` disagree with the credential.
    """
    header = parse_header(token)
    algorithm: str = header["alg"]
    _check_key_fits_algorithm(algorithm, public_key)
    encoded_header, encoded_payload, encoded_signature = _split(token)
    signature = _b64decode(encoded_signature, "signature")
    # pyjwt's JWA algorithm objects do the cryptography (ES256's r||s to DER included). Its decode()
    # would re-check the base64url alphabet one character at a time in Python, which costs four times
    # the signature check on a 7 KB badge; _split has already checked it with one regex.
    try:
        valid = jwt.get_algorithm_by_name(algorithm).verify(
            f"{encoded_header}.{encoded_payload}".encode("ascii"), public_key, signature
        )
    except (jwt.InvalidKeyError, NotImplementedError) as err:
        raise UnsupportedProofError(f"pyjwt refused the key or algorithm: {err}") from err
    if not valid:
        raise InvalidSignatureError(f"the {algorithm} JWS signature does not verify")
    payload = _json_object(_b64decode(encoded_payload, "payload"), "JWT payload")
    credential, legacy = _normalize(payload)
    _check_claims(payload, credential, legacy=legacy)
    return credential


# --------------------------------------------------------------------------- helpers


def _check_public_jwk(jwk: object) -> None:
    if not isinstance(jwk, dict) or not isinstance(jwk.get("kty"), str):
        raise MalformedCredentialError("the jwk header must be a JSON Web Key object with a kty")
    private = sorted(_PRIVATE_JWK_MEMBERS.intersection(jwk))
    if private:
        raise UnsupportedProofError(
            f"the jwk header carries private or symmetric key member(s) {private}; "
            "a VC-JWT may embed only a public key"
        )


def _check_key_fits_algorithm(algorithm: str, key: object) -> None:
    if algorithm == "RS256" and isinstance(key, RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise UnsupportedProofError(
                f"RS256 needs an RSA key of at least {MIN_RSA_BITS} bits; this one has {key.key_size}"
            )
        return
    if algorithm == "EdDSA" and isinstance(key, Ed25519PublicKey):
        return
    if algorithm == "ES256" and isinstance(key, EllipticCurvePublicKey) and isinstance(key.curve, SECP256R1):
        return
    raise UnsupportedProofError(f"JWS alg {algorithm} does not match the key ({_describe_key(key)})")


def _describe_key(key: object) -> str:
    if isinstance(key, EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, RSAPublicKey):
        return f"RSA {key.key_size} bits"
    if isinstance(key, Ed25519PublicKey):
        return "Ed25519"
    return type(key).__name__


def _normalize(payload: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Recover the credential from the payload; returns it and whether it is the VC 1.1 form."""
    if "vc" in payload:
        if "@context" in payload or not isinstance(payload["vc"], dict):
            raise MalformedCredentialError(
                "the JWT payload must be either the credential itself or a VC 1.1 'vc' claim, not both"
            )
        return _normalize_legacy(payload, dict(payload["vc"])), True
    credential = {name: value for name, value in payload.items() if name not in _REGISTERED_CLAIMS}
    # OB §8.2.6: exp "MUST be used to set the value of the validUntil".
    if "exp" in payload and "validUntil" not in credential:
        credential["validUntil"] = _format_numeric_date(payload["exp"], "exp")
    return credential, False


def _normalize_legacy(payload: Mapping[str, Any], vc: dict[str, Any]) -> dict[str, Any]:
    """VC 1.1 §6.3.1 decoding: each present claim fills the property it stands for when missing."""
    if isinstance(payload.get("iss"), str):
        issuer = vc.get("issuer")
        if issuer is None:
            vc["issuer"] = payload["iss"]
        elif isinstance(issuer, Mapping) and "id" not in issuer:
            vc["issuer"] = {**issuer, "id": payload["iss"]}
    if isinstance(payload.get("jti"), str) and "id" not in vc:
        vc["id"] = payload["jti"]
    subject = vc.get("credentialSubject")
    if isinstance(payload.get("sub"), str) and isinstance(subject, Mapping) and "id" not in subject:
        vc["credentialSubject"] = {**subject, "id": payload["sub"]}
    if "nbf" in payload and "issuanceDate" not in vc:
        vc["issuanceDate"] = _format_numeric_date(payload["nbf"], "nbf")
    if "exp" in payload and "expirationDate" not in vc:
        vc["expirationDate"] = _format_numeric_date(payload["exp"], "exp")
    return vc


def _check_claims(payload: Mapping[str, Any], credential: Mapping[str, Any], *, legacy: bool) -> None:
    """Verify a Credential VC-JWT Signature, the claim checks.

    https://www.imsglobal.org/spec/ob/v3p0/#jwt-verify-credential

    OB requires iss, sub, nbf and jti; a VC 1.1 JWT may leave any of them out (their values then
    came from the credential itself), so only the present ones are compared.
    """
    valid_from, valid_until = ("issuanceDate", "expirationDate") if legacy else ("validFrom", "validUntil")
    for claim, expected, field in (
        ("iss", lambda: _issuer_id(credential), "issuer.id"),
        ("sub", lambda: _subject_id(credential), "credentialSubject.id"),
        ("jti", lambda: credential.get("id"), "id"),
    ):
        if claim not in payload:
            if legacy:
                continue
            raise JwtClaimsMismatchError(f"the JWT has no {claim} claim; OB 3.0 requires it to equal {field}")
        value = expected()
        if payload[claim] != value:
            raise JwtClaimsMismatchError(
                f"the {claim} claim {payload[claim]!r} does not match {field} {value!r}"
            )
    if "nbf" in payload:
        _compare_date(payload, "nbf", credential, valid_from)
    elif not legacy:
        raise JwtClaimsMismatchError("the JWT has no nbf claim; OB 3.0 requires it to equal validFrom")
    if "exp" in payload:
        _compare_date(payload, "exp", credential, valid_until)
    elif valid_until in credential and not legacy:
        raise JwtClaimsMismatchError(
            "the credential has validUntil but the JWT has no exp claim; OB 3.0 requires it"
        )


def _compare_date(payload: Mapping[str, Any], claim: str, credential: Mapping[str, Any], field: str) -> None:
    # Whole-second precision: NumericDate is usually an integer while a dateTime may carry
    # milliseconds (VC 1.1 JWTs commonly do); both values are covered by the same signature.
    claimed = _numeric_date(payload[claim], claim)
    if field not in credential:
        raise JwtClaimsMismatchError(f"the JWT has a {claim} claim but the credential has no {field}")
    actual, _ = _parse_datetime(credential[field], field)
    if math.floor(claimed) != actual:
        raise JwtClaimsMismatchError(
            f"the {claim} claim {_format_numeric_date(claimed, claim)} does not match "
            f"{field} {credential[field]!r}"
        )


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        raise MalformedCredentialError("the credential has no issuer id (a URI, or a Profile with an id)")
    return issuer_id


def _subject_id(credential: Mapping[str, Any]) -> object:
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise MalformedCredentialError("credentialSubject must be a single object")
    return subject.get("id")


def _parse_datetime(value: object, field: str) -> tuple[int, bool]:
    """Parse an XML Schema dateTime with a time zone; returns (epoch seconds, has fraction)."""
    match = _DATETIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise MalformedCredentialError(f"{field} must be a dateTime with a time zone, got {value!r}")
    zone = "+00:00" if match["tz"] == "Z" else match["tz"]
    try:
        moment = datetime.fromisoformat(match["base"] + zone)
    except ValueError as err:
        raise MalformedCredentialError(f"{field} is not a valid dateTime: {value!r}") from err
    fraction = match["frac"] or ""
    return (moment - _EPOCH) // timedelta(seconds=1), fraction.strip(".0") != ""


def _whole_seconds(value: object, field: str) -> int:
    seconds, fractional = _parse_datetime(value, field)
    if fractional:
        # nbf/exp are compared to validFrom/validUntil for equality (OB §8.2.6).
        raise MalformedCredentialError(f"{field} must be whole seconds for a VC-JWT, got {value!r}")
    return seconds


def _numeric_date(value: object, claim: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MalformedCredentialError(f"the {claim} claim must be a NumericDate (seconds), got {value!r}")
    return value


def _format_numeric_date(value: object, claim: str) -> str:
    seconds = math.floor(_numeric_date(value, claim))
    try:
        moment = _EPOCH + timedelta(seconds=seconds)
    except OverflowError as err:
        raise MalformedCredentialError(f"the {claim} claim {value!r} is out of range") from err
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _split(token: str) -> tuple[str, str, str]:
    if not isinstance(token, str):
        raise MalformedCredentialError("a VC-JWT must be a string")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedCredentialError(
            f"a compact JWS has three base64url parts separated by '.', this has {len(parts)}"
        )
    if not all(_B64URL.fullmatch(part) for part in parts) or not parts[0] or not parts[1]:
        raise MalformedCredentialError("a compact JWS part is empty or not base64url without padding")
    return parts[0], parts[1], parts[2]


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _b64decode(part: str, name: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError) as err:
        raise MalformedCredentialError(f"the JWS {name} is not valid base64url") from err


def _compact_json(value: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as err:
        raise MalformedCredentialError(f"cannot serialize as JSON: {err}") from err


def _json_object(data: bytes, name: str) -> dict[str, Any]:
    try:
        value = json.loads(data, object_pairs_hook=no_duplicate_members, parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MalformedCredentialError(f"the {name} is not valid JSON: {err}") from err
    except RecursionError as err:
        raise MalformedCredentialError(f"the {name} is nested too deeply") from err
    if not isinstance(value, dict):
        raise MalformedCredentialError(f"the {name} must be a JSON object")
    return value


def _no_constant(name: str) -> None:
    raise MalformedCredentialError(f"{name} is not valid JSON")
