"""``FileKeyStore``: private keys encrypted at rest, plus a public index of their life cycle.

Layout of the store directory (created 0o700)::

    index.json        public metadata: one record per key (status, dates, public JWK)
    <key_id>.pem      the private key, PKCS#8 "ENCRYPTED PRIVATE KEY" (PBES2), file mode 0o600

Every write goes to a temporary file in the same directory and is moved into place with
``os.replace``; the index is written last, so a crash leaves at worst an unreferenced key file,
never an index entry without its key.

Key life cycle: ``active`` (signs, published) -> ``retired`` by :meth:`FileKeyStore.rotate` (never
signs again, stays published so old badges keep verifying) -> ``revoked`` by
:meth:`FileKeyStore.revoke` (compromised: never signs, no longer published).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import stat
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, NoReturn

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from keys.encoding import jwk_thumbprint, jwk_to_public_key, public_key_to_jwk
from keys.errors import (
    InvalidKeyError,
    KeyNotFoundError,
    KeyRevokedError,
    KeysError,
    KeyStoreLockedError,
    UnsupportedKeyTypeError,
)
from keys.signer import ALGORITHMS, generate_private_key, signer_for

if TYPE_CHECKING:
    from collections.abc import Mapping

    from keys.encoding import PublicKey
    from keys.signer import PrivateKey, Signer

__all__ = ["KDF_ROUNDS", "PASSPHRASE_ENV", "FileKeyStore", "KeyRecord", "KeyStatus", "read_index"]

PASSPHRASE_ENV: Final = "BADGES_KEY_PASSPHRASE"  # noqa: S105 - a variable name, not a secret
"""The environment variable :meth:`FileKeyStore.from_env` reads the passphrase from."""

# PBKDF2-HMAC-SHA256 rounds for new key files; OWASP's 2023 figure for this PRF is 600,000.
# Measured here (2 shared cores, cryptography 50, OpenSSL 3.0, median of 5): unlocking one key takes
# 0.107 s for Ed25519 or P-256 (PBKDF2 alone: 0.10 s) and 0.27 s for RSA-3072 (which adds ~0.16 s of
# RSA key validation at any round count). It is paid once per `signer()` call, i.e. at process start.
KDF_ROUNDS: Final = 600_000
# RFC 8018 §4.2 recommends at least 1,000 iterations; lower values are refused outright.
MIN_KDF_ROUNDS: Final = 1_000

KeyStatus = Literal["active", "retired", "revoked"]
_STATUSES: Final = ("active", "retired", "revoked")
_INDEX_NAME: Final = "index.json"
_INDEX_FORMAT: Final = "mastery-badges key store"
_INDEX_VERSION: Final = 1
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 thumbprint
_PEM_LABEL: Final = "ENCRYPTED PRIVATE KEY"

# DER of the fixed parts of a PBES2 EncryptedPrivateKeyInfo (RFC 8018 §A.4, RFC 5958 §3).
_OID_PBES2 = bytes.fromhex("06092a864886f70d01050d")  # 1.2.840.113549.1.5.13
_OID_PBKDF2 = bytes.fromhex("06092a864886f70d01050c")  # 1.2.840.113549.1.5.12
_HMAC_SHA256_ALG = bytes.fromhex("300c06082a864886f70d02090500")  # hmacWithSHA256, NULL params
_OID_AES256_CBC = bytes.fromhex("060960864801650304012a")  # 2.16.840.1.101.3.4.1.42


@dataclass(frozen=True)
class KeyRecord:
    """The public, non-secret facts about one key in the store.

    Attributes:
        key_id: RFC 7638 thumbprint of ``public_jwk``.
        algorithm: JOSE algorithm name (``"EdDSA"``, ``"ES256"``, ``"RS256"``).
        status: ``"active"``, ``"retired"`` or ``"revoked"``.
        created: when the key was generated.
        public_jwk: the public key as a JWK (read-only mapping).
        retired_at: when it was rotated out, if it was.
        revoked_at: when it was revoked, if it was.
        revocation_reason: why it was revoked, if it was.
    """

    key_id: str
    algorithm: str
    status: KeyStatus
    created: datetime
    public_jwk: Mapping[str, str] = field(hash=False)
    retired_at: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None

    def __post_init__(self) -> None:
        # A read-only view, so a record handed out cannot be edited behind the store's back.
        object.__setattr__(self, "public_jwk", MappingProxyType(dict(self.public_jwk)))

    @property
    def is_published(self) -> bool:
        """Whether the key belongs in DID documents and JWKS (active or retired, never revoked)."""
        return self.status != "revoked"

    def public_key(self) -> PublicKey:
        """Decode :attr:`public_jwk` into a ``cryptography`` public key."""
        return jwk_to_public_key(self.public_jwk)


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise KeysError("`now` must be a timezone-aware datetime")
    return now.astimezone(UTC)


class FileKeyStore:
    """A directory of passphrase-encrypted private keys with a JSON index.

    The passphrase is kept in memory only, never written, logged or shown by ``repr``/``str``.
    The index is re-read on every call, so a revocation made by another process (the CLI) takes
    effect at the next ``signer()`` call.
    """

    __slots__ = ("_directory", "_kdf_rounds", "_passphrase")

    def __init__(self, directory: Path, passphrase: str | bytes, *, kdf_rounds: int = KDF_ROUNDS) -> None:
        """Open (or prepare to create) the key store at ``directory``.

        Args:
            directory: the store directory; created on the first write.
            passphrase: the passphrase that encrypts every key file (str is encoded as UTF-8).
            kdf_rounds: PBKDF2 rounds for key files written from now on (existing files keep theirs).

        Raises:
            KeyStoreLockedError: an empty passphrase.
            KeysError: ``kdf_rounds`` below the RFC 8018 minimum of 1,000.
        """
        secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
        if not secret:
            raise KeyStoreLockedError(f"empty passphrase for the key store at {directory}")
        if kdf_rounds < MIN_KDF_ROUNDS:
            raise KeysError(f"kdf_rounds must be at least {MIN_KDF_ROUNDS}")
        self._directory = Path(directory)
        self._passphrase = secret
        self._kdf_rounds = kdf_rounds

    @classmethod
    def from_env(cls, directory: Path, environ: Mapping[str, str] = os.environ) -> FileKeyStore:
        """Open the key store with the passphrase from ``BADGES_KEY_PASSPHRASE``.

        Args:
            directory: the store directory.
            environ: the environment to read (defaults to ``os.environ``).

        Returns:
            The key store.

        Raises:
            KeyStoreLockedError: the variable is missing or empty.
        """
        passphrase = environ.get(PASSPHRASE_ENV, "")
        if not passphrase:
            raise KeyStoreLockedError(
                f"the key store at {directory} is locked: set {PASSPHRASE_ENV} to its passphrase"
            )
        return cls(directory, passphrase)

    def __repr__(self) -> str:
        return f"FileKeyStore(directory={str(self._directory)!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("FileKeyStore cannot be pickled: it holds the key store passphrase")

    @property
    def directory(self) -> Path:
        """The store directory."""
        return self._directory

    # ---- queries ---------------------------------------------------------------------------------

    def records(self) -> list[KeyRecord]:
        """Every key record, in creation order (revoked ones included).

        Raises:
            KeysError: the index is unreadable or corrupt.
        """
        return self._read_index()

    def published_records(self) -> list[KeyRecord]:
        """The records to publish in DID documents and JWKS: active and retired, never revoked.

        Raises:
            KeysError: the index is unreadable or corrupt.
        """
        return [record for record in self._read_index() if record.is_published]

    def record(self, key_id: str) -> KeyRecord:
        """The record of one key.

        Args:
            key_id: the key id (RFC 7638 thumbprint).

        Returns:
            The record.

        Raises:
            KeyNotFoundError: no key with that id.
            KeysError: the index is unreadable or corrupt.
        """
        for record in self._read_index():
            if record.key_id == key_id:
                return record
        raise KeyNotFoundError(f"no key {key_id!r} in the key store at {self._directory}")

    def signer(self, key_id: str) -> Signer:
        """Unlock one active key and return a signer for it.

        Args:
            key_id: the key id.

        Returns:
            A signer whose ``key_id`` is ``key_id``.

        Raises:
            KeyNotFoundError: no key with that id.
            KeyRevokedError: the key is revoked or retired (neither may sign).
            KeyStoreLockedError: wrong passphrase.
            KeysError: the key file is missing, corrupt or does not match its record.
        """
        record = self.record(key_id)
        if record.status == "revoked":
            raise KeyRevokedError(
                f"key {key_id} was revoked ({record.revocation_reason}); it must never sign"
            )
        if record.status == "retired":
            raise KeyRevokedError(
                f"key {key_id} is retired: it stays published for verification but never signs again"
            )
        return self._unlock(record)

    def active_signer(self, algorithm: str) -> Signer:
        """Unlock the active key of an algorithm.

        Args:
            algorithm: ``"EdDSA"``, ``"ES256"`` or ``"RS256"``.

        Returns:
            A signer for the active key.

        Raises:
            UnsupportedKeyTypeError: an unknown algorithm.
            KeyNotFoundError: no active key for it (the message says how to create one).
            KeyStoreLockedError: wrong passphrase.
            KeysError: the key file is missing, corrupt or does not match its record.
        """
        _check_algorithm(algorithm)
        active = self._active(self._read_index(), algorithm)
        if active is None:
            raise KeyNotFoundError(
                f"no active {algorithm} key in the key store at {self._directory}; "
                f"run `badges keys generate --alg {algorithm}`"
            )
        return self._unlock(active)

    # ---- life cycle --------------------------------------------------------------------------------

    def generate(self, algorithm: str, *, now: datetime) -> KeyRecord:
        """Create the first active key of an algorithm.

        Args:
            algorithm: ``"EdDSA"``, ``"ES256"`` or ``"RS256"``.
            now: the creation time (timezone-aware).

        Returns:
            The new record.

        Raises:
            UnsupportedKeyTypeError: an unknown algorithm.
            KeysError: an active key of that algorithm exists already (use ``rotate``), or I/O failure.
            KeyStoreLockedError: the passphrase does not open the keys already in the store.
        """
        _check_algorithm(algorithm)
        created = _require_aware(now)
        records = self._read_index()
        current = self._active(records, algorithm)
        if current is not None:
            raise KeysError(
                f"an active {algorithm} key ({current.key_id}) exists already in {self._directory}; use rotate"
            )
        record = self._add_key(records, algorithm, created)
        self._write_index([*records, record])
        return record

    def rotate(self, algorithm: str, *, now: datetime) -> KeyRecord:
        """Replace the active key of an algorithm by a new one; the old one becomes ``retired``.

        Args:
            algorithm: ``"EdDSA"``, ``"ES256"`` or ``"RS256"``.
            now: the rotation time (timezone-aware).

        Returns:
            The new active record.

        Raises:
            UnsupportedKeyTypeError: an unknown algorithm.
            KeyNotFoundError: no active key to rotate (use ``generate``).
            KeyStoreLockedError: the passphrase does not open the keys already in the store.
        """
        _check_algorithm(algorithm)
        when = _require_aware(now)
        records = self._read_index()
        current = self._active(records, algorithm)
        if current is None:
            raise KeyNotFoundError(
                f"no active {algorithm} key to rotate in {self._directory}; "
                f"run `badges keys generate --alg {algorithm}`"
            )
        record = self._add_key(records, algorithm, when)
        retired = replace(current, status="retired", retired_at=when)
        self._write_index([retired if r.key_id == current.key_id else r for r in records] + [record])
        return record

    def revoke(self, key_id: str, *, reason: str, now: datetime) -> KeyRecord:
        """Mark a key compromised: it never signs again and is no longer published.

        The encrypted key file is kept (it is useless without the passphrase and records what was
        revoked); only the index changes.

        Args:
            key_id: the key to revoke (active or retired).
            reason: why, kept in the record.
            now: the revocation time (timezone-aware).

        Returns:
            The revoked record.

        Raises:
            KeyNotFoundError: no key with that id.
            KeyRevokedError: the key is already revoked.
            KeysError: an empty reason.
        """
        when = _require_aware(now)
        if not reason.strip():
            raise KeysError("a revocation needs a reason")
        records = self._read_index()
        current = next((r for r in records if r.key_id == key_id), None)
        if current is None:
            raise KeyNotFoundError(f"no key {key_id!r} in the key store at {self._directory}")
        if current.status == "revoked":
            raise KeyRevokedError(f"key {key_id} is already revoked (since {current.revoked_at})")
        revoked = replace(current, status="revoked", revoked_at=when, revocation_reason=reason)
        self._write_index([revoked if r.key_id == key_id else r for r in records])
        return revoked

    # ---- internals -----------------------------------------------------------------------------

    @staticmethod
    def _active(records: list[KeyRecord], algorithm: str) -> KeyRecord | None:
        return next((r for r in records if r.algorithm == algorithm and r.status == "active"), None)

    def _add_key(self, records: list[KeyRecord], algorithm: str, created: datetime) -> KeyRecord:
        """Generate a key, write its encrypted file, and return its (not yet indexed) record."""
        self._check_passphrase(records)
        private_key = generate_private_key(algorithm)
        public_jwk = public_key_to_jwk(private_key.public_key())
        key_id = jwk_thumbprint(public_jwk)
        self._ensure_directory()
        _atomic_write(self._key_path(key_id), self._encrypt(private_key))
        return KeyRecord(
            key_id=key_id, algorithm=algorithm, status="active", created=created, public_jwk=public_jwk
        )

    def _check_passphrase(self, records: list[KeyRecord]) -> None:
        # One passphrase per store: refuse to add a key the existing keys' passphrase would not open.
        existing = next((r for r in records if r.status != "revoked"), None)
        if existing is not None:
            self._unlock(existing)

    def _ensure_directory(self) -> None:
        try:
            if not self._directory.exists():
                self._directory.mkdir(mode=0o700, parents=True)
                self._directory.chmod(0o700)  # mkdir's mode is filtered by the umask
                return
            mode = stat.S_IMODE(self._directory.stat().st_mode)
        except OSError as err:
            raise KeysError(
                f"cannot create the key store directory {self._directory}: {err.strerror}"
            ) from err
        if mode & 0o077:
            raise KeysError(
                f"the key store directory {self._directory} is open to other users (mode {mode:o}); "
                "run chmod 700 on it"
            )

    def _key_path(self, key_id: str) -> Path:
        if _KEY_ID.fullmatch(key_id) is None:
            raise KeysError(f"malformed key id {key_id!r} in the key store at {self._directory}")
        return self._directory / f"{key_id}.pem"

    def _encrypt(self, private_key: PrivateKey) -> bytes:
        """Serialize as PKCS#8 EncryptedPrivateKeyInfo: PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC.

        https://www.rfc-editor.org/rfc/rfc8018#appendix-A.4 (PBES2) and
        https://www.rfc-editor.org/rfc/rfc5958#section-3 (EncryptedPrivateKeyInfo).

        Built by hand because cryptography's ``BestAvailableEncryption`` fixes PBKDF2 at 2,048
        rounds and its encryption builder does not accept PKCS#8. Readers (cryptography, OpenSSL)
        need nothing special: this is the standard structure.
        """
        plain = private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        salt, iv = secrets.token_bytes(16), secrets.token_bytes(16)
        key = PBKDF2HMAC(hashes.SHA256(), 32, salt, self._kdf_rounds).derive(self._passphrase)
        padder = padding.PKCS7(128).padder()
        encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
        kdf = _der(
            0x30, _OID_PBKDF2 + _der(0x30, _der(0x04, salt) + _der_int(self._kdf_rounds) + _HMAC_SHA256_ALG)
        )
        cipher = _der(0x30, _OID_AES256_CBC + _der(0x04, iv))
        algorithm = _der(0x30, _OID_PBES2 + _der(0x30, kdf + cipher))
        der = _der(0x30, algorithm + _der(0x04, ciphertext))
        body = base64.encodebytes(der).decode("ascii").replace("\n", "")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "\n".join(
            [f"-----BEGIN {_PEM_LABEL}-----", *lines, f"-----END {_PEM_LABEL}-----", ""]
        ).encode()

    def _unlock(self, record: KeyRecord) -> Signer:
        path = self._key_path(record.key_id)
        try:
            pem = path.read_bytes()
        except FileNotFoundError as err:
            raise KeysError(f"key file {path} is missing for key {record.key_id}") from err
        except OSError as err:
            raise KeysError(f"cannot read key file {path}: {err.strerror}") from err
        _check_pem(pem, path)
        try:
            loaded = load_pem_private_key(pem, password=self._passphrase)
        except ValueError as err:
            # cryptography reports a wrong passphrase as ValueError; the message names no secret.
            raise KeyStoreLockedError(f"wrong passphrase for the key store at {self._directory}") from err
        except (TypeError, UnsupportedAlgorithm) as err:
            raise KeysError(f"key file {path} is not a usable encrypted private key") from err
        if not isinstance(loaded, (ed25519.Ed25519PrivateKey, rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise KeysError(f"key file {path} holds an unsupported key type {type(loaded).__name__}")
        try:
            matches = jwk_thumbprint(public_key_to_jwk(loaded.public_key())) == record.key_id
            signer = signer_for(loaded, key_id=record.key_id)
        except (InvalidKeyError, UnsupportedKeyTypeError) as err:
            raise KeysError(f"key file {path} holds an unusable key: {err}") from err
        if not matches:
            raise KeysError(f"key file {path} does not hold key {record.key_id}")
        if signer.algorithm != record.algorithm:
            raise KeysError(
                f"key file {path} holds a {signer.algorithm} key, the index says {record.algorithm}"
            )
        return signer

    def _read_index(self) -> list[KeyRecord]:
        return read_index(self._directory)

    def _write_index(self, records: list[KeyRecord]) -> None:
        self._ensure_directory()
        document = {
            "format": _INDEX_FORMAT,
            "version": _INDEX_VERSION,
            "keys": [_record_to_json(record) for record in records],
        }
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        _atomic_write(self._directory / _INDEX_NAME, text.encode("utf-8"))


def read_index(directory: Path) -> list[KeyRecord]:
    """The public records of the key store at ``directory``, read without its passphrase.

    Publishing DID documents and JWKS needs only these; nothing is decrypted.

    Raises:
        KeysError: the index is unreadable or corrupt.
    """
    path = directory / _INDEX_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as err:
        raise KeysError(f"cannot read the key store index {path}: {err}") from err
    try:
        return _parse_index(json.loads(text))
    except (json.JSONDecodeError, KeysError, KeyError, TypeError, ValueError) as err:
        raise KeysError(f"corrupt key store index {path}: {err}") from err


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise UnsupportedKeyTypeError(
            f"unsupported algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}"
        )


def _check_pem(pem: bytes, path: Path) -> None:
    # Tell a damaged file apart from a wrong passphrase: both are ValueError inside cryptography.
    lines = pem.strip().splitlines()
    if (
        len(lines) < 3
        or lines[0] != f"-----BEGIN {_PEM_LABEL}-----".encode()
        or lines[-1] != (f"-----END {_PEM_LABEL}-----".encode())
    ):
        raise KeysError(f"key file {path} is not an encrypted PKCS#8 PEM")
    try:
        base64.b64decode(b"".join(lines[1:-1]), validate=True)
    except binascii.Error as err:
        raise KeysError(f"key file {path} is damaged (bad base64)") from err


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0o600) via a temporary file, fsync and ``os.replace``.

    Raises:
        KeysError: the file system refused (disk full, permissions).
    """
    try:
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            temp.replace(path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        # Make the rename itself durable before anything that depends on it (the index) is written.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as err:
        raise KeysError(f"cannot write {path}: {err.strerror or err}") from err


def _der(tag: int, content: bytes) -> bytes:
    """One DER TLV (definite length)."""
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def _der_int(value: int) -> bytes:
    """A non-negative DER INTEGER (a leading zero octet keeps the sign bit clear)."""
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _record_to_json(record: KeyRecord) -> dict[str, object]:
    def when(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "key_id": record.key_id,
        "algorithm": record.algorithm,
        "status": record.status,
        "created": record.created.isoformat(),
        "retired_at": when(record.retired_at),
        "revoked_at": when(record.revoked_at),
        "revocation_reason": record.revocation_reason,
        "public_jwk": dict(record.public_jwk),
    }


def _parse_index(document: object) -> list[KeyRecord]:
    if not isinstance(document, dict) or document.get("format") != _INDEX_FORMAT:
        raise KeysError("not a key store index")
    if document.get("version") != _INDEX_VERSION:
        raise KeysError(f"unsupported index version {document.get('version')!r}")
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise KeysError("'keys' must be a list")
    records = [_parse_record(entry) for entry in entries]
    seen: set[str] = set()
    active: set[str] = set()
    for record in records:
        if record.key_id in seen:
            raise KeysError(f"key {record.key_id} is listed twice")
        seen.add(record.key_id)
        if record.status == "active":
            if record.algorithm in active:
                raise KeysError(f"more than one active {record.algorithm} key")
            active.add(record.algorithm)
    return records


def _parse_record(entry: object) -> KeyRecord:
    if not isinstance(entry, dict):
        raise KeysError("a key record must be an object")
    key_id, algorithm, status = entry["key_id"], entry["algorithm"], entry["status"]
    if not isinstance(key_id, str) or _KEY_ID.fullmatch(key_id) is None:
        raise KeysError(f"malformed key id {key_id!r}")
    if algorithm not in ALGORITHMS:
        raise KeysError(f"key {key_id}: unknown algorithm {algorithm!r}")
    if status not in _STATUSES:
        raise KeysError(f"key {key_id}: unknown status {status!r}")
    jwk = entry["public_jwk"]
    if not isinstance(jwk, dict) or not all(isinstance(v, str) for v in jwk.values()):
        raise KeysError(f"key {key_id}: public_jwk must be an object of strings")
    jwk_to_public_key(jwk)  # raises InvalidKeyError (a KeysError) when it is not a usable public key
    if jwk_thumbprint(jwk) != key_id:
        raise KeysError(f"key {key_id}: the key id is not the thumbprint of its public_jwk")
    reason = entry.get("revocation_reason")
    if reason is not None and not isinstance(reason, str):
        raise KeysError(f"key {key_id}: revocation_reason must be a string")
    return KeyRecord(
        key_id=key_id,
        algorithm=algorithm,
        status=status,
        created=_parse_time(entry["created"], key_id),
        public_jwk=jwk,
        retired_at=_parse_optional_time(entry.get("retired_at"), key_id),
        revoked_at=_parse_optional_time(entry.get("revoked_at"), key_id),
        revocation_reason=reason,
    )


def _parse_time(value: object, key_id: str) -> datetime:
    if not isinstance(value, str):
        raise KeysError(f"key {key_id}: timestamps must be ISO 8601 strings")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise KeysError(f"key {key_id}: timestamp {value!r} has no time zone")
    return parsed


def _parse_optional_time(value: object, key_id: str) -> datetime | None:
    return None if value is None else _parse_time(value, key_id)
