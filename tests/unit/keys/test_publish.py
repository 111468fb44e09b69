"""DID documents and JWKS built from key records, plus the shape of the public `keys` API."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import keys
from keys import (
    InvalidKeyError,
    KeyRecord,
    KeyStatus,
    PublicKey,
    did_document,
    jwk_thumbprint,
    jwk_to_public_key,
    jwks,
    multikey_to_public_key,
    public_key_to_jwk,
)

DID = "did:web:badges.example.edu"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _record(key: PublicKey, algorithm: str, status: KeyStatus, created: datetime = NOW) -> KeyRecord:
    jwk = public_key_to_jwk(key)
    return KeyRecord(
        key_id=jwk_thumbprint(jwk),
        algorithm=algorithm,
        status=status,
        created=created,
        public_jwk=jwk,
        retired_at=created if status == "retired" else None,
        revoked_at=created if status == "revoked" else None,
        revocation_reason="compromised" if status == "revoked" else None,
    )


def _spki(key: PublicKey) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(name="rsa_public", scope="module")
def fx_rsa_public() -> rsa.RSAPublicKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()


@pytest.fixture(name="records")
def fx_records(rsa_public: rsa.RSAPublicKey) -> dict[str, KeyRecord]:
    return {
        "ed_retired": _record(ed25519.Ed25519PrivateKey.generate().public_key(), "EdDSA", "retired"),
        "ed_active": _record(
            ed25519.Ed25519PrivateKey.generate().public_key(), "EdDSA", "active", NOW + timedelta(days=30)
        ),
        "p256": _record(ec.generate_private_key(ec.SECP256R1()).public_key(), "ES256", "active"),
        "rsa": _record(rsa_public, "RS256", "active"),
        "revoked": _record(ed25519.Ed25519PrivateKey.generate().public_key(), "EdDSA", "revoked"),
    }


def _methods(document: dict[str, object]) -> dict[str, dict[str, object]]:
    methods = document["verificationMethod"]
    assert isinstance(methods, list)
    return {str(method["id"]).split("#", 1)[1]: method for method in methods}


def test_did_document_lists_published_keys_in_their_formats(records: dict[str, KeyRecord]) -> None:
    document = did_document(DID, list(records.values()))
    assert document["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
        "https://w3id.org/security/jwk/v1",
    ]
    assert document["id"] == DID
    methods = _methods(document)
    assert set(methods) == {records[name].key_id for name in ("ed_retired", "ed_active", "p256", "rsa")}
    for name in ("ed_retired", "ed_active", "p256"):
        method = methods[records[name].key_id]
        assert method["type"] == "Multikey"
        assert method["controller"] == DID
        assert method["id"] == f"{DID}#{records[name].key_id}"
        decoded = multikey_to_public_key(str(method["publicKeyMultibase"]))
        assert _spki(decoded) == _spki(records[name].public_key())
    rsa_method = methods[records["rsa"].key_id]
    assert rsa_method["type"] == "JsonWebKey"
    assert rsa_method["publicKeyJwk"] == dict(records["rsa"].public_jwk)
    assert "publicKeyMultibase" not in rsa_method
    ids = [f"{DID}#{key_id}" for key_id in methods]
    assert document["assertionMethod"] == ids
    assert document["authentication"] == ids
    assert "alsoKnownAs" not in document


def test_did_document_never_lists_revoked_keys(records: dict[str, KeyRecord]) -> None:
    document = did_document(DID, list(records.values()))
    revoked_id = records["revoked"].key_id
    assert revoked_id not in str(document)
    assert did_document(DID, [records["revoked"]])["verificationMethod"] == []


def test_did_document_puts_active_keys_first_newest_first(records: dict[str, KeyRecord]) -> None:
    document = did_document(DID, [records["ed_retired"], records["p256"], records["ed_active"]])
    assert list(_methods(document)) == [
        records["ed_active"].key_id,
        records["p256"].key_id,
        records["ed_retired"].key_id,
    ]


def test_did_document_carries_also_known_as(records: dict[str, KeyRecord]) -> None:
    document = did_document(DID, [records["ed_active"]], also_known_as="https://badges.example.edu/issuer")
    assert document["alsoKnownAs"] == ["https://badges.example.edu/issuer"]


@pytest.mark.parametrize(
    "did", ["badges.example.edu", "did:web", f"{DID}#key-1", f"{DID}/path", "https://x.org"]
)
def test_did_document_refuses_non_dids(did: str, records: dict[str, KeyRecord]) -> None:
    with pytest.raises(InvalidKeyError, match="not a DID"):
        did_document(did, [records["ed_active"]])
    with pytest.raises(InvalidKeyError, match="not a DID"):
        jwks([records["ed_active"]], did=did)


def test_jwks_lists_published_public_keys_with_kid_alg_and_use(records: dict[str, KeyRecord]) -> None:
    key_set = jwks(list(records.values()), did=DID)
    entries = {entry["kid"]: entry for entry in key_set["keys"]}
    published = [records[name] for name in ("ed_retired", "ed_active", "p256", "rsa")]
    assert set(entries) == {f"{DID}#{record.key_id}" for record in published}
    for record in published:
        entry = entries[f"{DID}#{record.key_id}"]
        assert (entry["alg"], entry["use"]) == (record.algorithm, "sig")
        assert jwk_thumbprint(entry) == record.key_id
        assert _spki(jwk_to_public_key(entry)) == _spki(record.public_key())
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(entry)


def test_jwks_uses_bare_key_ids_without_a_did(records: dict[str, KeyRecord]) -> None:
    key_set = jwks([records["rsa"], records["revoked"]])
    assert [entry["kid"] for entry in key_set["keys"]] == [records["rsa"].key_id]
    assert key_set["keys"][0]["kty"] == "RSA"


def test_jwks_kids_match_did_document_method_ids(records: dict[str, KeyRecord]) -> None:
    everything = list(records.values())
    methods = did_document(DID, everything)["verificationMethod"]
    assert isinstance(methods, list)
    assert [entry["kid"] for entry in jwks(everything, did=DID)["keys"]] == [
        method["id"] for method in methods
    ]


def test_keys_all_is_sorted_and_complete() -> None:
    # isort-style order (constants, classes, functions), as ruff's RUF022 enforces.
    def order(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert keys.__all__ == sorted(keys.__all__, key=order)
    assert len(set(keys.__all__)) == len(keys.__all__)
    for name in keys.__all__:
        assert getattr(keys, name) is not None
    modules = [keys.encoding, keys.signer, keys.store, keys.publish]
    public = {name for module in modules for name in module.__all__}
    errors = {
        name for name, value in vars(keys.errors).items() if inspect.isclass(value) and name.endswith("Error")
    }
    assert public | errors == set(keys.__all__)
