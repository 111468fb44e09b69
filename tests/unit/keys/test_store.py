"""FileKeyStore: life cycle, encryption at rest, permissions, and refusal of bad states."""

from __future__ import annotations

import base64
import dataclasses
import json
import pickle
import stat
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from keys import (
    KDF_ROUNDS,
    PASSPHRASE_ENV,
    FileKeyStore,
    KeyNotFoundError,
    KeyRevokedError,
    KeysError,
    KeyStoreLockedError,
    UnsupportedKeyTypeError,
    did_document,
    jwk_thumbprint,
    multibase_encode,
)

if TYPE_CHECKING:
    from pathlib import Path

PASSPHRASE = "correct horse battery staple"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
# Test stores use the RFC 8018 minimum so the suite stays fast; one test checks the default.
FAST_ROUNDS = 1_000


@pytest.fixture(name="directory")
def fx_directory(tmp_path: Path) -> Path:
    return tmp_path / "keystore"


@pytest.fixture(name="store")
def fx_store(directory: Path) -> FileKeyStore:
    return FileKeyStore(directory, PASSPHRASE, kdf_rounds=FAST_ROUNDS)


def _spki(key: object) -> bytes:
    assert isinstance(key, ed25519.Ed25519PublicKey | rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def test_store_generate_creates_an_active_key_named_by_its_thumbprint(store: FileKeyStore) -> None:
    record = store.generate("EdDSA", now=NOW)
    assert record.status == "active"
    assert record.algorithm == "EdDSA"
    assert record.created == NOW
    assert record.key_id == jwk_thumbprint(record.public_jwk)
    assert (record.retired_at, record.revoked_at, record.revocation_reason) == (None, None, None)
    assert store.records() == [record]
    assert store.record(record.key_id) == record


@pytest.mark.parametrize("algorithm", ["EdDSA", "ES256", "RS256"])
def test_store_signer_signs_with_the_recorded_public_key(store: FileKeyStore, algorithm: str) -> None:
    record = store.generate(algorithm, now=NOW)
    signer = store.signer(record.key_id)
    assert (signer.key_id, signer.algorithm) == (record.key_id, algorithm)
    assert _spki(signer.public_key()) == _spki(record.public_key())
    assert store.active_signer(algorithm).key_id == record.key_id
    signature = signer.sign(b"data")
    assert len(signature) in {64, 384}  # EdDSA / ES256 raw, RSA-3072


def test_store_generate_refuses_a_second_active_key(store: FileKeyStore) -> None:
    store.generate("EdDSA", now=NOW)
    with pytest.raises(KeysError, match="use rotate"):
        store.generate("EdDSA", now=NOW)
    # Another algorithm is independent.
    assert store.generate("ES256", now=NOW).algorithm == "ES256"


def test_store_rotated_out_key_cannot_sign_but_stays_in_the_did_document(store: FileKeyStore) -> None:
    old = store.generate("EdDSA", now=NOW)
    later = NOW + timedelta(days=90)
    new = store.rotate("EdDSA", now=later)
    assert store.record(old.key_id).status == "retired"
    assert store.record(old.key_id).retired_at == later
    assert store.active_signer("EdDSA").key_id == new.key_id
    with pytest.raises(KeyRevokedError, match="retired"):
        store.signer(old.key_id)
    published = store.published_records()
    assert {r.key_id for r in published} == {old.key_id, new.key_id}
    document = did_document("did:web:badges.example.edu", published)
    assert f"did:web:badges.example.edu#{old.key_id}" in document["assertionMethod"]  # type: ignore[operator]


def test_store_rotate_needs_an_active_key(store: FileKeyStore) -> None:
    with pytest.raises(KeyNotFoundError, match="badges keys generate --alg ES256"):
        store.rotate("ES256", now=NOW)


def test_store_revoked_key_cannot_sign_and_is_not_published(store: FileKeyStore) -> None:
    record = store.generate("ES256", now=NOW)
    revoked = store.revoke(record.key_id, reason="laptop stolen", now=NOW + timedelta(hours=1))
    assert (revoked.status, revoked.revocation_reason) == ("revoked", "laptop stolen")
    assert revoked.revoked_at == NOW + timedelta(hours=1)
    with pytest.raises(KeyRevokedError, match="revoked"):
        store.signer(record.key_id)
    with pytest.raises(KeyNotFoundError, match="badges keys generate --alg ES256"):
        store.active_signer("ES256")
    assert store.published_records() == []
    assert store.records() == [revoked]
    # A revoked key frees the slot: a new key can be generated.
    assert store.generate("ES256", now=NOW).key_id != record.key_id


def test_store_revoking_a_retired_key_withdraws_it(store: FileKeyStore) -> None:
    old = store.generate("EdDSA", now=NOW)
    new = store.rotate("EdDSA", now=NOW)
    store.revoke(old.key_id, reason="found in a backup", now=NOW)
    assert [r.key_id for r in store.published_records()] == [new.key_id]


def test_store_revoke_refuses_unknown_repeated_and_unexplained_revocations(store: FileKeyStore) -> None:
    record = store.generate("EdDSA", now=NOW)
    with pytest.raises(KeyNotFoundError):
        store.revoke("A" * 43, reason="x", now=NOW)
    with pytest.raises(KeysError, match="reason"):
        store.revoke(record.key_id, reason="  ", now=NOW)
    store.revoke(record.key_id, reason="compromised", now=NOW)
    with pytest.raises(KeyRevokedError, match="already revoked"):
        store.revoke(record.key_id, reason="again", now=NOW)


def test_store_revocation_by_another_process_takes_effect_immediately(
    store: FileKeyStore, directory: Path
) -> None:
    record = store.generate("EdDSA", now=NOW)
    FileKeyStore(directory, PASSPHRASE, kdf_rounds=FAST_ROUNDS).revoke(record.key_id, reason="x", now=NOW)
    with pytest.raises(KeyRevokedError):
        store.signer(record.key_id)


def test_store_lookups_fail_clearly(store: FileKeyStore) -> None:
    with pytest.raises(KeyNotFoundError, match="no key"):
        store.record("missing")
    with pytest.raises(KeyNotFoundError, match="badges keys generate --alg EdDSA"):
        store.active_signer("EdDSA")
    with pytest.raises(UnsupportedKeyTypeError, match="HS256"):
        store.active_signer("HS256")
    with pytest.raises(UnsupportedKeyTypeError):
        store.generate("ES384", now=NOW)


def test_store_refuses_a_wrong_passphrase(store: FileKeyStore, directory: Path) -> None:
    record = store.generate("EdDSA", now=NOW)
    intruder = FileKeyStore(directory, "not the passphrase", kdf_rounds=FAST_ROUNDS)
    with pytest.raises(KeyStoreLockedError, match="wrong passphrase for the key store at") as caught:
        intruder.signer(record.key_id)
    assert "not the passphrase" not in str(caught.value)
    assert PASSPHRASE not in str(caught.value)
    # Nor may a different passphrase add keys the existing ones' passphrase would not open.
    with pytest.raises(KeyStoreLockedError):
        intruder.generate("ES256", now=NOW)
    with pytest.raises(KeyStoreLockedError):
        intruder.rotate("EdDSA", now=NOW)
    assert store.records() == [record]


def test_store_pem_on_disk_is_encrypted(store: FileKeyStore, directory: Path) -> None:
    record = store.generate("EdDSA", now=NOW)
    pem = (directory / f"{record.key_id}.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    private_key = load_pem_private_key(pem, password=PASSPHRASE.encode())
    assert isinstance(private_key, ed25519.Ed25519PrivateKey)
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    pkcs8 = private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    forms = [
        raw,
        pkcs8,
        raw.hex().encode(),
        base64.b64encode(raw).rstrip(b"="),
        base64.urlsafe_b64encode(raw).rstrip(b"="),
        base64.b64encode(pkcs8)[:40],
        multibase_encode(b"\x80\x26" + raw).encode(),
        PASSPHRASE.encode(),
    ]
    files = sorted(p for p in directory.iterdir() if p.is_file())
    assert {p.name for p in files} == {"index.json", f"{record.key_id}.pem"}
    for path in files:
        content = path.read_bytes()
        assert not any(form in content for form in forms), path.name


def test_store_key_files_use_the_measured_kdf_rounds_by_default(directory: Path) -> None:
    store = FileKeyStore(directory, PASSPHRASE)
    record = store.generate("EdDSA", now=NOW)
    body = (directory / f"{record.key_id}.pem").read_text().splitlines()[1:-1]
    der = base64.b64decode("".join(body))
    assert KDF_ROUNDS == 600_000
    assert b"\x02\x03" + KDF_ROUNDS.to_bytes(3, "big") in der  # DER INTEGER inside PBKDF2-params
    assert bytes.fromhex("06082a864886f70d0209") in der  # hmacWithSHA256
    assert bytes.fromhex("060960864801650304012a") in der  # aes256-CBC
    assert store.signer(record.key_id).key_id == record.key_id


def test_store_creates_private_directory_and_files(store: FileKeyStore, directory: Path) -> None:
    store.generate("EdDSA", now=NOW)
    store.rotate("EdDSA", now=NOW)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    names = sorted(p.name for p in directory.iterdir())
    assert len(names) == 3  # index + two keys, no temporary files left behind
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_store_refuses_a_directory_open_to_others(directory: Path) -> None:
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    with pytest.raises(KeysError, match="chmod 700"):
        FileKeyStore(directory, PASSPHRASE, kdf_rounds=FAST_ROUNDS).generate("EdDSA", now=NOW)


def test_store_ignores_a_key_file_left_by_a_crash_before_the_index_write(
    store: FileKeyStore, directory: Path
) -> None:
    # The key file is written first and the index last: a crash in between leaves an orphan file.
    record = store.generate("EdDSA", now=NOW)
    orphan = directory / ("B" * 43 + ".pem")
    orphan.write_bytes((directory / f"{record.key_id}.pem").read_bytes())
    assert store.records() == [record]
    assert store.active_signer("EdDSA").key_id == record.key_id


def test_store_empty_directory_has_no_keys(store: FileKeyStore, directory: Path) -> None:
    assert store.records() == []
    assert store.published_records() == []
    assert not directory.exists()  # reading never creates anything


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"format": "something else", "version": 1, "keys": []}',
        '{"format": "mastery-badges key store", "version": 2, "keys": []}',
        '{"format": "mastery-badges key store", "version": 1, "keys": {}}',
        '{"format": "mastery-badges key store", "version": 1, "keys": [{"key_id": "x"}]}',
    ],
)
def test_store_corrupt_index_raises_keys_error_with_its_path(directory: Path, content: str) -> None:
    directory.mkdir(mode=0o700)
    (directory / "index.json").write_text(content, encoding="utf-8")
    store = FileKeyStore(directory, PASSPHRASE, kdf_rounds=FAST_ROUNDS)
    with pytest.raises(KeysError, match="corrupt key store index") as caught:
        store.records()
    assert str(directory / "index.json") in str(caught.value)


def _edit_index(directory: Path, change: dict[str, object], *, index: int = 0) -> None:
    path = directory / "index.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["keys"][index].update(change)
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "public_jwk": {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
                }
            },
            "thumbprint",
        ),
        ({"status": "lost"}, "unknown status"),
        ({"algorithm": "HS256"}, "unknown algorithm"),
        ({"created": "2026-03-01T09:30:00"}, "no time zone"),
        ({"created": "yesterday"}, "corrupt"),
        ({"key_id": "../../etc/passwd"}, "malformed key id"),
        ({"public_jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "d": "AAAA"}}, "private key material"),
    ],
)
def test_store_tampered_index_is_refused(
    store: FileKeyStore, directory: Path, change: dict[str, object], message: str
) -> None:
    store.generate("EdDSA", now=NOW)
    _edit_index(directory, change)
    with pytest.raises(KeysError, match=message):
        store.records()


def test_store_refuses_two_active_keys_of_one_algorithm_in_the_index(
    store: FileKeyStore, directory: Path
) -> None:
    store.generate("EdDSA", now=NOW)
    store.rotate("EdDSA", now=NOW)
    _edit_index(directory, {"status": "active", "retired_at": None})
    with pytest.raises(KeysError, match="more than one active EdDSA key"):
        store.records()


def test_store_detects_missing_damaged_and_swapped_key_files(store: FileKeyStore, directory: Path) -> None:
    ed = store.generate("EdDSA", now=NOW)
    p256 = store.generate("ES256", now=NOW)
    ed_file, p256_file = directory / f"{ed.key_id}.pem", directory / f"{p256.key_id}.pem"
    ed_pem = ed_file.read_bytes()

    ed_file.write_bytes(p256_file.read_bytes())
    with pytest.raises(KeysError, match="does not hold key"):
        store.signer(ed.key_id)

    ed_file.write_bytes(ed_pem.replace(b"\n", b"\n!", 1))
    with pytest.raises(KeysError, match="damaged"):
        store.signer(ed.key_id)

    ed_file.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeysError, match="not an encrypted PKCS#8 PEM"):
        store.signer(ed.key_id)

    ed_file.unlink()
    with pytest.raises(KeysError, match="missing"):
        store.signer(ed.key_id)


def test_store_from_env_needs_the_passphrase_variable(directory: Path) -> None:
    for environ in ({}, {PASSPHRASE_ENV: ""}):
        with pytest.raises(KeyStoreLockedError, match="BADGES_KEY_PASSPHRASE"):
            FileKeyStore.from_env(directory, environ)
    store = FileKeyStore.from_env(directory, {PASSPHRASE_ENV: PASSPHRASE})
    assert store.directory == directory
    assert store.records() == []


def test_store_never_shows_the_passphrase(store: FileKeyStore, directory: Path) -> None:
    for text in (repr(store), str(store)):
        assert PASSPHRASE not in text
        assert str(directory) in text
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(store)
    with pytest.raises(KeyStoreLockedError, match="empty passphrase"):
        FileKeyStore(directory, "")
    with pytest.raises(KeyStoreLockedError, match="empty passphrase"):
        FileKeyStore(directory, b"")


def test_store_accepts_a_bytes_passphrase(directory: Path) -> None:
    writer = FileKeyStore(directory, PASSPHRASE, kdf_rounds=FAST_ROUNDS)
    record = writer.generate("EdDSA", now=NOW)
    reader = FileKeyStore(directory, PASSPHRASE.encode(), kdf_rounds=FAST_ROUNDS)
    assert reader.signer(record.key_id).key_id == record.key_id


def test_store_refuses_naive_times_and_weak_kdf_settings(store: FileKeyStore, directory: Path) -> None:
    with pytest.raises(KeysError, match="timezone-aware"):
        store.generate("EdDSA", now=datetime(2026, 3, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(KeysError, match="at least 1000"):
        FileKeyStore(directory, PASSPHRASE, kdf_rounds=999)


def test_store_normalises_times_to_utc(store: FileKeyStore) -> None:
    paris = timezone(timedelta(hours=1))
    record = store.generate("EdDSA", now=datetime(2026, 3, 1, 10, 30, tzinfo=paris))
    assert record.created == NOW
    assert store.record(record.key_id).created.utcoffset() == timedelta(0)


def test_key_record_is_immutable(store: FileKeyStore) -> None:
    record = store.generate("EdDSA", now=NOW)
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.status = "revoked"  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.public_jwk["x"] = "changed"  # type: ignore[index]
    assert store.record(record.key_id) == record
