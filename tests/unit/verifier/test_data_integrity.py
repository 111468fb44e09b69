"""eddsa-rdfc-2022 and eddsa-jcs-2022: known-answer tests step by step, then verification failures."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from keys.encoding import (
    base58btc_encode,
    ed25519_private_key_from_multikey,
    multikey_to_public_key,
    public_key_from_did_key,
)
from verifier.document_loader import PinnedDocumentLoader
from verifier.errors import (
    CanonicalizationError,
    InvalidSignatureError,
    MalformedCredentialError,
    ProofError,
    ProofPurposeError,
    UnsupportedProofError,
)
from verifier.proofs.data_integrity import (
    CRYPTOSUITES,
    add_proof,
    hashing,
    iter_proofs,
    proof_configuration,
    signing_input,
    transformation,
    verify_proof,
)

REPO = Path(__file__).resolve().parents[3]
SPEC = REPO.parent / "shared" / "spec"
EDDSA = SPEC / "vectors" / "eddsa"
OB_VECTOR = SPEC / "vectors" / "ob-eddsa-rdfc-2022"
DCC_EXAMPLE = SPEC / "examples" / "dcc" / "obv3-eddsa-rdfc-2022-didkey-with-bitstring-status.json"
EXAMPLES_CONTEXT_URL = "https://www.w3.org/ns/credentials/examples/v2"

# ../shared/spec/vectors/ob-eddsa-rdfc-2022/README.md (values stated in the 1EdTech HTML).
OB_PUBLIC_KEY_HEX = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
OB_SEED_HEX = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
OB_DOCUMENT_HASH = "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
OB_PROOF_HASH = "d34009cea0dbc1ca941e09dc01c8c9d3e3ce3c5b853f67ee44698dcea10f5d19"
OB_SIGNATURE = (
    "f7a017acf7d27983267ec362657c0fb08e955549f49dac5bf36a03c4f2c3a4f1"
    "e3738a6c5ecd7ffba7135cb9cd754e6196f4b73082ea8df8e703c8ecd4333503"
)

# Suite -> (folder, file suffix) of the W3C vectors.
W3C_VECTORS = {"eddsa-rdfc-2022": ("eddsa-rdfc-2022", "DataInt"), "eddsa-jcs-2022": ("eddsa-jcs-2022", "JCS")}


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _as_text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _vector(suite: str, stem: str, extension: str = "txt") -> Path:
    folder, suffix = W3C_VECTORS[suite]
    return EDDSA / folder / f"{stem}{suffix}.{extension}"


@pytest.fixture(name="loader")
def fx_loader() -> PinnedDocumentLoader:
    return PinnedDocumentLoader(
        extra={EXAMPLES_CONTEXT_URL: _json(SPEC / "contexts" / "credentials-examples-v2.jsonld")}
    )


@pytest.fixture(name="w3c_private_key")
def fx_w3c_private_key() -> Ed25519PrivateKey:
    return ed25519_private_key_from_multikey(_json(EDDSA / "keyPair.json")["privateKeyMultibase"])


@pytest.fixture(name="w3c_public_key")
def fx_w3c_public_key() -> Ed25519PublicKey:
    key = multikey_to_public_key(_json(EDDSA / "keyPair.json")["publicKeyMultibase"])
    assert isinstance(key, Ed25519PublicKey)
    return key


@pytest.fixture(name="ob_signed")
def fx_ob_signed() -> dict[str, Any]:
    document: dict[str, Any] = _json(OB_VECTOR / "signed-credential.json")
    return document


@pytest.fixture(name="ob_public_key")
def fx_ob_public_key() -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(OB_PUBLIC_KEY_HEX))


def _options(suite: str) -> dict[str, Any]:
    config: dict[str, Any] = _json(_vector(suite, "proofConfig", "json"))
    return {key: value for key, value in config.items() if key != "@context"}


# --- W3C VC-DI-EDDSA test vectors, one step at a time -----------------------------------------------


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_proof_configuration_w3c_vector(suite: str) -> None:
    unsigned = _json(EDDSA / "unsigned.json")
    config = proof_configuration(_options(suite), document_context=unsigned["@context"])
    assert config == _json(_vector(suite, "proofConfig", "json"))


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_transformation_w3c_vector(suite: str, loader: PinnedDocumentLoader) -> None:
    unsigned = _json(EDDSA / "unsigned.json")
    canonical_document = transformation(unsigned, cryptosuite=suite, loader=loader)
    canonical_config = transformation(
        _json(_vector(suite, "proofConfig", "json")), cryptosuite=suite, loader=loader
    )
    # RDFC gives N-Quads text, JCS gives bytes; the vector files hold the same characters.
    expected_type = str if suite == "eddsa-rdfc-2022" else bytes
    assert isinstance(canonical_document, expected_type)
    assert isinstance(canonical_config, expected_type)
    assert _as_text(canonical_document) == _text(_vector(suite, "canonDoc"))
    assert _as_text(canonical_config) == _text(_vector(suite, "proofCanon"))


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_hashing_w3c_vector(suite: str) -> None:
    document = _text(_vector(suite, "canonDoc"))
    config = _text(_vector(suite, "proofCanon"))
    assert hashlib.sha256(document.encode()).hexdigest() == _text(_vector(suite, "docHash")).strip()
    assert hashlib.sha256(config.encode()).hexdigest() == _text(_vector(suite, "proofHash")).strip()
    combined = hashing(document, canonical_proof_config=config)
    assert combined.hex() == _text(_vector(suite, "combinedHash")).strip()
    assert hashing(document.encode(), canonical_proof_config=config.encode()) == combined


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_signing_input_and_signature_w3c_vector(
    suite: str, loader: PinnedDocumentLoader, w3c_private_key: Ed25519PrivateKey
) -> None:
    data = signing_input(_json(EDDSA / "unsigned.json"), _options(suite), loader=loader)
    assert data.hex() == _text(_vector(suite, "combinedHash")).strip()
    signature = w3c_private_key.sign(data)  # Ed25519 is deterministic (RFC 8032)
    assert signature.hex() == _text(_vector(suite, "sigHex")).strip()
    assert "z" + base58btc_encode(signature) == _text(_vector(suite, "sigBTC58")).strip()


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_add_proof_w3c_vector(
    suite: str, loader: PinnedDocumentLoader, w3c_private_key: Ed25519PrivateKey
) -> None:
    unsigned = _json(EDDSA / "unsigned.json")
    options = _options(suite)
    signed = add_proof(
        unsigned, options, w3c_private_key.sign(signing_input(unsigned, options, loader=loader))
    )
    expected = _json(_vector(suite, "signed", "json"))
    assert signed["proof"] == [expected["proof"]]
    assert {key: value for key, value in signed.items() if key != "proof"} == unsigned
    assert "proof" not in unsigned  # input untouched


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_verify_proof_w3c_signed_vector(
    suite: str, loader: PinnedDocumentLoader, w3c_public_key: Ed25519PublicKey
) -> None:
    signed = _json(_vector(suite, "signed", "json"))
    (proof,) = iter_proofs(signed)
    assert proof["cryptosuite"] == suite
    verify_proof(signed, proof, w3c_public_key, loader=loader)


# --- 1EdTech OB 3.0 vector and the DCC example -------------------------------------------------------


def test_transformation_1edtech_ob_vector(ob_signed: dict[str, Any]) -> None:
    unsigned = _json(OB_VECTOR / "unsigned-credential.json")
    proof_options = {key: value for key, value in ob_signed["proof"].items() if key != "proofValue"}
    config = proof_configuration(proof_options, document_context=unsigned["@context"])
    canonical_document = transformation(unsigned, cryptosuite="eddsa-rdfc-2022")
    canonical_config = transformation(config, cryptosuite="eddsa-rdfc-2022")
    assert canonical_document == _text(OB_VECTOR / "document-canon.txt")
    assert canonical_config == _text(OB_VECTOR / "proof-canon.txt")
    combined = hashing(canonical_document, canonical_proof_config=canonical_config)
    assert combined.hex() == OB_PROOF_HASH + OB_DOCUMENT_HASH


def test_signing_input_1edtech_ob_vector_reproduces_signature(ob_signed: dict[str, Any]) -> None:
    unsigned = _json(OB_VECTOR / "unsigned-credential.json")
    proof_options = {key: value for key, value in ob_signed["proof"].items() if key != "proofValue"}
    private_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(OB_SEED_HEX))
    signature = private_key.sign(signing_input(unsigned, proof_options))
    assert signature.hex() == OB_SIGNATURE
    assert add_proof(unsigned, proof_options, signature)["proof"] == [ob_signed["proof"]]


def test_verify_proof_1edtech_ob_vector(ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey) -> None:
    (proof,) = iter_proofs(ob_signed)
    verify_proof(ob_signed, proof, ob_public_key)


def test_verify_proof_dcc_example_with_did_key() -> None:
    credential = _json(DCC_EXAMPLE)
    (proof,) = iter_proofs(credential)
    key = public_key_from_did_key(proof["verificationMethod"])
    assert isinstance(key, Ed25519PublicKey)
    verify_proof(credential, proof, key)


# --- Round trips -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_add_proof_then_verify_round_trip(suite: str) -> None:
    unsigned = _json(OB_VECTOR / "unsigned-credential.json")
    private_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": suite,
        "created": "2026-11-23T12:00:00Z",
        "verificationMethod": "https://example.edu/issuers/565049#key-1",
        "proofPurpose": "assertionMethod",
    }
    signed = add_proof(unsigned, options, private_key.sign(signing_input(unsigned, options)))
    (proof,) = iter_proofs(signed)
    verify_proof(signed, proof, private_key.public_key())


def test_add_proof_appends_to_a_proof_set_and_each_verifies(
    ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey
) -> None:
    second_key = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": "https://example.edu/issuers/565049#key-2",
        "proofPurpose": "assertionMethod",
    }
    both = add_proof(ob_signed, options, second_key.sign(signing_input(ob_signed, options)))
    first, second = iter_proofs(both)
    assert first == ob_signed["proof"]
    verify_proof(both, first, ob_public_key)
    verify_proof(both, second, second_key.public_key())


# --- Verification failures ---------------------------------------------------------------------------


def test_verify_proof_tampered_character_is_invalid_signature(
    ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey
) -> None:
    tampered = copy.deepcopy(ob_signed)
    tampered["name"] = tampered["name"][:-1] + ("X" if tampered["name"][-1] != "X" else "Y")
    with pytest.raises(InvalidSignatureError) as caught:
        verify_proof(tampered, iter_proofs(tampered)[0], ob_public_key)
    assert caught.value.code == "INVALID_SIGNATURE"


def test_verify_proof_tampered_proof_option_is_invalid_signature(
    ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey
) -> None:
    ob_signed["proof"]["created"] = "2010-01-01T19:23:25Z"
    with pytest.raises(InvalidSignatureError):
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], ob_public_key)


def test_verify_proof_tampered_jcs_is_invalid_signature(
    loader: PinnedDocumentLoader, w3c_public_key: Ed25519PublicKey
) -> None:
    signed = _json(_vector("eddsa-jcs-2022", "signed", "json"))
    signed["credentialSubject"]["alumniOf"] = "The School of Exemples"
    with pytest.raises(InvalidSignatureError):
        verify_proof(signed, iter_proofs(signed)[0], w3c_public_key, loader=loader)


def test_verify_proof_wrong_key_is_invalid_signature(ob_signed: dict[str, Any]) -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    with pytest.raises(InvalidSignatureError):
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], other)


def test_verify_proof_unknown_cryptosuite_is_unsupported(
    ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey
) -> None:
    ob_signed["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    with pytest.raises(UnsupportedProofError, match="ecdsa-rdfc-2019") as caught:
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], ob_public_key)
    assert caught.value.code == "UNSUPPORTED_PROOF"


def test_verify_proof_legacy_proof_type_is_unsupported(
    ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey
) -> None:
    ob_signed["proof"]["type"] = "Ed25519Signature2020"
    with pytest.raises(UnsupportedProofError, match="Ed25519Signature2020"):
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], ob_public_key)


def test_verify_proof_non_ed25519_key_is_unsupported(ob_signed: dict[str, Any]) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(UnsupportedProofError, match="Ed25519"):
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], p256)  # type: ignore[arg-type]


def test_verify_proof_proof_chain_is_unsupported(
    ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey
) -> None:
    ob_signed["proof"]["previousProof"] = "urn:uuid:6a6c0e1e-2a0a-4a36-9d8e-8c1b5b3f6c0d"
    with pytest.raises(UnsupportedProofError, match="previousProof"):
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], ob_public_key)


def test_verify_proof_wrong_purpose(ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey) -> None:
    with pytest.raises(ProofPurposeError, match="authentication") as caught:
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], ob_public_key, expected_purpose="authentication")
    assert caught.value.code == "INVALID_PROOF_PURPOSE"


@pytest.mark.parametrize("member", ["verificationMethod", "proofValue", "proofPurpose"])
def test_verify_proof_missing_member_is_malformed(
    member: str, ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey
) -> None:
    del ob_signed["proof"][member]
    with pytest.raises(MalformedCredentialError, match=member):
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], ob_public_key)


@pytest.mark.parametrize(
    ("proof_value", "message"),
    [
        (
            "5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgkCr",
            "multibase",
        ),
        (
            "z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCzgk0r",
            "base58btc",
        ),
        ("z5x9aCBYovW3CQCbKdNyhEm7ffYSw1YpEdPywQJoNbzDD2gkzQDKJ1sYKJaWvqZtkMtSbz35HcbgXVEDYHxCz", "64 bytes"),
        (12345, "multibase"),
    ],
)
def test_verify_proof_bad_proof_value_is_invalid_signature(
    proof_value: object, message: str, ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey
) -> None:
    ob_signed["proof"]["proofValue"] = proof_value
    with pytest.raises(InvalidSignatureError, match=message):
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], ob_public_key)


def test_verify_proof_challenge_and_domain(ob_public_key: Ed25519PublicKey) -> None:
    unsigned = _json(OB_VECTOR / "unsigned-credential.json")
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "verificationMethod": "https://example.edu/issuers/565049#key-3",
        "proofPurpose": "authentication",
        "challenge": "c0ae1c8e-c7e7-469f-b252-86e6a0e7387e",
        "domain": ["verifier.example", "other.example"],
    }
    signed = add_proof(unsigned, options, key.sign(signing_input(unsigned, options)))
    proof = iter_proofs(signed)[0]
    verify_proof(
        signed,
        proof,
        key.public_key(),
        expected_purpose="authentication",
        challenge="c0ae1c8e-c7e7-469f-b252-86e6a0e7387e",
        domain="verifier.example",
    )
    with pytest.raises(ProofError, match="challenge"):
        verify_proof(signed, proof, key.public_key(), expected_purpose="authentication", challenge="replayed")
    with pytest.raises(ProofError, match="domain"):
        verify_proof(
            signed, proof, key.public_key(), expected_purpose="authentication", domain="evil.example"
        )


def test_verify_proof_jcs_context_must_prefix_document_context(
    loader: PinnedDocumentLoader, w3c_public_key: Ed25519PublicKey
) -> None:
    signed = _json(_vector("eddsa-jcs-2022", "signed", "json"))
    signed["@context"] = list(reversed(signed["@context"]))
    with pytest.raises(ProofError, match="does not start with") as caught:
        verify_proof(signed, iter_proofs(signed)[0], w3c_public_key, loader=loader)
    assert caught.value.code == "PROOF_VERIFICATION_ERROR"


def test_verify_proof_jcs_accepts_context_appended_after_signing(
    loader: PinnedDocumentLoader, w3c_public_key: Ed25519PublicKey
) -> None:
    signed = _json(_vector("eddsa-jcs-2022", "signed", "json"))
    signed["@context"].append("https://w3id.org/security/data-integrity/v2")
    verify_proof(signed, iter_proofs(signed)[0], w3c_public_key, loader=loader)


def test_verify_proof_refuses_undefined_term_added_after_signing(
    ob_signed: dict[str, Any], ob_public_key: Ed25519PublicKey
) -> None:
    # Safe mode: an undefined term is not silently dropped (which would leave the signature valid).
    ob_signed["unsignedClaim"] = "anything"
    with pytest.raises(CanonicalizationError, match="unsignedClaim"):
        verify_proof(ob_signed, iter_proofs(ob_signed)[0], ob_public_key)


# --- Proof configuration and helpers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "created", ["2023-02-24", "2023-02-24 23:36:38Z", "2023-13-01T00:00:00Z", 1677281798]
)
def test_proof_configuration_refuses_created_that_is_not_xsd_datetime(created: object) -> None:
    options = {**_options("eddsa-rdfc-2022"), "created": created}
    with pytest.raises(MalformedCredentialError, match="created"):
        proof_configuration(options, document_context=["https://www.w3.org/ns/credentials/v2"])


@pytest.mark.parametrize(
    "created", ["2023-02-24T23:36:38Z", "2023-02-24T23:36:38.123+01:00", "2023-02-24T23:36:38"]
)
def test_proof_configuration_accepts_xsd_datetime(created: str) -> None:
    options = {**_options("eddsa-rdfc-2022"), "created": created}
    assert proof_configuration(options, document_context=None)["created"] == created


def test_proof_configuration_refuses_other_proof_type() -> None:
    options = {**_options("eddsa-rdfc-2022"), "type": "Ed25519Signature2020"}
    with pytest.raises(UnsupportedProofError, match="Ed25519Signature2020"):
        proof_configuration(options, document_context=None)


def test_proof_configuration_drops_proof_value_and_copies_context() -> None:
    context = ["https://www.w3.org/ns/credentials/v2"]
    config = proof_configuration({**_options("eddsa-jcs-2022"), "proofValue": "z1"}, document_context=context)
    assert "proofValue" not in config
    assert config["@context"] == context
    assert config["@context"] is not context


def test_transformation_refuses_unknown_cryptosuite() -> None:
    with pytest.raises(UnsupportedProofError, match="bbs-2023"):
        transformation({"@context": []}, cryptosuite="bbs-2023")


def test_add_proof_refuses_signature_of_wrong_length() -> None:
    with pytest.raises(InvalidSignatureError, match="64 bytes"):
        add_proof(_json(EDDSA / "unsigned.json"), _options("eddsa-rdfc-2022"), b"\x00" * 63)


def test_iter_proofs_accepts_object_array_or_nothing() -> None:
    proof = {"type": "DataIntegrityProof"}
    assert iter_proofs({"proof": proof}) == [proof]
    assert iter_proofs({"proof": [proof, proof]}) == [proof, proof]
    assert iter_proofs({}) == []


@pytest.mark.parametrize("proof", ["z3abc", 7, ["not an object"]])
def test_iter_proofs_refuses_malformed_proof(proof: object) -> None:
    with pytest.raises(MalformedCredentialError):
        iter_proofs({"proof": proof})
