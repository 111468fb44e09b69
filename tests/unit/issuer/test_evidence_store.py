"""Evidence files: checked by content, stored under random keys with tight permissions, read back safely."""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issuer.errors import InvalidUploadError, NotFoundError, UploadTooLargeError
from issuer.evidence_store import (
    CHUNK_BYTES,
    DOCX,
    JPEG,
    MP3,
    MP4,
    ODT,
    PDF,
    PNG,
    SNIFF_BYTES,
    TEXT,
    EvidenceLimits,
    EvidenceStore,
    safe_filename,
    sniff_media_type,
)

if TYPE_CHECKING:
    from pathlib import Path

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_BYTES = PNG_MAGIC + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
PDF_BYTES = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"0" * 5000 + b"\n%%EOF\n"
)


def _zip(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries):
            kind = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buffer.getvalue()


DOCX_BYTES = _zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])
ODT_BYTES = _zip([("mimetype", ODT.encode()), ("content.xml", b"<office:document/>")], stored_first=True)


class _ShortReads:
    """A file-like source that returns at most ``step`` bytes per read (as sockets and pipes do)."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = io.BytesIO(data)
        self._step = step
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._data.read(self._step if size < 0 else min(size, self._step))
        self.bytes_read += len(chunk)
        return chunk


class _Endless:
    """An endless upload of PDF-looking bytes; counts what was read."""

    def __init__(self) -> None:
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = (b"%PDF-1.7\n" if self.bytes_read == 0 else b"") + b"x" * CHUNK_BYTES
        chunk = chunk[: size if size > 0 else None]
        self.bytes_read += len(chunk)
        return chunk


@pytest.fixture(name="store")
def fx_store(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", EvidenceLimits(max_file_bytes=200_000))


def _files(store: EvidenceStore) -> list[Path]:
    return sorted(path for path in store.root.rglob("*") if path.is_file())


def test_evidence_store_round_trip_keeps_bytes_and_hash(store: EvidenceStore) -> None:
    stored = store.save(PDF_BYTES, filename="Coupon report.pdf", declared_type="application/pdf")

    assert stored.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert stored.size == len(PDF_BYTES)
    assert stored.media_type == PDF
    assert stored.filename == "Coupon report.pdf"
    shard, name = stored.storage_key.split("/")
    assert len(name) == 32
    assert name.startswith(shard)
    assert store.read_bytes(stored.storage_key) == PDF_BYTES
    with store.open(stored.storage_key) as file:
        assert file.read(5) == b"%PDF-"
    assert store.verify(stored.storage_key, stored.sha256)
    assert _files(store) == [store.root / stored.storage_key]  # no temporary file left


def test_evidence_store_files_are_private_to_the_service(store: EvidenceStore) -> None:
    stored = store.save(PNG_BYTES, filename="photo.png", declared_type="image/png")

    path = store.root / stored.storage_key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(store.root.stat().st_mode) == 0o700


def test_evidence_store_streams_short_reads_and_multibyte_text(store: EvidenceStore) -> None:
    # 3-byte characters cut across reads and across the sniffing window must still decode.
    text = ("Soldadura en posición vertical — ✓ pasó la inspección.\n" * 400).encode()
    source = _ShortReads(text, step=1000)

    stored = store.save(source, filename="notes.txt", declared_type="text/plain; charset=utf-8")

    assert source.bytes_read == len(text)
    assert stored.media_type == TEXT
    assert store.read_bytes(stored.storage_key) == text


def test_evidence_store_too_large_stops_reading_and_keeps_nothing(store: EvidenceStore) -> None:
    source = _Endless()

    with pytest.raises(UploadTooLargeError, match=r"'big\.pdf' is larger than 200,000 bytes"):
        store.save(source, filename="big.pdf", declared_type="application/pdf")

    assert source.bytes_read <= 200_000 + CHUNK_BYTES  # stopped at the limit, not at the end of the upload
    assert _files(store) == []


def test_evidence_store_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    data = PDF_BYTES.ljust(10_000, b" ")
    store = EvidenceStore(tmp_path, EvidenceLimits(max_file_bytes=10_000))

    assert store.save(data, filename="a.pdf", declared_type=PDF).size == 10_000
    with pytest.raises(UploadTooLargeError):
        store.save(data + b" ", filename="a.pdf", declared_type=PDF)


def test_evidence_store_max_bytes_caps_one_file_below_the_limit(store: EvidenceStore) -> None:
    with pytest.raises(UploadTooLargeError, match="larger than 1,000 bytes"):
        store.save(PDF_BYTES, filename="a.pdf", declared_type=PDF, max_bytes=1000)

    assert _files(store) == []


def test_evidence_store_refuses_pdf_whose_content_is_png(store: EvidenceStore) -> None:
    with pytest.raises(
        InvalidUploadError, match=r"'report\.pdf' should be PDF document, but its content is PNG image"
    ):
        store.save(PNG_BYTES, filename="report.pdf", declared_type="application/pdf")

    assert _files(store) == []


@pytest.mark.parametrize(
    ("data", "filename", "declared"),
    [
        (b"<!DOCTYPE html><script>alert(1)</script>", "page.html", "text/html"),
        (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "logo.svg", "image/svg+xml"),
        (b"alert(document.cookie)", "run.js", "text/javascript"),
        (b"<html><body>hi</body></html>", "page.html", "text/plain"),  # declared harmless, named .html
        (b"plain words", "notes.txt", "application/xhtml+xml"),  # named harmless, declared XHTML
        (b"\xef\xbb\xbf  <!doctype html><p>hi", "notes.txt", "text/plain"),  # content is HTML
        (b"<svg onload=alert(1)>", "notes.txt", "text/plain"),
        (b"<?xml version='1.0'?><x/>", "", "application/octet-stream"),
    ],
)
def test_evidence_store_refuses_html_svg_and_script(
    store: EvidenceStore, data: bytes, filename: str, declared: str
) -> None:
    with pytest.raises(InvalidUploadError, match="never accepted"):
        store.save(data, filename=filename, declared_type=declared)

    assert _files(store) == []


def test_evidence_store_text_mentioning_html_later_is_plain_text(store: EvidenceStore) -> None:
    data = b"My reflection: I wrote <b>bold</b> tags in the web unit.\n"

    assert store.save(data, filename="reflection.txt", declared_type="text/plain").media_type == TEXT


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Café soudé à plat".encode("latin-1"), "is not plain UTF-8 text"),
        ("Hello".encode("utf-16"), "is not plain UTF-8 text"),
        (b"before\x00after", "is not plain UTF-8 text"),  # NUL: refused by the sniff already
        # An invalid byte after the sniffing window is found while streaming.
        (b"a" * (SNIFF_BYTES + CHUNK_BYTES) + b"\xff tail", "is not plain UTF-8 text"),
        (b"a" * (SNIFF_BYTES + 10) + b"\x00", "contains NUL characters"),
        (b"ends mid-character \xe2\x9c", "is not plain UTF-8 text"),
    ],
)
def test_evidence_store_refuses_text_that_is_not_utf8(
    store: EvidenceStore, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidUploadError, match=message):
        store.save(data, filename="notes.txt", declared_type="text/plain")

    assert _files(store) == []


def test_evidence_store_refuses_empty_file(store: EvidenceStore) -> None:
    with pytest.raises(InvalidUploadError, match=r"'empty\.pdf' is empty"):
        store.save(b"", filename="empty.pdf", declared_type=PDF)

    assert _files(store) == []


def test_evidence_store_two_identical_uploads_are_two_files(store: EvidenceStore) -> None:
    first = store.save(PDF_BYTES, filename="a.pdf", declared_type=PDF)
    second = store.save(PDF_BYTES, filename="a.pdf", declared_type=PDF)

    assert first.storage_key != second.storage_key
    assert first.sha256 == second.sha256

    store.delete(first.storage_key)

    assert store.read_bytes(second.storage_key) == PDF_BYTES  # the other learner's copy is untouched
    with pytest.raises(NotFoundError):
        store.read_bytes(first.storage_key)
    store.delete(first.storage_key)  # deleting again is fine


@pytest.mark.parametrize(
    "key",
    [
        "../secret",
        "../../etc/passwd",
        "/etc/passwd",
        "ab/../../outside",
        "ab/ab" + "0" * 30 + "/../x",
        "AB/AB" + "0" * 30,  # upper case: not a key this store makes
        "cd/ab" + "0" * 30,  # shard does not match the name
        "ab" + "0" * 30,
        "",
    ],
)
def test_evidence_store_refuses_keys_that_are_not_its_own(store: EvidenceStore, key: str) -> None:
    (store.root.parent / "secret").write_text("not evidence")

    for action in (store.open, store.read_bytes, store.delete, lambda k: store.verify(k, "0" * 64)):
        with pytest.raises(InvalidUploadError, match="is not an evidence storage key"):
            action(key)
    assert (store.root.parent / "secret").exists()


def test_evidence_store_missing_file_is_not_found(store: EvidenceStore) -> None:
    key = "ab/ab" + "0" * 30

    with pytest.raises(NotFoundError, match="no evidence file"):
        store.open(key)
    with pytest.raises(NotFoundError):
        store.verify(key, "0" * 64)


def test_evidence_store_verify_detects_changed_bytes(store: EvidenceStore) -> None:
    stored = store.save(PDF_BYTES, filename="a.pdf", declared_type=PDF)
    path = store.root / stored.storage_key
    path.write_bytes(PDF_BYTES.replace(b"Catalog", b"Catalot"))

    assert not store.verify(stored.storage_key, stored.sha256)


@pytest.mark.parametrize(
    ("data", "filename", "declared", "media_type"),
    [
        (PNG_BYTES, "photo.PNG", "image/png", PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100, "photo.jpg", "image/jpg", JPEG),  # alias
        (b"GIF89a" + b"\x00" * 50, "anim.gif", "image/gif", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 50, "pic.webp", "image/webp", "image/webp"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00" + b"\x00" * 50, "clip.mp4", "video/mp4", MP4),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 50, "talk.mp3", "audio/mpeg", MP3),
        (b"\xff\xfb\x90\x64" + b"\x00" * 50, "talk.mp3", "audio/mp3", MP3),  # MPEG-1 Layer III frame
        (DOCX_BYTES, "essay.docx", DOCX, DOCX),
        (ODT_BYTES, "essay.odt", ODT, ODT),
        (b"# Notes\n\nFit-up took 10 minutes.\n", "notes.md", "text/markdown", TEXT),
    ],
)
def test_evidence_store_accepts_each_type_by_its_content(
    store: EvidenceStore, data: bytes, filename: str, declared: str, media_type: str
) -> None:
    stored = store.save(data, filename=filename, declared_type=declared)

    assert stored.media_type == media_type
    assert stored.filename == filename


@pytest.mark.parametrize(
    ("data", "filename", "media_type", "stored_name"),
    [
        (PDF_BYTES, "report.pdf", PDF, "report.pdf"),  # type from the name
        (PDF_BYTES, "report", PDF, "report.pdf"),  # type from the content; extension added
        (PNG_BYTES, "scan v1.2 final", PNG, "scan v1.2 final.png"),
        (b"just words", "readme.bat", TEXT, "readme.bat.txt"),  # never offered for download as .bat
    ],
)
def test_evidence_store_unspecified_type_comes_from_name_or_content(
    store: EvidenceStore, data: bytes, filename: str, media_type: str, stored_name: str
) -> None:
    stored = store.save(data, filename=filename, declared_type="application/octet-stream")

    assert (stored.media_type, stored.filename) == (media_type, stored_name)


@pytest.mark.parametrize(
    ("data", "filename", "declared", "message"),
    [
        (
            PNG_BYTES,
            "photo.jpg",
            "image/png",
            r"sent as image/png, but its name ends in \.jpg \(JPEG image\)",
        ),
        (
            b"PK\x03\x04" + b"\x00" * 40,
            "archive.zip",
            "application/zip",
            "not accepted. Accepted: PDF document",
        ),
        (DOCX_BYTES, "essay", DOCX, r"must be named \*\.docx"),
        (DOCX_BYTES, "essay.pdf", "application/octet-stream", "its content is of no type we recognise"),
        (DOCX_BYTES, "essay.odt", ODT, "should be OpenDocument text"),  # a zip, but no ODF mimetype entry
        (
            b"\x00\x00\x00\x18ftypheic" + b"\x00" * 50,
            "photo.mp4",
            "video/mp4",
            "should be MP4 video, but its content is of no type",
        ),
        (bytes(range(256)), "data.bin", "application/octet-stream", "cannot tell what kind of file"),
    ],
)
def test_evidence_store_refuses_mismatched_or_unknown_types(
    store: EvidenceStore, data: bytes, filename: str, declared: str, message: str
) -> None:
    with pytest.raises(InvalidUploadError, match=message):
        store.save(data, filename=filename, declared_type=declared)

    assert _files(store) == []


def test_evidence_store_respects_a_narrower_list_of_types(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, EvidenceLimits(accepted_types=frozenset({PDF})))

    with pytest.raises(
        InvalidUploadError, match=r"PNG image, which is not accepted. Accepted: PDF document \(\.pdf\)$"
    ):
        store.save(PNG_BYTES, filename="photo.png", declared_type="image/png")


def test_evidence_limits_refuse_a_type_without_a_content_check() -> None:
    with pytest.raises(ValueError, match="no content check for image/heic"):
        EvidenceLimits(accepted_types=frozenset({PDF, "image/heic"}))


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\fakepath\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("evil\u202efdp.exe", "evilfdp.exe"),  # right-to-left override removed
        ("tab\there\nnew.txt", "tabherenew.txt"),
        ("  .hidden.txt ", "hidden.txt"),
        ("name. . .", "name"),
        ("", "evidence"),
        ("..", "evidence"),
        ("\x00\x01", "evidence"),
        ("non\u00a0breaking.txt", "non breaking.txt"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_evidence_safe_filename(raw: str, safe: str) -> None:
    assert safe_filename(raw) == safe


def test_evidence_limits_submission_totals() -> None:
    limits = EvidenceLimits(max_file_bytes=100, max_files_per_submission=3, max_submission_bytes=250)

    limits.check_submission_totals([100, 100], 50)
    with pytest.raises(UploadTooLargeError, match="would total 251 bytes"):
        limits.check_submission_totals([100, 100], 51)
    with pytest.raises(UploadTooLargeError, match="at most 3 files; this one has 3 already"):
        limits.check_submission_totals([1, 1, 1], 1)
    assert limits.remaining_submission_bytes([]) == 100
    assert limits.remaining_submission_bytes([100, 100]) == 50
    with pytest.raises(UploadTooLargeError, match="this one is full"):
        limits.remaining_submission_bytes([150, 100])


def test_evidence_sniff_says_what_the_content_is() -> None:
    with pytest.raises(
        InvalidUploadError, match=r"'x\.png' should be PNG image, but its content is plain text"
    ):
        sniff_media_type(b"hello", "image/png", "x.png")


@settings(max_examples=200, deadline=None)
@given(data=st.one_of(st.binary(min_size=1, max_size=600), st.binary(max_size=600).map(PNG_MAGIC.__add__)))
def test_evidence_random_bytes_declared_png_accepted_only_with_png_magic(
    data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    store = EvidenceStore(tmp_path_factory.mktemp("png"), EvidenceLimits())

    if data.startswith(PNG_MAGIC):
        assert store.save(data, filename="x.png", declared_type="image/png").media_type == PNG
    else:
        with pytest.raises(InvalidUploadError):
            store.save(data, filename="x.png", declared_type="image/png")
        assert _files(store) == []
