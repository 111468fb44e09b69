"""Bitstring Status List v1.0: codec known answers, the DCC fixture, refusals, entry checks."""

from __future__ import annotations

import base64
import gzip
import json
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from verifier.errors import RevokedError, StatusListError, SuspendedError
from verifier.status import (
    MAX_DECOMPRESSED_BYTES,
    MIN_ENTRIES,
    BitstringStatusList,
    entry_status,
    raise_for_status,
    status_entry,
    status_list_credential,
)

REPO = Path(__file__).resolve().parents[3]
DCC = REPO.parent / "shared" / "spec" / "examples" / "dcc"
LIST_URL = "https://issuer.example.edu/status/1"
ISSUER = "did:web:issuer.example.edu"
VALID_FROM = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _raw_bits(encoded: str) -> bytes:
    """Expand an encodedList independently of the code under test."""
    data = encoded.removeprefix("u")
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def _encode_gzip(raw: bytes, *, multibase: bool = True) -> str:
    text = base64.urlsafe_b64encode(gzip.compress(raw, mtime=0)).rstrip(b"=").decode()
    return "u" + text if multibase else text


def _list_credential(status_list: BitstringStatusList, purpose: str = "revocation") -> dict[str, Any]:
    return status_list_credential(
        list_url=LIST_URL,
        issuer=ISSUER,
        purpose=purpose,
        encoded_list=status_list.encode(),
        valid_from=VALID_FROM,
    )


# --------------------------------------------------------------------------- codec


def test_bitstring_index_zero_is_most_significant_bit() -> None:
    status_list = BitstringStatusList()
    status_list.set(0, 1)
    status_list.set(9, 1)

    raw = _raw_bits(status_list.encode())

    assert len(raw) == MIN_ENTRIES // 8
    assert raw[0] == 0x80
    assert raw[1] == 0x40
    assert not any(raw[2:])


def test_bitstring_status_size_two_known_answer() -> None:
    status_list = BitstringStatusList(8, status_size=2)
    status_list.set(1, 0b11)
    status_list.set(2, 0b01)

    raw = _raw_bits(status_list.encode())

    assert raw == bytes([0b00110100, 0b00000000])
    assert [status_list.get(i) for i in range(4)] == [0, 3, 1, 0]


def test_bitstring_encode_is_multibase_and_deterministic() -> None:
    status_list = BitstringStatusList()
    status_list.set(42, 1)

    encoded = status_list.encode()

    assert encoded.startswith("u")
    assert "=" not in encoded
    assert encoded == status_list.encode()


def test_bitstring_round_trip() -> None:
    status_list = BitstringStatusList()
    for index in (0, 7, 8, 65_535, MIN_ENTRIES - 1):
        status_list.set(index, 1)
    status_list.set(7, 0)

    decoded = BitstringStatusList.decode(status_list.encode())

    assert len(decoded) == MIN_ENTRIES
    assert [i for i in (0, 1, 7, 8, 65_535, MIN_ENTRIES - 1) if decoded.get(i)] == [
        0,
        8,
        65_535,
        MIN_ENTRIES - 1,
    ]


def test_bitstring_index_out_of_range_refused() -> None:
    status_list = BitstringStatusList()

    with pytest.raises(StatusListError, match="RANGE_ERROR"):
        status_list.get(MIN_ENTRIES)
    with pytest.raises(StatusListError, match="RANGE_ERROR"):
        status_list.set(-1, 1)


def test_bitstring_value_too_large_refused() -> None:
    with pytest.raises(StatusListError, match="does not fit in 1 bit"):
        BitstringStatusList().set(3, 2)


@pytest.mark.parametrize("kwargs", [{"size": 0}, {"status_size": 0}])
def test_bitstring_refuses_non_positive_sizes(kwargs: dict[str, int]) -> None:
    with pytest.raises(StatusListError, match="positive integer"):
        BitstringStatusList(**kwargs)


def test_bitstring_decode_refuses_short_list() -> None:
    encoded = _encode_gzip(bytes(MIN_ENTRIES // 8 - 1))

    with pytest.raises(StatusListError, match="STATUS_LIST_LENGTH_ERROR"):
        BitstringStatusList.decode(encoded)


def test_bitstring_decode_counts_entries_by_status_size() -> None:
    encoded = _encode_gzip(bytes(MIN_ENTRIES // 8))

    with pytest.raises(StatusListError, match="65536 entries"):
        BitstringStatusList.decode(encoded, status_size=2)
    assert len(BitstringStatusList.decode(encoded, status_size=2, minimum_entries=65_536)) == 65_536


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("H4sIAAAAAAAAA-3BMQEAAAwCoGUx6aLbwgvIHwAAAAAAAAAAAAAAwFwBZnztF9QwAAA", "start with 'u'"),
        ("u!!!!", "not base64url"),
        ("uA", "not valid base64url"),
        ("u" + base64.urlsafe_b64encode(b"not gzip at all").decode(), "not valid GZIP"),
        ("u" + base64.urlsafe_b64encode(gzip.compress(bytes(20_000), mtime=0)[:-12]).decode(), "truncated"),
        (
            "u" + base64.urlsafe_b64encode(gzip.compress(bytes(20_000), mtime=0) + b"junk").decode(),
            "after the GZIP",
        ),
    ],
)
def test_bitstring_decode_refuses_bad_encoding(encoded: str, message: str) -> None:
    with pytest.raises(StatusListError, match=message):
        BitstringStatusList.decode(encoded, minimum_entries=0)


def test_bitstring_decode_without_multibase_prefix() -> None:
    status_list = BitstringStatusList()
    status_list.set(5, 1)

    decoded = BitstringStatusList.decode(status_list.encode()[1:], multibase=False)

    assert decoded.get(5) == 1


def test_bitstring_gzip_bomb_refused() -> None:
    bomb = _encode_gzip(bytes(MAX_DECOMPRESSED_BYTES + 1))

    with pytest.raises(StatusListError, match="gzip bomb"):
        BitstringStatusList.decode(bomb)


def test_bitstring_gzip_bomb_memory_stays_bounded() -> None:
    # 64 MiB of zeros, streamed into the compressor so the test itself stays small.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(64)]
    bomb = "u" + base64.urlsafe_b64encode(b"".join(parts) + compressor.flush()).rstrip(b"=").decode()

    tracemalloc.start()
    try:
        with pytest.raises(StatusListError, match="gzip bomb"):
            BitstringStatusList.decode(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Expanding the whole bomb would need 64 MiB; the streamed decoder stops just past the cap.
    assert peak < 1.5 * MAX_DECOMPRESSED_BYTES


# --------------------------------------------------------------------------- the DCC fixture


def _dcc() -> tuple[dict[str, Any], dict[str, Any]]:
    (list_path,) = DCC.glob("bitstring-status-list-credential-*.json")
    list_credential = json.loads(list_path.read_text())
    badge = json.loads((DCC / "obv3-eddsa-rdfc-2022-didkey-with-bitstring-status.json").read_text())
    return badge["credentialStatus"], list_credential


def test_bitstring_dcc_list_refused_with_default_minimum() -> None:
    _, list_credential = _dcc()

    with pytest.raises(StatusListError, match="100000 entries"):
        BitstringStatusList.decode(list_credential["credentialSubject"]["encodedList"])


def test_bitstring_dcc_list_decodes_with_lower_minimum() -> None:
    _, list_credential = _dcc()

    decoded = BitstringStatusList.decode(
        list_credential["credentialSubject"]["encodedList"], minimum_entries=100_000
    )

    assert len(decoded) == 100_000
    assert [i for i in range(len(decoded)) if decoded.get(i)] == [2, 6, 8]


def test_entry_status_dcc_badge_is_not_revoked() -> None:
    entry, list_credential = _dcc()

    value = entry_status(entry, list_credential, minimum_entries=100_000)

    assert entry["statusListIndex"] == "9"
    assert value == 0
    raise_for_status(entry, value)  # does not raise
    with pytest.raises(StatusListError, match="STATUS_LIST_LENGTH_ERROR"):
        entry_status(entry, list_credential)


# --------------------------------------------------------------------------- documents and entry checks


def test_status_entry_shape() -> None:
    assert status_entry(list_url=LIST_URL, index=1234, purpose="revocation") == {
        "id": f"{LIST_URL}#1234",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "1234",
        "statusListCredential": LIST_URL,
    }


def test_status_entry_refuses_negative_index() -> None:
    with pytest.raises(StatusListError, match="non-negative"):
        status_entry(list_url=LIST_URL, index=-1, purpose="revocation")


def test_status_list_credential_shape() -> None:
    credential = status_list_credential(
        list_url=LIST_URL,
        issuer={"id": ISSUER, "type": ["Profile"]},
        purpose="suspension",
        encoded_list="uH4sI",
        valid_from=datetime(2025, 3, 1, 13, 0, 0, 999, tzinfo=timezone(timedelta(hours=1))),
        valid_until=VALID_FROM + timedelta(days=30),
        ttl_ms=300_000,
    )

    assert credential == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": ISSUER, "type": ["Profile"]},
        "validFrom": "2025-03-01T12:00:00Z",
        "validUntil": "2025-03-31T12:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "suspension",
            "encodedList": "uH4sI",
            "ttl": 300_000,
        },
    }


def test_status_list_credential_refuses_naive_datetime() -> None:
    with pytest.raises(StatusListError, match="timezone-aware"):
        status_list_credential(
            list_url=LIST_URL,
            issuer=ISSUER,
            purpose="revocation",
            encoded_list="uH4sI",
            valid_from=datetime(2025, 3, 1),  # noqa: DTZ001 - the point of the test
        )


@pytest.mark.parametrize(("purpose", "error"), [("revocation", RevokedError), ("suspension", SuspendedError)])
def test_entry_status_set_bit_invalidates(purpose: str, error: type[Exception]) -> None:
    status_list = BitstringStatusList()
    status_list.set(4321, 1)
    entry = status_entry(list_url=LIST_URL, index=4321, purpose=purpose)

    value = entry_status(entry, _list_credential(status_list, purpose))

    assert value == 1
    with pytest.raises(error, match="4321"):
        raise_for_status(entry, value)


def test_entry_status_unset_bit_is_valid() -> None:
    status_list = BitstringStatusList()
    status_list.set(4321, 1)
    entry = status_entry(list_url=LIST_URL, index=4320, purpose="revocation")

    assert entry_status(entry, _list_credential(status_list)) == 0


@pytest.mark.parametrize("purpose", ["refresh", "message"])
def test_raise_for_status_other_purposes_do_not_invalidate(purpose: str) -> None:
    entry = status_entry(list_url=LIST_URL, index=1, purpose=purpose)

    raise_for_status(entry, 1)  # must not raise: these purposes do not invalidate


def test_entry_status_purpose_mismatch_refused() -> None:
    entry = status_entry(list_url=LIST_URL, index=1, purpose="suspension")

    with pytest.raises(StatusListError, match="does not match"):
        entry_status(entry, _list_credential(BitstringStatusList(), "revocation"))


def test_entry_status_list_with_several_purposes() -> None:
    status_list = BitstringStatusList()
    status_list.set(1, 1)
    list_credential = _list_credential(status_list)
    list_credential["credentialSubject"]["statusPurpose"] = ["revocation", "suspension"]

    assert entry_status(status_entry(list_url=LIST_URL, index=1, purpose="suspension"), list_credential) == 1


def test_entry_status_index_out_of_range_refused() -> None:
    entry = status_entry(list_url=LIST_URL, index=MIN_ENTRIES, purpose="revocation")

    with pytest.raises(StatusListError, match="RANGE_ERROR"):
        entry_status(entry, _list_credential(BitstringStatusList()))


@pytest.mark.parametrize("index", [5, "-1", "0x10", "1.0", ""])
def test_entry_status_index_must_be_base10_string(index: object) -> None:
    entry = {**status_entry(list_url=LIST_URL, index=0, purpose="revocation"), "statusListIndex": index}

    with pytest.raises(StatusListError, match="base-10"):
        entry_status(entry, _list_credential(BitstringStatusList()))


@pytest.mark.parametrize(
    ("member", "value", "message"),
    [
        ("type", "1EdTechRevocationList", "not supported"),
        ("statusPurpose", None, "statusPurpose is missing"),
        ("statusSize", 0, "statusSize"),
    ],
)
def test_entry_status_refuses_malformed_entry(member: str, value: object, message: str) -> None:
    entry: dict[str, Any] = {**status_entry(list_url=LIST_URL, index=0, purpose="revocation"), member: value}

    with pytest.raises(StatusListError, match=message):
        entry_status(entry, _list_credential(BitstringStatusList()))


def test_entry_status_refuses_wrong_list_credential_type() -> None:
    list_credential = _list_credential(BitstringStatusList())
    list_credential["type"] = ["VerifiableCredential", "OpenBadgeCredential"]
    entry = status_entry(list_url=LIST_URL, index=0, purpose="revocation")

    with pytest.raises(StatusListError, match="BitstringStatusListCredential"):
        entry_status(entry, list_credential)


def test_entry_status_reads_status_list_2021() -> None:
    status_list = BitstringStatusList()
    status_list.set(77, 1)
    entry = {
        "id": f"{LIST_URL}#77",
        "type": "StatusList2021Entry",
        "statusPurpose": "revocation",
        "statusListIndex": "77",
        "statusListCredential": LIST_URL,
    }
    list_credential = {
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://w3id.org/vc/status-list/2021/v1"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": ISSUER,
        "issuanceDate": "2025-03-01T12:00:00Z",
        "credentialSubject": {
            "id": f"{LIST_URL}#list",
            "type": "StatusList2021",
            "statusPurpose": "revocation",
            "encodedList": status_list.encode()[1:],  # StatusList2021 has no multibase prefix
        },
    }

    assert entry_status(entry, list_credential) == 1
