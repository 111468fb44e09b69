"""Signers: real signatures, known-answer vectors, and no way to get the private key back."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import jwt
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from keys import (
    Ed25519Signer,
    InvalidKeyError,
    P256Signer,
    PrivateKey,
    RsaSigner,
    Signer,
    UnsupportedKeyTypeError,
    ed25519_private_key_from_multikey,
    generate_private_key,
    multibase_decode,
    signer_for,
)

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO.parent / "shared" / "spec"
W3C_EDDSA = SPEC / "vectors" / "eddsa"
PRIVATE_TYPES = (ed25519.Ed25519PrivateKey, rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)


@pytest.fixture(name="rsa_key", scope="module")
def fx_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(name="signers")
def fx_signers(rsa_key: rsa.RSAPrivateKey) -> list[Signer]:
    return [
        Ed25519Signer(ed25519.Ed25519PrivateKey.generate(), key_id="ed"),
        RsaSigner(rsa_key, key_id="rsa"),
        P256Signer(ec.generate_private_key(ec.SECP256R1()), key_id="p256"),
    ]


def test_ed25519_signer_reproduces_the_w3c_eddsa_rdfc_2022_signature() -> None:
    pair = json.loads((W3C_EDDSA / "keyPair.json").read_text(encoding="utf-8"))
    signer = Ed25519Signer(ed25519_private_key_from_multikey(pair["privateKeyMultibase"]), key_id="vector")
    hash_data = bytes.fromhex((W3C_EDDSA / "eddsa-rdfc-2022" / "combinedHashDataInt.txt").read_text().strip())
    expected = (W3C_EDDSA / "eddsa-rdfc-2022" / "sigHexDataInt.txt").read_text().strip()
    assert signer.sign(hash_data).hex() == expected
    assert signer.algorithm == "EdDSA"


def test_ed25519_signer_reproduces_the_1edtech_ob_vector_signature() -> None:
    # Values from ../shared/spec/vectors/ob-eddsa-rdfc-2022/README.md (the 1EdTech HTML).
    seed = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
    proof_hash = bytes.fromhex("d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19")
    document_hash = bytes.fromhex("87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773")
    signer = Ed25519Signer(ed25519.Ed25519PrivateKey.from_private_bytes(seed), key_id="ob")
    signature = signer.sign(proof_hash + document_hash)
    assert signature.hex() == (
        "f7a017acf7d27983267ec362657c0fb08e955549f49dac5bf36a03c4f2c3a4f1"
        "e3738a6c5ecd7ffba7135cb9cd754e6196f4b73082ea8df8e703c8ecd4333503"
    )
    assert signature == multibase_decode(
        "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr"
    )


def test_ed25519_signer_signature_verifies_and_fails_on_other_data() -> None:
    signer = Ed25519Signer(ed25519.Ed25519PrivateKey.generate(), key_id="k1")
    signature = signer.sign(b"payload")
    public_key = signer.public_key()
    assert isinstance(public_key, ed25519.Ed25519PublicKey)
    public_key.verify(signature, b"payload")
    with pytest.raises(InvalidSignature):
        public_key.verify(signature, b"payloaD")


def test_rsa_signer_produces_rs256_pkcs1v15_sha256(rsa_key: rsa.RSAPrivateKey) -> None:
    signer = RsaSigner(rsa_key, key_id="r1")
    signature = signer.sign(b"header.payload")
    assert signer.algorithm == "RS256"
    assert len(signature) == 256
    rsa_key.public_key().verify(signature, b"header.payload", padding.PKCS1v15(), hashes.SHA256())


def test_rsa_signer_refuses_keys_under_2048_bits() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - must be refused
    with pytest.raises(InvalidKeyError, match="1024 bits"):
        RsaSigner(small, key_id="small")
    with pytest.raises(InvalidKeyError, match="too small"):
        signer_for(small, key_id="small")


def test_p256_signer_returns_raw_r_s_that_verifies_as_der() -> None:
    private_key = ec.generate_private_key(ec.SECP256R1())
    signer = P256Signer(private_key, key_id="p1")
    signature = signer.sign(b"header.payload")
    assert signer.algorithm == "ES256"
    assert len(signature) == 64
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    private_key.public_key().verify(der, b"header.payload", ec.ECDSA(hashes.SHA256()))


def test_p256_signer_refuses_other_curves() -> None:
    with pytest.raises(InvalidKeyError, match="secp384r1"):
        P256Signer(ec.generate_private_key(ec.SECP384R1()), key_id="p384")


def test_signer_constructors_refuse_the_wrong_key_type(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(InvalidKeyError, match="Ed25519 private key"):
        Ed25519Signer(rsa_key, key_id="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError, match="RSA private key"):
        RsaSigner(ed25519.Ed25519PrivateKey.generate(), key_id="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError, match="EC private key"):
        P256Signer(rsa_key, key_id="x")  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError, match="key id"):
        Ed25519Signer(ed25519.Ed25519PrivateKey.generate(), key_id="")


@pytest.mark.parametrize("algorithm", ["EdDSA", "RS256", "ES256"])
def test_signers_interoperate_with_pyjwt(algorithm: str, signers: list[Signer]) -> None:
    # An independent JWS implementation must accept our signatures over the JWS signing input.
    signer = next(s for s in signers if s.algorithm == algorithm)
    header = jwt.utils.base64url_encode(json.dumps({"alg": algorithm, "typ": "JWT"}).encode())
    payload = jwt.utils.base64url_encode(json.dumps({"sub": "learner"}).encode())
    signing_input = header + b"." + payload
    token = (signing_input + b"." + jwt.utils.base64url_encode(signer.sign(signing_input))).decode()
    assert jwt.decode(token, key=signer.public_key(), algorithms=[algorithm]) == {"sub": "learner"}


def test_signer_repr_shows_only_algorithm_and_key_id(signers: list[Signer]) -> None:
    assert [repr(s) for s in signers] == [
        "Ed25519Signer(algorithm='EdDSA', key_id='ed')",
        "RsaSigner(algorithm='RS256', key_id='rsa')",
        "P256Signer(algorithm='ES256', key_id='p256')",
    ]


def test_signer_exposes_no_private_key(signers: list[Signer]) -> None:
    for signer in signers:
        exposed: list[object] = []
        for name in dir(signer):
            if name.startswith("_"):
                continue
            value = getattr(signer, name)
            if callable(value) and name != "sign":
                value = value()
            exposed.append(value)
        assert exposed, "the signer should expose its public surface"
        assert not any(isinstance(value, PRIVATE_TYPES) for value in exposed)
        assert not hasattr(signer, "__dict__")  # slots only: no stray attribute can be added later


def test_signer_cannot_be_pickled(signers: list[Signer]) -> None:
    for signer in signers:
        with pytest.raises(TypeError, match="private key"):
            pickle.dumps(signer)


def test_generate_private_key_gives_the_key_type_of_each_algorithm() -> None:
    ed = generate_private_key("EdDSA")
    p256 = generate_private_key("ES256")
    rsa_key = generate_private_key("RS256")
    assert isinstance(ed, ed25519.Ed25519PrivateKey)
    assert isinstance(p256, ec.EllipticCurvePrivateKey)
    assert isinstance(p256.curve, ec.SECP256R1)
    assert isinstance(rsa_key, rsa.RSAPrivateKey)
    assert rsa_key.key_size == 3072
    assert rsa_key.private_numbers().public_numbers.e == 65537


def test_generate_private_key_refuses_unknown_algorithms() -> None:
    for algorithm in ("HS256", "ES384", "eddsa", ""):
        with pytest.raises(UnsupportedKeyTypeError, match="unsupported algorithm"):
            generate_private_key(algorithm)


def test_signer_for_picks_the_class_by_key_type(rsa_key: rsa.RSAPrivateKey) -> None:
    keys: list[tuple[PrivateKey, type]] = [
        (ed25519.Ed25519PrivateKey.generate(), Ed25519Signer),
        (rsa_key, RsaSigner),
        (ec.generate_private_key(ec.SECP256R1()), P256Signer),
    ]
    for private_key, expected in keys:
        signer = signer_for(private_key, key_id="k")
        assert type(signer) is expected
        assert signer.key_id == "k"
        own = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        assert signer.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) == own


def test_signer_for_refuses_unsupported_key_types() -> None:
    with pytest.raises(UnsupportedKeyTypeError, match="Ed448PrivateKey"):
        signer_for(ed448.Ed448PrivateKey.generate(), key_id="k")  # type: ignore[arg-type]


def test_signer_does_not_leak_key_bytes_in_repr_or_str() -> None:
    private_key = ed25519.Ed25519PrivateKey.generate()
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    signer = Ed25519Signer(private_key, key_id="k")
    for text in (repr(signer), str(signer)):
        assert raw.hex() not in text
        assert "Private" not in text
