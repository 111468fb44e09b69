"""Bitstring Status List v1.0: the list codec, the issuer's documents and the verifier's entry check.

https://www.w3.org/TR/vc-bitstring-status-list/

Also reads the older StatusList2021 (W3C CCG) entries and lists, whose ``encodedList`` has no
multibase ``u`` prefix.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Self

from verifier.errors import RevokedError, StatusListError, SuspendedError

__all__ = [
    "MAX_DECOMPRESSED_BYTES",
    "MIN_ENTRIES",
    "BitstringStatusList",
    "entry_status",
    "raise_for_status",
    "status_entry",
    "status_list_credential",
]

#: The spec's minimum number of entries (16 KB of 1-bit entries): herd privacy.
MIN_ENTRIES: Final = 131_072
#: Refuse to expand a list beyond this (a gzip bomb); 16 MiB is 134M one-bit entries.
MAX_DECOMPRESSED_BYTES: Final = 16 * 1024 * 1024

_VC_V2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
# Python's gzip default is level 9, pathological on sparse bitstrings (MEASURED: 15x slower).
_GZIP_LEVEL: Final = 6
_CHUNK: Final = 64 * 1024
_B64URL: Final = re.compile(r"[A-Za-z0-9_-]*={0,2}")
_INDEX: Final = re.compile(r"[0-9]+")

# Entry type -> (list credential type, list type, multibase-prefixed encodedList)
_FORMATS: Final[Mapping[str, tuple[str, str, bool]]] = {
    "BitstringStatusListEntry": ("BitstringStatusListCredential", "BitstringStatusList", True),
    "StatusList2021Entry": ("StatusList2021Credential", "StatusList2021", False),
}


class BitstringStatusList:
    """A status list: ``len(self)`` entries of ``status_size`` bits, index 0 at the left-most bit.

    https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-encoding
    """

    __slots__ = ("_bits", "_size", "_status_size")

    def __init__(self, size: int = MIN_ENTRIES, *, status_size: int = 1) -> None:
        """Create a list of ``size`` entries, all 0.

        Args:
            size: Number of entries. Issuers should keep the default (the spec minimum) or more.
            status_size: Bits per entry (``statusSize``; 1 for revocation and suspension).

        Raises:
            StatusListError: ``size`` or ``status_size`` is not a positive integer.
        """
        for name, value in (("size", size), ("status_size", status_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise StatusListError(f"{name} must be a positive integer, got {value!r}")
        self._size = size
        self._status_size = status_size
        self._bits = bytearray(-(-size * status_size // 8))

    def __len__(self) -> int:
        """Number of entries."""
        return self._size

    @property
    def status_size(self) -> int:
        """Bits per entry."""
        return self._status_size

    def get(self, index: int) -> int:
        """Return the status value at ``index``.

        Raises:
            StatusListError: ``index`` is out of range (the spec's RANGE_ERROR).
        """
        first = self._first_bit(index)
        value = 0
        for bit in range(first, first + self._status_size):
            value = (value << 1) | ((self._bits[bit >> 3] >> (7 - (bit & 7))) & 1)
        return value

    def set(self, index: int, value: int) -> None:
        """Set the status value at ``index``.

        Raises:
            StatusListError: ``index`` is out of range, or ``value`` does not fit in ``status_size`` bits.
        """
        first = self._first_bit(index)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << self._status_size:
            raise StatusListError(f"status value {value!r} does not fit in {self._status_size} bit(s)")
        for offset in range(self._status_size):
            bit = first + offset
            mask = 0x80 >> (bit & 7)
            if (value >> (self._status_size - 1 - offset)) & 1:
                self._bits[bit >> 3] |= mask
            else:
                self._bits[bit >> 3] &= ~mask & 0xFF

    @classmethod
    def from_bytes(cls, data: bytes, *, status_size: int = 1) -> BitstringStatusList:
        """A list over the raw (uncompressed) bitstring ``data``, as :meth:`to_bytes` gives it.

        Raises:
            StatusListError: ``data`` is empty or ``status_size`` is not a positive integer.
        """
        status_list = cls(max(1, len(data) * 8 // max(1, status_size)), status_size=status_size)
        if not data or len(data) * 8 % status_size:
            raise StatusListError("a raw bitstring holds a whole number of entries")
        status_list._bits = bytearray(data)
        return status_list

    def to_bytes(self) -> bytes:
        """The raw bitstring (what an issuer stores between changes)."""
        return bytes(self._bits)

    def encode(self) -> str:
        """Bitstring Generation Algorithm: ``"u"`` + base64url-no-pad(GZIP(bitstring)).

        https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-generation-algorithm

        Returns:
            The ``encodedList`` value (deterministic: the gzip header carries no timestamp).
        """
        compressed = gzip.compress(bytes(self._bits), compresslevel=_GZIP_LEVEL, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(
        cls,
        encoded: str,
        *,
        status_size: int = 1,
        minimum_entries: int = MIN_ENTRIES,
        multibase: bool = True,
    ) -> Self:
        """Bitstring Expansion Algorithm, plus the validate algorithm's length check.

        https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-expansion-algorithm

        Decompression is streamed and stops at :data:`MAX_DECOMPRESSED_BYTES`, so a gzip bomb
        costs bounded memory.

        Args:
            encoded: The ``encodedList`` value.
            status_size: Bits per entry (the entry's ``statusSize``).
            minimum_entries: Refuse shorter lists (131,072 unless an ecosystem sets a lower bound).
            multibase: ``False`` for StatusList2021, whose value has no ``"u"`` prefix.

        Returns:
            The list; its length is the bitstring length divided by ``status_size``.

        Raises:
            StatusListError: Bad prefix, base64url or gzip; expands past the cap; or fewer than
                ``minimum_entries`` entries (the spec's STATUS_LIST_LENGTH_ERROR).
        """
        if not isinstance(encoded, str):
            raise StatusListError("encodedList must be a string")
        if multibase:
            if not encoded.startswith("u"):
                raise StatusListError(
                    f"encodedList must be multibase base64url (start with 'u'), got {encoded[:8]!r}..."
                )
            encoded = encoded[1:]
        compressed = _b64url_decode(encoded)
        bitstring = _gunzip_bounded(compressed, MAX_DECOMPRESSED_BYTES)
        status_list = cls(1, status_size=status_size)
        entries = len(bitstring) * 8 // status_size
        if entries < minimum_entries:
            raise StatusListError(
                f"the status list has {entries} entries, fewer than the minimum {minimum_entries} "
                "(STATUS_LIST_LENGTH_ERROR)"
            )
        status_list._size = entries
        status_list._bits = bitstring
        return status_list

    def _first_bit(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self._size:
            raise StatusListError(
                f"status list index {index!r} is out of range for a list of {self._size} entries "
                "(RANGE_ERROR)"
            )
        return index * self._status_size


def status_entry(*, list_url: str, index: int, purpose: str) -> dict[str, str]:
    """Build a ``BitstringStatusListEntry`` for a credential's ``credentialStatus``.

    https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistentry

    Args:
        list_url: URL of the BitstringStatusListCredential (``statusListCredential``).
        index: The credential's position in the list (allocate at random for herd privacy).
        purpose: ``statusPurpose``: ``revocation``, ``suspension``, ``refresh`` or ``message``.

    Returns:
        The entry, with ``id`` = ``list_url#index`` and ``statusListIndex`` as a base-10 string.

    Raises:
        StatusListError: A negative index or an empty URL or purpose.
    """
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise StatusListError(f"statusListIndex must be a non-negative integer, got {index!r}")
    if not list_url or not purpose:
        raise StatusListError("status_entry needs a list URL and a purpose")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    *,
    list_url: str,
    issuer: str | Mapping[str, Any],
    purpose: str,
    encoded_list: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """Build an unsigned ``BitstringStatusListCredential`` (the caller adds the proof).

    https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential

    Args:
        list_url: The credential's ``id``, where it is published.
        issuer: Issuer URI or Profile object.
        purpose: ``credentialSubject.statusPurpose``.
        encoded_list: From :meth:`BitstringStatusList.encode`.
        valid_from: Start of validity (timezone-aware; written in whole seconds, UTC).
        valid_until: Optional end of validity.
        ttl_ms: Optional ``ttl``: milliseconds before a verifier should refetch.

    Returns:
        The credential as a JSON-ready dict.

    Raises:
        StatusListError: A naive datetime, or a negative ``ttl_ms``.
    """
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": purpose,
        "encodedList": encoded_list,
    }
    if ttl_ms is not None:
        if isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms < 0:
            raise StatusListError(f"ttl_ms must be a non-negative integer, got {ttl_ms!r}")
        subject["ttl"] = ttl_ms
    credential: dict[str, Any] = {
        "@context": [_VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer if isinstance(issuer, str) else dict(issuer),
        "validFrom": _utc_seconds(valid_from, "valid_from"),
    }
    if valid_until is not None:
        credential["validUntil"] = _utc_seconds(valid_until, "valid_until")
    credential["credentialSubject"] = subject
    return credential


def entry_status(
    entry: Mapping[str, Any],
    list_credential: Mapping[str, Any],
    *,
    minimum_entries: int = MIN_ENTRIES,
) -> int:
    """Validate Algorithm, from the purpose check on: the status value of ``entry``.

    https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm

    The caller has dereferenced ``entry["statusListCredential"]`` and verified the list
    credential's proof (and its validity period) before calling this.

    Args:
        entry: The credential's ``credentialStatus`` (``BitstringStatusListEntry``, or
            ``StatusList2021Entry`` for older badges).
        list_credential: The verified status list credential.
        minimum_entries: Lower bound on the list length (131,072 unless an ecosystem lowers it).

    Returns:
        The status value (0 means no status is set; see :func:`raise_for_status`).

    Raises:
        StatusListError: Malformed entry or list credential, purpose mismatch, bad encoding,
            list too short, or index out of range.
    """
    entry_type = _single_type(entry.get("type"), "credentialStatus")
    if entry_type not in _FORMATS:
        raise StatusListError(
            f"credentialStatus type {entry_type!r} is not supported "
            f"(expected one of {', '.join(sorted(_FORMATS))})"
        )
    credential_type, list_type, multibase = _FORMATS[entry_type]
    index = _status_list_index(entry.get("statusListIndex"))
    purpose = entry.get("statusPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise StatusListError("credentialStatus.statusPurpose is missing")
    status_size = entry.get("statusSize", 1)
    if isinstance(status_size, bool) or not isinstance(status_size, int) or status_size < 1:
        raise StatusListError(f"credentialStatus.statusSize must be a positive integer, got {status_size!r}")

    types = list_credential.get("type")
    if credential_type not in (types if isinstance(types, list) else [types]):
        raise StatusListError(f"the status list credential's type does not include {credential_type}")
    subject = list_credential.get("credentialSubject")
    if not isinstance(subject, Mapping):
        raise StatusListError("the status list credential has no credentialSubject object")
    if _single_type(subject.get("type"), "credentialSubject") != list_type:
        raise StatusListError(f"the status list's credentialSubject.type must be {list_type}")
    # The list may carry several purposes ("one or more strings").
    list_purposes = subject.get("statusPurpose")
    if purpose not in (list_purposes if isinstance(list_purposes, list) else [list_purposes]):
        raise StatusListError(
            f"the entry's statusPurpose {purpose!r} does not match the list's {list_purposes!r}"
        )
    encoded_list = subject.get("encodedList")
    if not isinstance(encoded_list, str):
        raise StatusListError("the status list's credentialSubject.encodedList is missing")
    status_list = BitstringStatusList.decode(
        encoded_list,
        status_size=status_size,
        minimum_entries=minimum_entries,
        multibase=multibase,
    )
    return status_list.get(index)


def raise_for_status(entry: Mapping[str, Any], value: int) -> None:
    """Turn a status value into the verdict: revoked, suspended, or nothing.

    https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential (statusPurpose)

    Args:
        entry: The credential's ``credentialStatus``.
        value: From :func:`entry_status`.

    Raises:
        RevokedError: Purpose ``revocation`` and a non-zero value.
        SuspendedError: Purpose ``suspension`` and a non-zero value.
    """
    if value == 0:
        return
    purpose = entry.get("statusPurpose")
    where = f"index {entry.get('statusListIndex')} of {entry.get('statusListCredential')}"
    if purpose == "revocation":
        raise RevokedError(f"the issuer has revoked this credential ({where})")
    if purpose == "suspension":
        raise SuspendedError(f"the issuer has suspended this credential ({where})")
    # refresh and message statuses do not invalidate the credential.


def _status_list_index(value: object) -> int:
    if not isinstance(value, str) or not _INDEX.fullmatch(value):
        raise StatusListError(
            f"credentialStatus.statusListIndex must be a base-10 integer string, got {value!r}"
        )
    return int(value)


def _single_type(value: object, where: str) -> str:
    # A single type may also be written as a one-element array.
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, str):
        raise StatusListError(f"{where}.type must be a single string, got {value!r}")
    return value


def _utc_seconds(moment: datetime, name: str) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise StatusListError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64url_decode(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise StatusListError("encodedList is not base64url")
    text = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as err:
        raise StatusListError(f"encodedList is not valid base64url: {err}") from err


def _gunzip_bounded(data: bytes, limit: int) -> bytearray:
    """Decompress one GZIP member, refusing output beyond ``limit`` bytes without producing it."""
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip container only
    out = bytearray()
    pending = data
    try:
        while not decompressor.eof:
            chunk = decompressor.decompress(pending, min(_CHUNK, limit + 1 - len(out)))
            out += chunk
            if len(out) > limit:
                raise StatusListError(
                    f"the status list expands past {limit} bytes; refusing it (possible gzip bomb)"
                )
            if not chunk and decompressor.unconsumed_tail == pending:
                break  # no progress: the input is exhausted
            pending = decompressor.unconsumed_tail
    except zlib.error as err:
        raise StatusListError(f"encodedList is not valid GZIP: {err}") from err
    if not decompressor.eof:
        raise StatusListError("encodedList is truncated GZIP")
    if decompressor.unused_data:
        raise StatusListError("encodedList has data after the GZIP member")
    return out
