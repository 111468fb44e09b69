"""Public-key encodings: base58btc / multibase, Multikey, JWK, did:key and did:web identifiers.

Every function takes or returns ``cryptography`` public key objects. The only private-key helper is
:func:`ed25519_private_key_from_multikey`, which exists to load the W3C test-vector key pair.
The verifier may import this module: nothing here can sign.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from keys.errors import InvalidKeyError, UnsupportedKeyTypeError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "MIN_RSA_BITS",
    "PublicKey",
    "base58btc_decode",
    "base58btc_encode",
    "did_key_document",
    "did_key_from_public_key",
    "did_web_from_url",
    "did_web_to_url",
    "ed25519_private_key_from_multikey",
    "jwk_thumbprint",
    "jwk_to_public_key",
    "multibase_decode",
    "multibase_encode",
    "multikey_to_public_key",
    "public_key_from_did_key",
    "public_key_to_jwk",
    "public_key_to_multikey",
]

PublicKey: TypeAlias = ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey
"""The public key types this project handles (Ed25519, RSA >= 2048 bits, EC P-256)."""

MIN_RSA_BITS = 2048

# --------------------------------------------------------------------------------------------------
# base58btc and multibase
# --------------------------------------------------------------------------------------------------

# Hand-written (about 20 lines) so that `keys` depends on nothing beyond `cryptography`.
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(_B58_ALPHABET)}


def base58btc_encode(data: bytes) -> str:
    """Encode bytes as base58btc (the Bitcoin alphabet, no checksum).

    Args:
        data: the bytes to encode.

    Returns:
        The base58btc text; each leading zero byte becomes a leading ``"1"``.
    """
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(_B58_ALPHABET[remainder])
    return "1" * zeros + "".join(reversed(digits))


def base58btc_decode(text: str) -> bytes:
    """Decode base58btc text (the Bitcoin alphabet, no checksum).

    Args:
        text: the base58btc text.

    Returns:
        The decoded bytes; each leading ``"1"`` becomes a leading zero byte.

    Raises:
        InvalidKeyError: a character outside the base58btc alphabet.
    """
    number = 0
    for position, char in enumerate(text):
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise InvalidKeyError(f"not base58btc: character {char!r} at position {position}")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def multibase_encode(data: bytes) -> str:
    """Encode bytes as a base58btc multibase string (``"z"`` + base58btc).

    Args:
        data: the bytes to encode.

    Returns:
        ``"z"`` followed by the base58btc encoding of ``data``.
    """
    return "z" + base58btc_encode(data)


def multibase_decode(value: str) -> bytes:
    """Decode a base58btc multibase string (the only multibase Multikey and Data Integrity use).

    Args:
        value: text starting with ``"z"``.

    Returns:
        The decoded bytes.

    Raises:
        InvalidKeyError: the value does not start with ``"z"`` or is not base58btc.
    """
    if not value.startswith("z"):
        raise InvalidKeyError(f"not a base58btc multibase value (must start with 'z'): {value[:16]!r}")
    return base58btc_decode(value[1:])


# --------------------------------------------------------------------------------------------------
# Multicodec / Multikey
# --------------------------------------------------------------------------------------------------

# Multicodec table entries we know of: https://github.com/multiformats/multicodec/blob/master/table.csv
_ED25519_PUB = 0xED
_P256_PUB = 0x1200
_ED25519_PRIV = 0x1300
_P256_PRIV = 0x1306
_KNOWN_UNSUPPORTED = {
    0xE7: "secp256k1-pub",
    0xEC: "x25519-pub",
    0x1201: "p384-pub",
    0x1202: "p521-pub",
    0x1205: "rsa-pub",
}


def _varint(value: int) -> bytes:
    """Unsigned LEB128, the multicodec prefix encoding."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data: bytes) -> tuple[int, int]:
    """Read a multicodec varint; return (value, bytes consumed)."""
    value = 0
    for index, byte in enumerate(data[:9]):
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if index and byte == 0:
                raise InvalidKeyError("multicodec prefix is not minimally encoded")
            return value, index + 1
    raise InvalidKeyError("multicodec prefix is truncated or too long")


def _split_multikey(value: str) -> tuple[int, bytes]:
    raw = multibase_decode(value)
    if not raw:
        raise InvalidKeyError("empty Multikey value")
    codec, used = _read_varint(raw)
    return codec, raw[used:]


def public_key_to_multikey(key: PublicKey) -> str:
    """Encode a public key as a Multikey ``publicKeyMultibase`` value.

    https://www.w3.org/TR/cid-1.0/#Multikey and https://www.w3.org/TR/vc-di-eddsa/#multikey

    Args:
        key: an Ed25519 or P-256 public key.

    Returns:
        ``"z6Mk…"`` (0xed01 + 32 bytes) for Ed25519, ``"zDn…"`` (0x1200 + 33-byte compressed point) for P-256.

    Raises:
        UnsupportedKeyTypeError: RSA or an EC curve other than P-256.
    """
    if isinstance(key, ed25519.Ed25519PublicKey):
        return multibase_encode(_varint(_ED25519_PUB) + key.public_bytes(Encoding.Raw, PublicFormat.Raw))
    if isinstance(key, ec.EllipticCurvePublicKey):
        _require_p256(key.curve)
        point = key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        return multibase_encode(_varint(_P256_PUB) + point)
    if isinstance(key, rsa.RSAPublicKey):
        raise UnsupportedKeyTypeError("RSA keys have no Multikey form here; publish them as a JWK")
    raise UnsupportedKeyTypeError(f"unsupported public key type {type(key).__name__}")


def multikey_to_public_key(value: str) -> PublicKey:
    """Decode a Multikey ``publicKeyMultibase`` value into a public key.

    https://www.w3.org/TR/cid-1.0/#Multikey and https://www.w3.org/TR/vc-di-eddsa/#multikey

    Args:
        value: ``"z"`` + base58btc(multicodec prefix + key bytes).

    Returns:
        An Ed25519 or P-256 public key.

    Raises:
        InvalidKeyError: not multibase, bad prefix encoding, wrong length, invalid point, or a secret key.
        UnsupportedKeyTypeError: a multicodec other than ed25519-pub and p256-pub.
    """
    codec, body = _split_multikey(value)
    if codec == _ED25519_PUB:
        if len(body) != 32:
            raise InvalidKeyError(f"Ed25519 Multikey must hold 32 key bytes, got {len(body)}")
        return ed25519.Ed25519PublicKey.from_public_bytes(body)
    if codec == _P256_PUB:
        if len(body) != 33 or body[0] not in (2, 3):
            raise InvalidKeyError(
                f"P-256 Multikey must hold a 33-byte compressed point, got {len(body)} bytes"
            )
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), body)
        except ValueError as err:
            raise InvalidKeyError("P-256 Multikey is not a point on the curve") from err
    if codec in (_ED25519_PRIV, _P256_PRIV):
        raise InvalidKeyError("this Multikey is a secret key; a public key was expected")
    name = _KNOWN_UNSUPPORTED.get(codec, "unknown")
    raise UnsupportedKeyTypeError(f"unsupported Multikey codec 0x{codec:x} ({name})")


def ed25519_private_key_from_multikey(secret: str) -> ed25519.Ed25519PrivateKey:
    """Load an Ed25519 private key from a secret Multikey (prefix 0x8026 + 32-byte seed).

    Used for the W3C test-vector key pair (``secretKeyMultibase`` / ``privateKeyMultibase``).

    Args:
        secret: ``"z"`` + base58btc(0x80 0x26 + 32-byte seed).

    Returns:
        The Ed25519 private key.

    Raises:
        InvalidKeyError: not multibase, wrong prefix or wrong length.
    """
    codec, body = _split_multikey(secret)
    if codec != _ED25519_PRIV:
        raise InvalidKeyError(f"not an Ed25519 secret Multikey (codec 0x{codec:x}, expected 0x1300)")
    if len(body) != 32:
        raise InvalidKeyError(f"Ed25519 secret Multikey must hold a 32-byte seed, got {len(body)}")
    return ed25519.Ed25519PrivateKey.from_private_bytes(body)


# --------------------------------------------------------------------------------------------------
# JWK (RFC 7517 / 7518 / 8037) and thumbprints (RFC 7638)
# --------------------------------------------------------------------------------------------------

_PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(value: str, member: str) -> bytes:
    # Strict: the URL-safe alphabet, no padding, canonical trailing bits (RFC 7515 §2).
    if _B64URL.fullmatch(value) is None or len(value) % 4 == 1:
        raise InvalidKeyError(f"JWK member {member!r} is not base64url without padding")
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)
    except binascii.Error as err:
        raise InvalidKeyError(f"JWK member {member!r} is not base64url without padding") from err
    if _b64url(raw) != value:
        raise InvalidKeyError(f"JWK member {member!r} is not canonical base64url")
    return raw


def _require_p256(curve: ec.EllipticCurve) -> None:
    if not isinstance(curve, ec.SECP256R1):
        raise UnsupportedKeyTypeError(f"unsupported EC curve {curve.name}; only P-256 (secp256r1) is handled")


def _require_rsa_size(bits: int) -> None:
    if bits < MIN_RSA_BITS:
        raise InvalidKeyError(
            f"RSA key of {bits} bits is too small; at least {MIN_RSA_BITS} bits are required"
        )


def public_key_to_jwk(key: PublicKey, *, kid: str | None = None) -> dict[str, str]:
    """Encode a public key as a JWK (RFC 7517; OKP per RFC 8037).

    Args:
        key: an Ed25519, RSA (>= 2048 bits) or P-256 public key.
        kid: optional key id to include.

    Returns:
        ``{"kty": "OKP", "crv": "Ed25519", "x"}``, ``{"kty": "RSA", "n", "e"}`` or
        ``{"kty": "EC", "crv": "P-256", "x", "y"}``, values base64url without padding.

    Raises:
        UnsupportedKeyTypeError: another key type or curve.
        InvalidKeyError: an RSA key under 2048 bits.
    """
    jwk: dict[str, str]
    if isinstance(key, ed25519.Ed25519PublicKey):
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": _b64url(key.public_bytes(Encoding.Raw, PublicFormat.Raw))}
    elif isinstance(key, rsa.RSAPublicKey):
        _require_rsa_size(key.key_size)
        numbers = key.public_numbers()
        jwk = {"kty": "RSA", "n": _b64url(_int_bytes(numbers.n)), "e": _b64url(_int_bytes(numbers.e))}
    elif isinstance(key, ec.EllipticCurvePublicKey):
        _require_p256(key.curve)
        point = key.public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(point.x.to_bytes(32, "big")),
            "y": _b64url(point.y.to_bytes(32, "big")),
        }
    else:
        raise UnsupportedKeyTypeError(f"unsupported public key type {type(key).__name__}")
    if kid is not None:
        jwk["kid"] = kid
    return jwk


def _int_bytes(value: int) -> bytes:
    # Minimal big-endian octets (RFC 7518 §6.3.1: no leading zero octets).
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _member(jwk: Mapping[str, object], name: str) -> str:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise InvalidKeyError(f"JWK member {name!r} is missing or not a string")
    return value


def jwk_to_public_key(jwk: Mapping[str, object]) -> PublicKey:
    """Decode a public JWK into a public key.

    Args:
        jwk: the JWK object (as parsed JSON).

    Returns:
        An Ed25519, RSA or P-256 public key.

    Raises:
        InvalidKeyError: private members present, bad base64url, wrong lengths, point not on the curve,
            RSA under 2048 bits.
        UnsupportedKeyTypeError: ``"oct"`` (symmetric) or another unknown ``kty`` / ``crv``.
    """
    if any(member in jwk for member in _PRIVATE_JWK_MEMBERS):
        raise InvalidKeyError("JWK carries private key material")
    kty = _member(jwk, "kty")
    if kty == "OKP":
        crv = _member(jwk, "crv")
        if crv != "Ed25519":
            raise UnsupportedKeyTypeError(f"unsupported OKP curve {crv!r}; only Ed25519 is handled")
        x = _b64url_decode(_member(jwk, "x"), "x")
        if len(x) != 32:
            raise InvalidKeyError(f"Ed25519 JWK 'x' must be 32 bytes, got {len(x)}")
        return ed25519.Ed25519PublicKey.from_public_bytes(x)
    if kty == "EC":
        crv = _member(jwk, "crv")
        if crv != "P-256":
            raise UnsupportedKeyTypeError(f"unsupported EC curve {crv!r}; only P-256 is handled")
        x = _b64url_decode(_member(jwk, "x"), "x")
        y = _b64url_decode(_member(jwk, "y"), "y")
        if len(x) != 32 or len(y) != 32:
            raise InvalidKeyError("P-256 JWK 'x' and 'y' must be 32 bytes each")
        try:
            numbers = ec.EllipticCurvePublicNumbers(
                int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
            )
            return numbers.public_key()
        except ValueError as err:
            raise InvalidKeyError("P-256 JWK is not a point on the curve") from err
    if kty == "RSA":
        n = int.from_bytes(_b64url_decode(_member(jwk, "n"), "n"), "big")
        e = int.from_bytes(_b64url_decode(_member(jwk, "e"), "e"), "big")
        _require_rsa_size(n.bit_length())
        try:
            return rsa.RSAPublicNumbers(e, n).public_key()
        except ValueError as err:
            raise InvalidKeyError("RSA JWK has an invalid modulus or exponent") from err
    if kty == "oct":
        raise UnsupportedKeyTypeError("symmetric ('oct') JWKs are not accepted; a public key is required")
    raise UnsupportedKeyTypeError(f"unsupported JWK key type {kty!r}")


def jwk_thumbprint(jwk: Mapping[str, object]) -> str:
    """Compute the RFC 7638 JWK thumbprint (SHA-256, base64url without padding).

    https://www.rfc-editor.org/rfc/rfc7638#section-3

    Args:
        jwk: a JWK of type RSA, EC or OKP; members other than the required ones are ignored.

    Returns:
        The base64url SHA-256 of the JSON object of the required members in lexicographic order.

    Raises:
        InvalidKeyError: a required member is missing or not a string.
        UnsupportedKeyTypeError: an unknown ``kty``.
    """
    kty = _member(jwk, "kty")
    required = _THUMBPRINT_MEMBERS.get(kty)
    if required is None:
        raise UnsupportedKeyTypeError(f"no RFC 7638 thumbprint rule for JWK key type {kty!r}")
    canonical = json.dumps(
        {name: _member(jwk, name) for name in required}, separators=(",", ":"), sort_keys=True
    )
    return _b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


# --------------------------------------------------------------------------------------------------
# did:key (https://w3c-ccg.github.io/did-key-spec/)
# --------------------------------------------------------------------------------------------------

_DID_KEY_PREFIX = "did:key:"


def did_key_from_public_key(key: PublicKey) -> str:
    """Build the did:key DID of an Ed25519 or P-256 public key.

    https://w3c-ccg.github.io/did-key-spec/#format

    Args:
        key: an Ed25519 or P-256 public key.

    Returns:
        ``"did:key:z6Mk…"`` (Ed25519) or ``"did:key:zDn…"`` (P-256).

    Raises:
        UnsupportedKeyTypeError: RSA or another curve.
    """
    return _DID_KEY_PREFIX + public_key_to_multikey(key)


def _did_key_identifier(did_or_did_url: str) -> str:
    if not did_or_did_url.startswith(_DID_KEY_PREFIX):
        raise InvalidKeyError(f"not a did:key identifier: {did_or_did_url[:40]!r}")
    identifier, hash_sign, fragment = did_or_did_url[len(_DID_KEY_PREFIX) :].partition("#")
    if hash_sign and fragment != identifier:
        raise InvalidKeyError("did:key URL fragment must equal the method-specific identifier")
    if not identifier or any(char in identifier for char in "/?:;"):
        raise InvalidKeyError(f"malformed did:key identifier: {did_or_did_url[:60]!r}")
    return identifier


def public_key_from_did_key(did_or_did_url: str) -> PublicKey:
    """Decode the public key of a did:key DID or DID URL.

    https://w3c-ccg.github.io/did-key-spec/#read

    Args:
        did_or_did_url: ``"did:key:X"`` or ``"did:key:X#X"``.

    Returns:
        The Ed25519 or P-256 public key encoded in ``X``.

    Raises:
        InvalidKeyError: not a did:key, a fragment different from ``X``, or a malformed Multikey.
        UnsupportedKeyTypeError: a multicodec other than Ed25519 or P-256.
    """
    return multikey_to_public_key(_did_key_identifier(did_or_did_url))


def did_key_document(did: str) -> dict[str, object]:
    """Build the DID document the did:key method defines for a Multikey.

    https://w3c-ccg.github.io/did-key-spec/#document-creation-algorithm

    Args:
        did: ``"did:key:X"`` (a DID URL ``"did:key:X#X"`` is accepted and reduced to the DID).

    Returns:
        The DID document with one Multikey verification method ``did#X`` referenced from
        authentication, assertionMethod, capabilityDelegation and capabilityInvocation.

    Raises:
        InvalidKeyError: not a valid did:key.
        UnsupportedKeyTypeError: a multicodec other than Ed25519 or P-256.
    """
    identifier = _did_key_identifier(did)
    multikey_to_public_key(identifier)  # validate before describing it
    bare = _DID_KEY_PREFIX + identifier
    method_id = f"{bare}#{identifier}"
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": bare,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": bare, "publicKeyMultibase": identifier}
        ],
        "authentication": [method_id],
        "assertionMethod": [method_id],
        "capabilityDelegation": [method_id],
        "capabilityInvocation": [method_id],
    }


# --------------------------------------------------------------------------------------------------
# did:web (https://w3c-ccg.github.io/did-method-web/)
# --------------------------------------------------------------------------------------------------

_DID_WEB_PREFIX = "did:web:"
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")
# DID syntax idchar: ALPHA / DIGIT / "." / "-" / "_" / pct-encoded.
_SEGMENT = re.compile(r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+")


def _check_host(host: str, port: str | None, source: str) -> None:
    if _HOST.fullmatch(host) is None:
        raise InvalidKeyError(f"did:web host must be an ASCII (IDNA) domain name: {source[:80]!r}")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise InvalidKeyError(f"did:web does not allow IP addresses: {source[:80]!r}")
    if port is not None and (not port.isdigit() or not 0 < int(port) < 65536 or port.startswith("0")):
        raise InvalidKeyError(f"did:web port is not a valid port number: {source[:80]!r}")


def _check_segment(segment: str, source: str) -> None:
    if not segment:
        raise InvalidKeyError(f"did:web has an empty path segment: {source[:80]!r}")
    if _SEGMENT.fullmatch(segment) is None:
        raise InvalidKeyError(f"did:web path segment {segment!r} has characters a DID cannot carry")
    decoded = unquote(segment)
    # Refuse traversal, also when percent-encoded ("%2e%2e", "%2F").
    if decoded in (".", "..") or "/" in decoded or "\\" in decoded:
        raise InvalidKeyError(f"did:web path segment {segment!r} is not allowed")


def did_web_from_url(url: str) -> str:
    """Build the did:web DID of an HTTPS base URL.

    https://w3c-ccg.github.io/did-method-web/#create-register

    ``https://host[:port]/a/b`` becomes ``did:web:host[%3Aport]:a:b``. A URL that already names the
    DID document (``…/did.json`` or ``/.well-known/did.json``) gives the DID of that document.

    Args:
        url: an ``https://`` URL without user info, query or fragment.

    Returns:
        The did:web DID (host lower-cased).

    Raises:
        InvalidKeyError: not https, user info, query, fragment, an IP address, or unusable path segments.
    """
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise InvalidKeyError(f"did:web needs an https:// URL: {url[:80]!r}")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise InvalidKeyError(f"did:web URL must not carry user info, a query or a fragment: {url[:80]!r}")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError as err:
        raise InvalidKeyError(f"did:web port is not a valid port number: {url[:80]!r}") from err
    _check_host(host, None if port is None else str(port), url)
    path = parts.path.rstrip("/")
    for suffix in ("/.well-known/did.json", "/did.json"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    segments = path.split("/")[1:] if path else []
    for segment in segments:
        _check_segment(segment, url)
    authority = host if port is None else f"{host}%3A{port}"
    return ":".join([_DID_WEB_PREFIX + authority, *segments])


def did_web_to_url(did: str) -> str:
    """Give the HTTPS URL of the DID document of a did:web DID.

    https://w3c-ccg.github.io/did-method-web/#read-resolve

    ``did:web:host:a:b`` becomes ``https://host/a/b/did.json``; a bare host becomes
    ``https://host/.well-known/did.json``; ``%3A`` in the host part is the port separator.

    Args:
        did: a did:web DID (no path, query or fragment).

    Returns:
        The ``https://`` URL of ``did.json``.

    Raises:
        InvalidKeyError: not a did:web, a DID URL, an invalid host or port, empty segments or path traversal.
    """
    if not did.startswith(_DID_WEB_PREFIX):
        raise InvalidKeyError(f"not a did:web identifier: {did[:80]!r}")
    specific = did[len(_DID_WEB_PREFIX) :]
    if any(char in specific for char in "/?#"):
        raise InvalidKeyError(f"expected a did:web DID, not a DID URL: {did[:80]!r}")
    authority, *segments = specific.split(":")
    host, separator, port = unquote(authority).partition(":")
    _check_host(host, port if separator else None, did)
    for segment in segments:
        _check_segment(segment, did)
    netloc = f"{host}:{port}" if port else host
    if not segments:
        return f"https://{netloc}/.well-known/did.json"
    return f"https://{netloc}/{'/'.join(segments)}/did.json"
