"""Public-key encodings against published vectors, round trips, and malformed input."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from keys import (
    InvalidKeyError,
    PublicKey,
    UnsupportedKeyTypeError,
    base58btc_decode,
    base58btc_encode,
    did_key_document,
    did_key_from_public_key,
    did_web_from_url,
    did_web_to_url,
    ed25519_private_key_from_multikey,
    jwk_thumbprint,
    jwk_to_public_key,
    multibase_decode,
    multibase_encode,
    multikey_to_public_key,
    public_key_from_did_key,
    public_key_to_jwk,
    public_key_to_multikey,
)

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO.parent / "shared" / "spec"
W3C_EDDSA = SPEC / "vectors" / "eddsa"
OB_PUBLIC_HEX = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
OB_PUBLIC_MULTIKEY = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _spki(key: PublicKey) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(name="rsa_public", scope="module")
def fx_rsa_public() -> rsa.RSAPublicKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()


@pytest.fixture(name="w3c_pair")
def fx_w3c_pair() -> dict[str, str]:
    pair: dict[str, str] = json.loads((W3C_EDDSA / "keyPair.json").read_text(encoding="utf-8"))
    return pair


# ---- base58btc / multibase -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        # draft-msporny-base58-03 §5 test vectors
        (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
        (
            b"The quick brown fox jumps over the lazy dog.",
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z",
        ),
        (bytes.fromhex("0000287fb4cd"), "11233QC4"),
        (b"", ""),
        (b"\0", "1"),
    ],
)
def test_base58btc_matches_the_draft_vectors(raw: bytes, encoded: str) -> None:
    assert base58btc_encode(raw) == encoded
    assert base58btc_decode(encoded) == raw


def test_base58btc_matches_the_w3c_eddsa_signature_vector() -> None:
    signature = bytes.fromhex((W3C_EDDSA / "eddsa-rdfc-2022" / "sigHexDataInt.txt").read_text().strip())
    proof_value = (W3C_EDDSA / "eddsa-rdfc-2022" / "sigBTC58DataInt.txt").read_text().strip()
    assert multibase_encode(signature) == proof_value
    assert multibase_decode(proof_value) == signature


@given(st.binary(max_size=80))
def test_base58btc_round_trips_any_bytes(data: bytes) -> None:
    assert base58btc_decode(base58btc_encode(data)) == data
    assert multibase_decode(multibase_encode(data)) == data


@pytest.mark.parametrize("text", ["0abc", "O", "I", "l", "z+", "ab c", "é"])
def test_base58btc_decode_refuses_characters_outside_the_alphabet(text: str) -> None:
    with pytest.raises(InvalidKeyError, match="not base58btc"):
        base58btc_decode(text)


def test_multibase_decode_refuses_other_bases() -> None:
    for value in ("u_-8", "f00ff", "", "Z6Mk"):
        with pytest.raises(InvalidKeyError, match="must start with 'z'"):
            multibase_decode(value)


# ---- Multikey ---------------------------------------------------------------------------------------


def test_multikey_w3c_secret_key_yields_its_public_multikey(w3c_pair: dict[str, str]) -> None:
    private_key = ed25519_private_key_from_multikey(w3c_pair["privateKeyMultibase"])
    assert public_key_to_multikey(private_key.public_key()) == w3c_pair["publicKeyMultibase"]


def test_multikey_1edtech_ob_vector_key() -> None:
    key = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(OB_PUBLIC_HEX))
    assert public_key_to_multikey(key) == OB_PUBLIC_MULTIKEY
    decoded = multikey_to_public_key(OB_PUBLIC_MULTIKEY)
    assert isinstance(decoded, ed25519.Ed25519PublicKey)
    assert decoded.public_bytes(Encoding.Raw, PublicFormat.Raw).hex() == OB_PUBLIC_HEX
    assert multibase_decode(OB_PUBLIC_MULTIKEY)[:2] == b"\xed\x01"


def test_multikey_round_trips_ed25519_and_p256() -> None:
    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    ed_value, p256_value = public_key_to_multikey(ed), public_key_to_multikey(p256)
    assert ed_value.startswith("z6Mk")
    assert p256_value.startswith("zDn")
    raw = multibase_decode(p256_value)
    assert raw[:2] == b"\x80\x24"
    assert len(raw) == 2 + 33
    assert _spki(multikey_to_public_key(ed_value)) == _spki(ed)
    assert _spki(multikey_to_public_key(p256_value)) == _spki(p256)


def test_multikey_refuses_rsa_and_other_curves(rsa_public: rsa.RSAPublicKey) -> None:
    with pytest.raises(UnsupportedKeyTypeError, match="RSA"):
        public_key_to_multikey(rsa_public)
    with pytest.raises(UnsupportedKeyTypeError, match="secp384r1"):
        public_key_to_multikey(ec.generate_private_key(ec.SECP384R1()).public_key())


@pytest.mark.parametrize(
    ("raw", "error", "message"),
    [
        (b"\xed\x01" + b"\x01" * 31, InvalidKeyError, "32 key bytes, got 31"),
        (b"\xed\x01" + b"\x01" * 33, InvalidKeyError, "32 key bytes, got 33"),
        (b"\x80\x24" + b"\x04" + b"\x01" * 64, InvalidKeyError, "33-byte compressed point"),
        (b"\x80\x24" + b"\x02" + b"\xff" * 32, InvalidKeyError, "not a point on the curve"),
        (b"\x80\x26" + b"\x01" * 32, InvalidKeyError, "secret key"),
        (b"\xe7\x01" + b"\x02" * 33, UnsupportedKeyTypeError, "secp256k1-pub"),
        (b"\x85\x24" + b"\x01" * 270, UnsupportedKeyTypeError, "rsa-pub"),
        (b"\x99\x99\x01" + b"\x01" * 32, UnsupportedKeyTypeError, "unknown"),
        (b"\x80", InvalidKeyError, "truncated"),
        (b"\xed\x81\x00" + b"\x01" * 32, InvalidKeyError, "minimally encoded"),
        (b"", InvalidKeyError, "empty"),
    ],
)
def test_multikey_to_public_key_refuses_malformed_values(
    raw: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        multikey_to_public_key(multibase_encode(raw))


def test_multikey_to_public_key_refuses_non_multibase() -> None:
    with pytest.raises(InvalidKeyError, match="must start with 'z'"):
        multikey_to_public_key("6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
    with pytest.raises(InvalidKeyError, match="not base58btc"):
        multikey_to_public_key("z6Mk0OIl")


def test_ed25519_private_key_from_multikey_refuses_public_and_short_values(w3c_pair: dict[str, str]) -> None:
    with pytest.raises(InvalidKeyError, match="not an Ed25519 secret Multikey"):
        ed25519_private_key_from_multikey(w3c_pair["publicKeyMultibase"])
    with pytest.raises(InvalidKeyError, match="32-byte seed"):
        ed25519_private_key_from_multikey(multibase_encode(b"\x80\x26" + b"\x01" * 31))


# ---- JWK ----------------------------------------------------------------------------------------------


def test_jwk_round_trips_every_key_type(rsa_public: rsa.RSAPublicKey) -> None:
    keys: list[PublicKey] = [
        ed25519.Ed25519PrivateKey.generate().public_key(),
        rsa_public,
        ec.generate_private_key(ec.SECP256R1()).public_key(),
    ]
    for key in keys:
        jwk = public_key_to_jwk(key, kid="k-1")
        assert jwk["kid"] == "k-1"
        assert all("=" not in value for value in jwk.values())
        assert _spki(jwk_to_public_key(jwk)) == _spki(key)
    assert "kid" not in public_key_to_jwk(keys[0])


def test_jwk_members_follow_rfc_8037_and_7518(rsa_public: rsa.RSAPublicKey) -> None:
    ed = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(OB_PUBLIC_HEX))
    assert public_key_to_jwk(ed) == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "S96v3i6ovu-t2MaZtcfgcEz1EVTVLheyC3EzfKBMxaU",
    }
    rsa_jwk = public_key_to_jwk(rsa_public)
    assert sorted(rsa_jwk) == ["e", "kty", "n"]
    assert rsa_jwk["e"] == "AQAB"
    ec_jwk = public_key_to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert sorted(ec_jwk) == ["crv", "kty", "x", "y"]
    assert (ec_jwk["kty"], ec_jwk["crv"], len(ec_jwk["x"]), len(ec_jwk["y"])) == ("EC", "P-256", 43, 43)


def test_public_key_to_jwk_refuses_small_rsa_and_other_curves() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505
    with pytest.raises(InvalidKeyError, match="too small"):
        public_key_to_jwk(small)
    with pytest.raises(UnsupportedKeyTypeError, match="secp521r1"):
        public_key_to_jwk(ec.generate_private_key(ec.SECP521R1()).public_key())


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "oth", "k"])
def test_jwk_to_public_key_refuses_private_members(member: str) -> None:
    jwk: dict[str, object] = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "S96v3i6ovu-t2MaZtcfgcEz1EVTVLheyC3EzfKBMxaU",
    }
    jwk[member] = "AAAA"
    with pytest.raises(InvalidKeyError, match="JWK carries private key material"):
        jwk_to_public_key(jwk)


@pytest.mark.parametrize(
    ("jwk", "error", "message"),
    [
        ({"kty": "oct", "alg": "HS256"}, UnsupportedKeyTypeError, "symmetric"),
        ({"kty": "XYZ"}, UnsupportedKeyTypeError, "unsupported JWK key type"),
        ({"crv": "Ed25519", "x": "AAAA"}, InvalidKeyError, "'kty' is missing"),
        ({"kty": 7}, InvalidKeyError, "'kty' is missing or not a string"),
        ({"kty": "OKP", "crv": "X25519", "x": "AAAA"}, UnsupportedKeyTypeError, "X25519"),
        ({"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"}, UnsupportedKeyTypeError, "P-384"),
        ({"kty": "EC", "crv": "secp256k1", "x": "AAAA", "y": "AAAA"}, UnsupportedKeyTypeError, "secp256k1"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}, InvalidKeyError, "32 bytes, got 3"),
        (
            {"kty": "OKP", "crv": "Ed25519", "x": "S96v3i6ovu+t2MaZtcfgcEz1EVTVLheyC3EzfKBMxaU"},
            InvalidKeyError,
            "base64url",
        ),
        (
            {"kty": "OKP", "crv": "Ed25519", "x": "S96v3i6ovu-t2MaZtcfgcEz1EVTVLheyC3EzfKBMxaU="},
            InvalidKeyError,
            "base64url",
        ),
        (
            {"kty": "OKP", "crv": "Ed25519", "x": "S96v3i6ovu-t2MaZtcfgcEz1EVTVLheyC3EzfKBMxaV"},
            InvalidKeyError,
            "canonical",
        ),
        ({"kty": "OKP", "crv": "Ed25519"}, InvalidKeyError, "'x' is missing"),
        (
            {"kty": "EC", "crv": "P-256", "x": "A" * 43, "y": "A" * 43},
            InvalidKeyError,
            "not a point on the curve",
        ),
        ({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}, InvalidKeyError, "32 bytes each"),
        ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, InvalidKeyError, "too small"),
        ({"kty": "RSA", "n": "AQAB"}, InvalidKeyError, "'e' is missing"),
    ],
)
def test_jwk_to_public_key_refuses_bad_jwks(
    jwk: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        jwk_to_public_key(jwk)


def test_jwk_to_public_key_refuses_rsa_under_2048_bits() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505
    numbers = small.public_numbers()
    jwk = {
        "kty": "RSA",
        "n": _b64url(numbers.n.to_bytes(128, "big")),
        "e": "AQAB",
    }
    with pytest.raises(InvalidKeyError, match="1024 bits is too small"):
        jwk_to_public_key(jwk)


def test_jwk_thumbprint_matches_rfc_7638_section_3_1() -> None:
    jwk = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-"
            "5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
            "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_jwk_thumbprint_matches_rfc_8037_appendix_a_3() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "use": "sig"}
    assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_jwk_thumbprint_ignores_member_order_and_extra_members() -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    jwk = public_key_to_jwk(key)
    reordered = dict(reversed(list({**jwk, "kid": "x", "alg": "ES256"}.items())))
    assert jwk_thumbprint(reordered) == jwk_thumbprint(jwk)
    with pytest.raises(UnsupportedKeyTypeError, match="thumbprint"):
        jwk_thumbprint({"kty": "oct", "k": "AAAA"})
    with pytest.raises(InvalidKeyError, match="'y' is missing"):
        jwk_thumbprint({"kty": "EC", "crv": "P-256", "x": "AAAA"})


# ---- did:key ----------------------------------------------------------------------------------------------


def test_did_key_of_the_w3c_vectors_decodes_to_their_key(w3c_pair: dict[str, str]) -> None:
    signed = json.loads((W3C_EDDSA / "eddsa-rdfc-2022" / "signedDataInt.json").read_text(encoding="utf-8"))
    method = signed["proof"]["verificationMethod"]
    expected = multikey_to_public_key(w3c_pair["publicKeyMultibase"])
    assert _spki(public_key_from_did_key(method)) == _spki(expected)
    assert method == f"{did_key_from_public_key(expected)}#{w3c_pair['publicKeyMultibase']}"


def test_did_key_round_trips_ed25519_and_p256() -> None:
    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert did_key_from_public_key(ed).startswith("did:key:z6Mk")
    assert did_key_from_public_key(p256).startswith("did:key:zDn")
    for key in (ed, p256):
        did = did_key_from_public_key(key)
        identifier = did.removeprefix("did:key:")
        assert _spki(public_key_from_did_key(did)) == _spki(key)
        assert _spki(public_key_from_did_key(f"{did}#{identifier}")) == _spki(key)


@pytest.mark.parametrize(
    "value",
    [
        f"did:key:{OB_PUBLIC_MULTIKEY}#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        f"did:key:{OB_PUBLIC_MULTIKEY}#key-1",
        f"did:web:example.com#{OB_PUBLIC_MULTIKEY}",
        f"did:key:{OB_PUBLIC_MULTIKEY}/path",
        f"did:key:{OB_PUBLIC_MULTIKEY}?query",
        "did:key:",
        OB_PUBLIC_MULTIKEY,
    ],
)
def test_public_key_from_did_key_refuses_malformed_dids(value: str) -> None:
    with pytest.raises(InvalidKeyError):
        public_key_from_did_key(value)


def test_did_key_document_follows_the_did_key_method() -> None:
    did = f"did:key:{OB_PUBLIC_MULTIKEY}"
    method_id = f"{did}#{OB_PUBLIC_MULTIKEY}"
    expected = {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {"id": method_id, "type": "Multikey", "controller": did, "publicKeyMultibase": OB_PUBLIC_MULTIKEY}
        ],
        "authentication": [method_id],
        "assertionMethod": [method_id],
        "capabilityDelegation": [method_id],
        "capabilityInvocation": [method_id],
    }
    assert did_key_document(did) == expected
    assert did_key_document(method_id) == expected


def test_did_key_document_refuses_undecodable_keys() -> None:
    with pytest.raises(UnsupportedKeyTypeError):
        did_key_document("did:key:" + multibase_encode(b"\xe7\x01" + b"\x02" * 33))
    with pytest.raises(InvalidKeyError):
        did_key_document("did:key:z0OIl")


# ---- did:web ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "did"),
    [
        ("https://example.edu", "did:web:example.edu"),
        ("https://Example.EDU/", "did:web:example.edu"),
        ("https://example.edu:8443/issuers/565049", "did:web:example.edu%3A8443:issuers:565049"),
        ("https://w3c-ccg.github.io/user/alice/", "did:web:w3c-ccg.github.io:user:alice"),
        ("https://w3c-ccg.github.io/user/alice/did.json", "did:web:w3c-ccg.github.io:user:alice"),
        ("https://example.edu/.well-known/did.json", "did:web:example.edu"),
        ("https://example.edu/a%20b", "did:web:example.edu:a%20b"),
    ],
)
def test_did_web_from_url_builds_the_did(url: str, did: str) -> None:
    assert did_web_from_url(url) == did


@pytest.mark.parametrize(
    "url",
    [
        "http://example.edu/issuer",
        "ftp://example.edu",
        "https://user:pw@example.edu/",
        "https://example.edu/a?x=1",
        "https://example.edu/a#frag",
        "https://127.0.0.1/a",
        "https://[::1]/a",
        "https://example.edu/a//b",
        "https://example.edu/a/../b",
        "https://example.edu/a:b",
        "https://exämple.edu/",
        "https://example.edu:99999/",
        "https:///path",
    ],
)
def test_did_web_from_url_refuses_unusable_urls(url: str) -> None:
    with pytest.raises(InvalidKeyError):
        did_web_from_url(url)


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("did:web:example.com%3a3000", "https://example.com:3000/.well-known/did.json"),
    ],
)
def test_did_web_to_url_follows_the_did_web_read_rule(did: str, url: str) -> None:
    assert did_web_to_url(did) == url


@pytest.mark.parametrize(
    "did",
    [
        "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "did:webs:example.com",
        "did:web:",
        "did:web:example.com:",
        "did:web:example.com::user",
        "did:web:example.com:..:etc",
        "did:web:example.com:%2e%2e:etc",
        "did:web:example.com:a%2Fb",
        "did:web:example.com:.",
        "did:web:example.com#key-1",
        "did:web:example.com/path",
        "did:web:example.com?service=x",
        "did:web:example.com%3A",
        "did:web:example.com%3Aabc",
        "did:web:example.com%3A0",
        "did:web:127.0.0.1",
        "did:web:evil.com%2F..",
        "did:web:exa_mple.com",
        "https://example.com",
    ],
)
def test_did_web_to_url_refuses_malformed_dids(did: str) -> None:
    with pytest.raises(InvalidKeyError):
        did_web_to_url(did)


def test_did_web_round_trips_through_its_url() -> None:
    for url in ("https://badges.example.edu", "https://badges.example.edu:8443/district/7"):
        did = did_web_from_url(url)
        document_url = did_web_to_url(did)
        assert did_web_from_url(document_url) == did
