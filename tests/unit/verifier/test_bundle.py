"""Verification bundles: written deterministically, read strictly, and re-verified offline to the same answer."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from issuer.issuance import Award, build_credential
from tests.conftest import NOW, TestIssuer
from verifier.bundle import (
    FORMAT,
    MAX_ENTRY_BYTES,
    Bundle,
    BundleInput,
    bundle_fetcher,
    is_bundle,
    read_bundle,
    write_bundle,
)
from verifier.errors import MalformedCredentialError, RetrievalError
from verifier.resolve import ChainFetcher, MapFetcher, OfflineFetcher, RecordingFetcher, Resolver
from verifier.status import BitstringStatusList, status_entry, status_list_credential
from verifier.verify import VerificationReport, verify_credential

if TYPE_CHECKING:
    from pathlib import Path

    from issuer.definitions import BadgeCatalog

LIST_URL = "https://badges.example.edu/orgs/lincoln-hs/status/revocation/1"
INDEX = 4_242
LEARNER = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"


def _signed_inputs(
    catalog: BadgeCatalog, issuer: TestIssuer, *, revoked: set[int]
) -> tuple[list[BundleInput], Resolver, RecordingFetcher]:
    """A Data Integrity badge and a VC-JWT badge with a status entry, and a recording resolver for them."""
    # A DID recipient: a VC-JWT needs credentialSubject.id.
    award = Award(definition=catalog.get("math-7rp-proportional"), level=3, recipient=LEARNER)
    credential = build_credential(
        award,
        issuer.profile,
        credential_id="urn:uuid:7d4c2c1e-1111-4a4a-9b9b-0123456789ab",
        now=NOW,
        salt="5a1t",
        status=status_entry(list_url=LIST_URL, index=INDEX, purpose="revocation"),
    )
    bits = BitstringStatusList()
    for index in revoked:
        bits.set(index, 1)
    status_list = status_list_credential(
        list_url=LIST_URL,
        issuer=issuer.did,
        purpose="revocation",
        encoded_list=bits.encode(),
        valid_from=NOW - timedelta(days=1),
    )
    list_path = issuer.site / "status-1.json"
    list_path.write_text(json.dumps(issuer.sign_ldp(status_list)), encoding="utf-8")
    recording = RecordingFetcher(MapFetcher.from_file(issuer.resolve_map({LIST_URL: list_path})))
    inputs = [
        BundleInput("badges/alex.json", json.dumps(issuer.sign_ldp(credential)).encode("utf-8")),
        BundleInput("../elsewhere/alex.jwt", issuer.sign_jwt(credential).encode("ascii")),
    ]
    return inputs, Resolver(ChainFetcher(recording, OfflineFetcher())), recording


def _verify_and_bundle(
    catalog: BadgeCatalog, issuer: TestIssuer, *, revoked: set[int]
) -> tuple[Bundle, list[VerificationReport]]:
    inputs, resolver, recording = _signed_inputs(catalog, issuer, revoked=revoked)
    reports = [verify_credential(item.data, resolver=resolver, now=NOW) for item in inputs]
    bundle = Bundle(
        checked_at=NOW,
        inputs=tuple(inputs),
        documents=recording.fetched,
        verdicts={item.name: report.verdict for item, report in zip(inputs, reports, strict=True)},
    )
    return bundle, reports


def _reverify(bundle: Bundle) -> list[VerificationReport]:
    resolver = Resolver(ChainFetcher(bundle_fetcher(bundle), OfflineFetcher()))
    return [verify_credential(item.data, resolver=resolver, now=bundle.checked_at) for item in bundle.inputs]


def _summary(report: VerificationReport) -> list[tuple[str, bool, str | None]]:
    return [(check.id, check.passed, check.code) for check in report.checks]


def _small_bundle() -> Bundle:
    return Bundle(
        checked_at=NOW,
        inputs=(BundleInput("badge.json", b'{"id": "x"}'),),
        documents={"https://example.edu/did.json": b'{"id": "did:web:example.edu"}'},
        verdicts={"badge.json": "indeterminate"},
    )


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _small_zip(tmp_path: Path) -> bytes:
    write_bundle(tmp_path / "small.zip", _small_bundle())
    return (tmp_path / "small.zip").read_bytes()


def _refused(data: bytes) -> str:
    with pytest.raises(MalformedCredentialError) as caught:
        read_bundle(data)
    return str(caught.value)


# --------------------------------------------------------------------------------------------------
# Re-verification
# --------------------------------------------------------------------------------------------------


def test_bundle_reverifies_offline_to_the_same_checks(
    catalog: BadgeCatalog, issuer: TestIssuer, tmp_path: Path
) -> None:
    bundle, reports = _verify_and_bundle(catalog, issuer, revoked={7})
    assert [report.verdict for report in reports] == ["valid", "valid"]
    # The DID document and the status list were fetched, and nothing else.
    assert sorted(bundle.documents) == ["https://badges.example.edu/orgs/lincoln-hs/did.json", LIST_URL]
    path = tmp_path / "out.zip"
    write_bundle(path, bundle)
    shutil.rmtree(issuer.site)  # the issuer's site is gone: only the bundle is left

    again = read_bundle(path)
    assert again == bundle
    write_bundle(tmp_path / "copy.zip", again)
    assert (tmp_path / "copy.zip").read_bytes() == path.read_bytes()
    replayed = _reverify(again)
    assert [report.verdict for report in replayed] == [again.verdicts[i.name] for i in again.inputs]
    for before, after in zip(reports, replayed, strict=True):
        assert _summary(after) == _summary(before)
        assert after.checks == before.checks


def test_bundle_revoked_credential_stays_revoked(
    catalog: BadgeCatalog, issuer: TestIssuer, tmp_path: Path
) -> None:
    bundle, reports = _verify_and_bundle(catalog, issuer, revoked={7, INDEX})
    write_bundle(tmp_path / "revoked.zip", bundle)
    again = read_bundle((tmp_path / "revoked.zip").read_bytes())
    assert again.verdicts == {"badges/alex.json": "invalid", "../elsewhere/alex.jwt": "invalid"}
    for before, after in zip(reports, _reverify(again), strict=True):
        assert after.verdict == "invalid"
        assert {c.id: c.code for c in after.checks if not c.passed} == {"status": "REVOKED"}
        assert _summary(after) == _summary(before)


def test_bundle_fetcher_serves_only_recorded_documents() -> None:
    fetcher = bundle_fetcher(_small_bundle())
    assert fetcher.knows("https://example.edu/did.json")
    assert fetcher.fetch("https://example.edu/did.json") == b'{"id": "did:web:example.edu"}'
    assert not fetcher.knows("https://example.edu/did.json#key-1")
    with pytest.raises(RetrievalError, match="not in the verification bundle"):
        fetcher.fetch("https://example.edu/other.json")


def test_bundle_missing_document_is_indeterminate_not_fetched(
    catalog: BadgeCatalog, issuer: TestIssuer
) -> None:
    bundle, _ = _verify_and_bundle(catalog, issuer, revoked=set())
    without_list = replace(bundle, documents={k: v for k, v in bundle.documents.items() if k != LIST_URL})
    report = _reverify(without_list)[0]
    assert report.verdict == "indeterminate"
    assert {c.id: c.code for c in report.checks if not c.passed} == {"status": "STATUS_RETRIEVAL_ERROR"}


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def test_write_bundle_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    write_bundle(first, _small_bundle())
    write_bundle(second, replace(_small_bundle(), documents=dict(_small_bundle().documents)))
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        manifest = json.loads(archive.read("bundle.json"))
    url_hash = hashlib.sha256(b"https://example.edu/did.json").hexdigest()
    assert names == ["bundle.json", f"documents/{url_hash}.bin", "inputs/0-badge.json"]
    assert manifest == {
        "format": FORMAT,
        "checkedAt": NOW.isoformat(),
        "inputs": [
            {
                "name": "badge.json",
                "file": "inputs/0-badge.json",
                "sha256": hashlib.sha256(b'{"id": "x"}').hexdigest(),
                "verdict": "indeterminate",
            }
        ],
        "documents": [
            {
                "url": "https://example.edu/did.json",
                "file": f"documents/{url_hash}.bin",
                "sha256": hashlib.sha256(b'{"id": "did:web:example.edu"}').hexdigest(),
            }
        ],
    }


def test_write_bundle_replaces_atomically_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "out.zip"
    path.write_bytes(b"an older bundle")
    write_bundle(path, _small_bundle())
    assert read_bundle(path) == _small_bundle()
    assert [p.name for p in tmp_path.iterdir()] == ["out.zip"]


def test_write_bundle_input_names_are_made_safe(tmp_path: Path) -> None:
    bundle = Bundle(
        checked_at=NOW,
        inputs=(BundleInput("../../etc/pass wd", b"a"), BundleInput("-", b"b"), BundleInput("C:\\x\\", b"c")),
        documents={},
        verdicts={"../../etc/pass wd": "invalid", "-": "invalid", "C:\\x\\": "invalid"},
    )
    write_bundle(tmp_path / "out.zip", bundle)
    names = _entries((tmp_path / "out.zip").read_bytes())
    assert sorted(names) == ["bundle.json", "inputs/0-pass_wd", "inputs/1--", "inputs/2-x"]
    assert read_bundle(tmp_path / "out.zip") == bundle


def test_bundle_refuses_inconsistent_fields() -> None:
    item = BundleInput("a.json", b"{}")
    with pytest.raises(MalformedCredentialError, match="time zone"):
        Bundle(checked_at=datetime(2026, 1, 1), inputs=(item,), documents={}, verdicts={"a.json": "valid"})  # noqa: DTZ001
    with pytest.raises(MalformedCredentialError, match="appears twice"):
        Bundle(checked_at=NOW, inputs=(item, item), documents={}, verdicts={"a.json": "valid"})
    with pytest.raises(MalformedCredentialError, match=r"no verdict for input 'a\.json'"):
        Bundle(checked_at=NOW, inputs=(item,), documents={}, verdicts={})
    with pytest.raises(MalformedCredentialError, match=r"'maybe' of 'a\.json' is not one of"):
        Bundle(checked_at=NOW, inputs=(item,), documents={}, verdicts={"a.json": "maybe"})


def test_write_bundle_refuses_what_read_bundle_would_refuse(tmp_path: Path) -> None:
    big = Bundle(
        checked_at=NOW,
        inputs=(BundleInput("big.json", b" " * (MAX_ENTRY_BYTES + 1)),),
        documents={},
        verdicts={"big.json": "invalid"},
    )
    with pytest.raises(MalformedCredentialError, match=r"inputs/0-big\.json is 8,388,609 bytes"):
        write_bundle(tmp_path / "big.zip", big)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------------
# Reading, and what it refuses
# --------------------------------------------------------------------------------------------------


def test_is_bundle_tells_bundles_from_other_files(tmp_path: Path) -> None:
    assert is_bundle(_small_zip(tmp_path))
    assert not is_bundle(_zip({"other.json": b"{}"}))
    assert not is_bundle(b'{"@context": []}')
    assert not is_bundle(b"PK\x03\x04 truncated")


def test_read_bundle_refuses_garbage(tmp_path: Path) -> None:
    assert "not a zip file" in _refused(b"\x89PNG\r\n\x1a\n not a bundle")
    with pytest.raises(MalformedCredentialError, match="cannot read it"):
        read_bundle(tmp_path / "missing.zip")


def test_read_bundle_refuses_missing_or_invalid_manifest(tmp_path: Path) -> None:
    entries = _entries(_small_zip(tmp_path))
    del entries["bundle.json"]
    assert "no bundle.json" in _refused(_zip(entries))
    entries["bundle.json"] = b'{"format": '
    assert "bundle.json is not valid JSON" in _refused(_zip(entries))
    entries["bundle.json"] = b'["a list"]'
    assert "bundle.json is not a JSON object" in _refused(_zip(entries))


def _with_manifest(tmp_path: Path, change: Any) -> bytes:
    entries = _entries(_small_zip(tmp_path))
    manifest = json.loads(entries["bundle.json"])
    change(manifest)
    entries["bundle.json"] = json.dumps(manifest).encode("utf-8")
    return _zip(entries)


def test_read_bundle_refuses_unknown_format_version(tmp_path: Path) -> None:
    data = _with_manifest(tmp_path, lambda m: m.update(format="mastery-badges-verification-bundle/2"))
    assert "unknown bundle format 'mastery-badges-verification-bundle/2'" in _refused(data)


def test_read_bundle_refuses_bad_manifest_fields(tmp_path: Path) -> None:
    data = _with_manifest(tmp_path, lambda m: m.update(checkedAt="2026-11-23T12:00:00"))
    assert "checkedAt '2026-11-23T12:00:00' has no time zone" in _refused(data)
    data = _with_manifest(tmp_path, lambda m: m["inputs"][0].update(verdict="fine"))
    assert "verdict 'fine' of 'badge.json' is not one of" in _refused(data)
    data = _with_manifest(tmp_path, lambda m: m["documents"][0].update(sha256="ABC"))
    assert "documents[0].sha256 is not 64 lowercase hex digits" in _refused(data)
    data = _with_manifest(tmp_path, lambda m: m.update(signature="trust me"))
    assert "unknown key 'signature'" in _refused(data)
    duplicated = _entries(_small_zip(tmp_path))
    duplicated["bundle.json"] = duplicated["bundle.json"].replace(b"{", b'{"format": "x",', 1)
    assert "bundle.json: duplicate JSON member 'format'" in _refused(_zip(duplicated))


def test_read_bundle_refuses_missing_and_unreferenced_entries(tmp_path: Path) -> None:
    entries = _entries(_small_zip(tmp_path))
    document = next(name for name in entries if name.startswith("documents/"))
    without = {name: data for name, data in entries.items() if name != document}
    assert f"{document}, referenced by bundle.json (document https://example.edu/did.json), is missing" in (
        _refused(_zip(without))
    )
    assert "entry inputs/1-extra is not referenced by bundle.json" in _refused(
        _zip({**entries, "inputs/1-extra": b"{}"})
    )


def test_read_bundle_refuses_tampered_document(tmp_path: Path) -> None:
    entries = _entries(_small_zip(tmp_path))
    document = next(name for name in entries if name.startswith("documents/"))
    entries[document] = b'{"id": "did:web:example.edu", "verificationMethod": ["attacker key"]}'
    message = _refused(_zip(entries))
    assert f"{document} does not match its sha256 in bundle.json: the bundle was altered" in message


def test_read_bundle_refuses_tampered_input(tmp_path: Path) -> None:
    entries = _entries(_small_zip(tmp_path))
    entries["inputs/0-badge.json"] = b'{"id": "y"}'
    assert "inputs/0-badge.json does not match its sha256" in _refused(_zip(entries))


@pytest.mark.parametrize("name", ["../evil.json", "/etc/passwd", "inputs/../../evil", "C:/evil", "a\\..\\b"])
def test_read_bundle_refuses_path_traversal_names(tmp_path: Path, name: str) -> None:
    entries = _entries(_small_zip(tmp_path))
    entries[name] = b"{}"
    assert "unsafe entry name" in _refused(_zip(entries))


def test_read_bundle_refuses_duplicate_entry_names(tmp_path: Path) -> None:
    entries = _entries(_small_zip(tmp_path))
    buffer = io.BytesIO(_zip(entries))
    with (
        zipfile.ZipFile(buffer, "a") as archive,
        pytest.warns(UserWarning, match="Duplicate name"),
    ):
        archive.writestr("inputs/0-badge.json", b'{"id": "y"}')
    assert "entry inputs/0-badge.json appears twice" in _refused(buffer.getvalue())


def test_read_bundle_refuses_too_many_entries(tmp_path: Path) -> None:
    entries = _entries(_small_zip(tmp_path))
    entries.update({f"inputs/{index}-x": b"" for index in range(1, 1_000)})
    assert "1,002 entries; the limit is 1,000" in _refused(_zip(entries))


def test_read_bundle_refuses_zip_bomb_entry(tmp_path: Path) -> None:
    entries = _entries(_small_zip(tmp_path))
    entries["inputs/1-bomb"] = bytes(MAX_ENTRY_BYTES + 1)  # 8 MiB of zeros: about 8 KiB compressed
    data = _zip(entries)
    assert len(data) < 100_000
    assert "inputs/1-bomb declares 8,388,609 bytes; the limit is 8,388,608" in _refused(data)


def test_read_bundle_refuses_zip_bomb_total(tmp_path: Path) -> None:
    entries = _entries(_small_zip(tmp_path))
    entries.update({f"inputs/{index}-bomb": bytes(MAX_ENTRY_BYTES) for index in range(1, 9)})
    assert "bytes in all; the limit is 67,108,864" in _refused(_zip(entries))


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """Rewrite the uncompressed size the central directory declares for ``name`` (a lying header)."""
    patched = bytearray(data)
    offset = patched.find(b"PK\x01\x02")
    while offset != -1:
        name_length = struct.unpack_from("<H", patched, offset + 28)[0]
        if patched[offset + 46 : offset + 46 + name_length] == name.encode():
            struct.pack_into("<I", patched, offset + 24, size)
            return bytes(patched)
        offset = patched.find(b"PK\x01\x02", offset + 4)
    raise LookupError(name)


def test_read_bundle_refuses_entry_larger_than_declared(tmp_path: Path) -> None:
    # A bomb that lies: 64 MiB of zeros declared as 11 bytes, under every cap. Reading stops at the
    # declared size and the CRC then fails; the 64 MiB are never decompressed.
    entries = _entries(_small_zip(tmp_path))
    entries["inputs/0-badge.json"] = bytes(64 * 1024 * 1024)
    data = _declare_size(_zip(entries), "inputs/0-badge.json", len(b'{"id": "x"}'))
    message = _refused(data)
    assert "inputs/0-badge.json is corrupt" in message
    assert "CRC" in message
