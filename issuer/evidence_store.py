"""Where evidence files live: checked by content, stored under random keys, read back by key (pure, sync).

A file is accepted only when its bytes are what its declared type and its name say (magic numbers),
and never when a browser could run it (HTML, SVG, XML, JavaScript: stored XSS). Each upload gets its own
random key, so identical files of two learners are two files and erasing one learner's evidence never
touches another's. Files are written to a temporary file and renamed into place: a failed or oversized
upload leaves nothing behind.

The web layer should still serve stored files with ``X-Content-Type-Options: nosniff`` and
``Content-Disposition: attachment`` (RFC 6266 ``filename*``), as defence in depth.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import io
import os
import re
import struct
import tempfile
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from issuer.errors import InvalidUploadError, NotFoundError, UploadTooLargeError

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence

    from _typeshed import SupportsRead

MIB = 1024 * 1024
CHUNK_BYTES = 64 * 1024
# Enough for every signature below (the ODF mimetype entry ends at byte 77) and for the markup check.
SNIFF_BYTES = 4096
MAX_FILENAME_CHARS = 200
FALLBACK_FILENAME = "evidence"

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
TEXT = "text/plain"
MP4 = "video/mp4"
MP3 = "audio/mpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"

DEFAULT_ACCEPTED_TYPES: frozenset[str] = frozenset(
    {PDF, PNG, JPEG, GIF, WEBP, TEXT, MP4, MP3, DOCX, PPTX, XLSX, ODT}
)

# Per type: a label for messages and the file name extensions that mean it (the first is canonical).
_LABELS: dict[str, str] = {
    PDF: "PDF document",
    PNG: "PNG image",
    JPEG: "JPEG image",
    GIF: "GIF image",
    WEBP: "WebP image",
    TEXT: "plain text (UTF-8)",
    MP4: "MP4 video",
    MP3: "MP3 audio",
    DOCX: "Word document (.docx)",
    PPTX: "PowerPoint presentation (.pptx)",
    XLSX: "Excel workbook (.xlsx)",
    ODT: "OpenDocument text (.odt)",
}
_EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"),
    GIF: (".gif",),
    WEBP: (".webp",),
    TEXT: (".txt", ".text", ".md", ".log"),
    MP4: (".mp4", ".m4v"),
    MP3: (".mp3",),
    DOCX: (".docx",),
    PPTX: (".pptx",),
    XLSX: (".xlsx",),
    ODT: (".odt",),
}
_TYPE_BY_EXTENSION: dict[str, str] = {ext: kind for kind, exts in _EXTENSIONS.items() for ext in exts}
# What browsers and OSes send for the same thing.
_ALIASES: dict[str, str] = {
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "image/x-png": PNG,
    "audio/mp3": MP3,
    "audio/x-mp3": MP3,
    "audio/mpeg3": MP3,
    "text/markdown": TEXT,
    "text/x-markdown": TEXT,
}
# "I don't know": the type is then taken from the name, or failing that from the content.
_UNSPECIFIED = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
# A browser would run these if they were ever served inline: never stored, whatever the content.
_ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "application/xml",
        "text/xml",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/javascript",
        "text/ecmascript",
        "application/x-httpd-php",
    }
)
_ACTIVE_EXTENSIONS = frozenset(
    {".html", ".htm", ".xhtml", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt", ".js", ".mjs", ".hta"}
)
_ZIP_BASED = frozenset({DOCX, PPTX, XLSX, ODT})
# ISO BMFF major brands of still images (HEIF/AVIF), which share MP4's "ftyp" box.
_IMAGE_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"}
)
# WHATWG MIME Sniffing §7.1 "rules for identifying an unknown MIME type": the markup a browser would
# render as HTML/XML, each followed by a space or ">" (https://mimesniff.spec.whatwg.org/#rules-for-identifying-an-unknown-mime-type).
_MARKUP = re.compile(
    r"<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--|\?xml|svg)[\s>/]",
    re.IGNORECASE,
)
_EXTENSION = re.compile(r"\.[a-z0-9]{1,8}")
_STORAGE_KEY = re.compile(r"([0-9a-f]{2})/(\1[0-9a-f]{30})")


# Why hand-written: the well-kept sniffers (python-magic, puremagic, filetype) either need libmagic or
# recognise hundreds of formats we do not want, and none checks OOXML/ODF by name or text by encoding.
# Our list is short and each signature below is the one its format's specification fixes.
def _zip(head: bytes, ext: str, kind: str) -> bool:
    # PKWARE APPNOTE §4.3.7: a local file header starts the archive. OOXML packages carry no fixed
    # first entry, so the extension decides which of them it is (as Office itself does).
    return head.startswith(b"PK\x03\x04") and ext in _EXTENSIONS[kind]


def _odf(head: bytes, ext: str) -> bool:
    # ODF 1.2 Part 3 §3.3: the first entry is "mimetype", stored uncompressed, holding the media type.
    if not _zip(head, ext, ODT) or len(head) < 30:
        return False
    name_length, extra_length = struct.unpack_from("<HH", head, 26)
    start = 30 + name_length + extra_length
    return head[30 : 30 + name_length] == b"mimetype" and head[start:].startswith(ODT.encode("ascii"))


def _mp3(head: bytes) -> bool:
    if head.startswith(b"ID3"):  # ID3v2 tag (id3.org, ID3v2.4 §3.1)
        return True
    # An MPEG audio frame header (ISO/IEC 11172-3 §2.4.2.3): 11 sync bits, a version that is not the
    # reserved 01, layer III (01: what MP3 is), a bitrate index that is neither free (0000) nor bad (1111)
    # and a sampling rate that is not the reserved 11. Laxer checks take a UTF-16 BOM (FF FE) for audio.
    return (
        len(head) >= 3
        and head[0] == 0xFF
        and head[1] & 0xE0 == 0xE0
        and (head[1] >> 3) & 3 != 1
        and (head[1] >> 1) & 3 == 1
        and head[2] >> 4 not in (0, 15)
        and (head[2] >> 2) & 3 != 3
    )


def _text(head: bytes) -> bool:
    # Only the head is seen here; a multi-byte character cut at its end is not an error (final=False).
    # EvidenceStore.save decodes the whole file.
    try:
        decoded = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return "\x00" not in decoded


_SIGNATURES: dict[str, Callable[[bytes, str], bool]] = {
    PDF: lambda head, _: head.startswith(b"%PDF-"),
    PNG: lambda head, _: head.startswith(b"\x89PNG\r\n\x1a\n"),
    JPEG: lambda head, _: head.startswith(b"\xff\xd8\xff"),
    GIF: lambda head, _: head.startswith((b"GIF87a", b"GIF89a")),
    WEBP: lambda head, _: head.startswith(b"RIFF") and head[8:12] == b"WEBP",
    MP4: lambda head, _: head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS,
    MP3: lambda head, _: _mp3(head),
    DOCX: lambda head, ext: _zip(head, ext, DOCX),
    PPTX: lambda head, ext: _zip(head, ext, PPTX),
    XLSX: lambda head, ext: _zip(head, ext, XLSX),
    ODT: _odf,
    TEXT: lambda head, _: _text(head),  # last: binary signatures win
}


@dataclass(frozen=True)
class EvidenceLimits:
    """How much evidence one file and one submission may hold, and of which types.

    Attributes:
        max_file_bytes: Largest single file (10 MiB).
        max_files_per_submission: Most files in one submission (10).
        max_submission_bytes: Largest total of one submission's files (50 MiB).
        accepted_types: Media types accepted; each must be one this module can check by content.
    """

    max_file_bytes: int = 10 * MIB
    max_files_per_submission: int = 10
    max_submission_bytes: int = 50 * MIB
    accepted_types: frozenset[str] = field(default=DEFAULT_ACCEPTED_TYPES)

    def __post_init__(self) -> None:
        # A configuration mistake, found at start-up, not a user's bad input.
        unknown = sorted(set(self.accepted_types) - set(_SIGNATURES))
        if unknown:
            msg = f"no content check for {', '.join(unknown)}; known types: {', '.join(sorted(_SIGNATURES))}"
            raise ValueError(msg)
        if min(self.max_file_bytes, self.max_files_per_submission, self.max_submission_bytes) < 1:
            msg = "evidence limits must be positive"
            raise ValueError(msg)

    def check_submission_totals(self, existing_sizes: Sequence[int], new_size: int) -> None:
        """Refuse one more file of ``new_size`` bytes in a submission already holding ``existing_sizes``.

        Raises:
            UploadTooLargeError: the file count or the total size would go over the limit.
        """
        if len(existing_sizes) + 1 > self.max_files_per_submission:
            raise UploadTooLargeError(
                f"a submission holds at most {self.max_files_per_submission} files; "
                f"this one has {len(existing_sizes)} already"
            )
        total = sum(existing_sizes) + new_size
        if total > self.max_submission_bytes:
            raise UploadTooLargeError(
                f"the files of one submission may total {_size(self.max_submission_bytes)}; "
                f"with this file they would total {_size(total)}"
            )

    def remaining_submission_bytes(self, existing_sizes: Sequence[int]) -> int:
        """How large the next file of a submission holding ``existing_sizes`` may be (for ``save(max_bytes=)``).

        Raises:
            UploadTooLargeError: the submission is full (file count or total size).
        """
        self.check_submission_totals(existing_sizes, 0)
        room = self.max_submission_bytes - sum(existing_sizes)
        if room < 1:
            raise UploadTooLargeError(
                f"the files of one submission may total {_size(self.max_submission_bytes)}; this one is full"
            )
        return min(room, self.max_file_bytes)


@dataclass(frozen=True)
class StoredFile:
    """One stored evidence file.

    Attributes:
        storage_key: ``<2 hex>/<32 hex>``, relative to the store's root; random, never derived from content.
        sha256: Hex SHA-256 of the bytes, to record and to check with :meth:`EvidenceStore.verify`.
        size: Bytes.
        media_type: The type its content was checked against.
        filename: The uploader's name, made safe (:func:`safe_filename`) and ending in an extension of
            ``media_type``, so a downloaded copy opens in the right program.
    """

    storage_key: str
    sha256: str
    size: int
    media_type: str
    filename: str


def safe_filename(filename: str) -> str:
    """The uploader's file name reduced to something safe to show and to offer as a download name.

    Keeps the last path component (browsers may send ``C:\\fakepath\\x.pdf``), drops control and
    format characters (a right-to-left override can disguise ``exe.pdf``), leading dots and trailing
    dots and spaces; at most 200 characters, keeping the extension; never empty.
    """
    name = unicodedata.normalize("NFC", filename)
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if unicodedata.category(char).startswith("Z") else char
        for char in name
        if not unicodedata.category(char).startswith("C")
    )
    name = name.strip().lstrip(".").rstrip(". ")
    if not name:
        return FALLBACK_FILENAME
    if len(name) > MAX_FILENAME_CHARS:
        ext = _extension(name)
        name = name[: MAX_FILENAME_CHARS - len(ext)].rstrip(". ") + ext
    return name


def sniff_media_type(
    head: bytes, declared: str, filename: str, *, accepted: Collection[str] = DEFAULT_ACCEPTED_TYPES
) -> str:
    """The media type of a file, checked against its first bytes, its declared type and its name.

    The type claimed by ``declared`` (or, when that says nothing, by the name's extension; failing both,
    by the content) must be accepted and must match the content's magic bytes. text/plain must be UTF-8
    without NUL and must not start like HTML/XML. OOXML and ODF files need their extension.

    Args:
        head: The first bytes of the file (at least :data:`SNIFF_BYTES` when the file is that long).
        declared: The Content-Type the client sent (parameters are ignored); may be empty.
        filename: The client's file name.
        accepted: Media types accepted.

    Returns:
        The canonical media type (aliases such as image/jpg resolved).

    Raises:
        InvalidUploadError: naming the file: empty, HTML/SVG/JS, a type not accepted (listing those
            accepted), or content that is not its declared or extension type.
    """
    name = safe_filename(filename)
    ext = _extension(name)
    declared_type = declared.split(";", 1)[0].strip().lower()
    if declared_type in _ACTIVE_TYPES or declared_type.endswith("+xml") or ext in _ACTIVE_EXTENSIONS:
        raise InvalidUploadError(
            f"'{name}': HTML, SVG, XML and JavaScript files are never accepted as evidence, because a "
            f"browser would run them; save it as PDF instead. Accepted: {_accepted_list(accepted)}"
        )
    if not head:
        raise InvalidUploadError(f"'{name}' is empty")
    by_name = _TYPE_BY_EXTENSION.get(ext)
    by_declaration = None if declared_type in _UNSPECIFIED else _ALIASES.get(declared_type, declared_type)
    if by_declaration is not None and by_name is not None and by_declaration != by_name:
        raise InvalidUploadError(
            f"'{name}' was sent as {declared_type}, but its name ends in {ext} ({_LABELS[by_name]})"
        )
    claimed = by_declaration or by_name or _detect(head, ext)
    if claimed is None:
        raise InvalidUploadError(
            f"cannot tell what kind of file '{name}' is: its name and type say nothing and its content is "
            f"not a recognised type. Accepted: {_accepted_list(accepted)}"
        )
    if claimed not in accepted:
        raise InvalidUploadError(
            f"'{name}' is {_LABELS.get(claimed, claimed)}, which is not accepted. "
            f"Accepted: {_accepted_list(accepted)}"
        )
    if claimed in _ZIP_BASED and ext not in _EXTENSIONS[claimed]:
        raise InvalidUploadError(
            f"'{name}' must be named *{_EXTENSIONS[claimed][0]} to be accepted as {_LABELS[claimed]}"
        )
    if not _SIGNATURES[claimed](head, ext):
        found = _detect(head, ext)
        if claimed == TEXT and found is None:
            raise InvalidUploadError(
                f"'{name}' is not plain UTF-8 text (it has bytes that are not UTF-8, or NUL characters): "
                "save it as UTF-8, or as PDF, and upload it again"
            )
        what = _LABELS[found] if found else "of no type we recognise"
        raise InvalidUploadError(
            f"'{name}' should be {_LABELS[claimed]}, but its content is {what}: "
            "the file may be damaged or renamed"
        )
    if claimed == TEXT and _looks_like_markup(head):
        raise InvalidUploadError(
            f"'{name}' starts like an HTML or XML page, which is never accepted as evidence because a "
            "browser would run it; save it as PDF instead"
        )
    return claimed


class EvidenceStore:
    """Evidence files under one root directory: ``<root>/<2 hex>/<32 hex>``, files 0600, directories 0700."""

    def __init__(self, root: Path, limits: EvidenceLimits | None = None) -> None:
        self.root = root
        self.limits = limits or EvidenceLimits()

    def save(
        self,
        source: SupportsRead[bytes] | bytes,
        *,
        filename: str,
        declared_type: str,
        max_bytes: int | None = None,
    ) -> StoredFile:
        """Stream ``source`` into the store in 64 KiB chunks, checking its size and type as it goes.

        Args:
            source: The bytes, or a binary file-like object read to its end.
            filename: The uploader's file name (made safe; see :func:`safe_filename`).
            declared_type: The Content-Type the uploader sent.
            max_bytes: A lower cap than ``max_file_bytes`` for this file, e.g. the room left in the
                submission (:meth:`EvidenceLimits.remaining_submission_bytes`).

        Returns:
            Where the file is and what it is.

        Raises:
            UploadTooLargeError: more bytes than the limit; reading stops there and nothing is kept.
            InvalidUploadError: see :func:`sniff_media_type`; also text that is not UTF-8 throughout.
        """
        reader: SupportsRead[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
        name = safe_filename(filename)
        limit = (
            self.limits.max_file_bytes if max_bytes is None else min(max_bytes, self.limits.max_file_bytes)
        )
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary_name = tempfile.mkstemp(prefix=".upload-", dir=self.root)  # mode 0600
        temporary = Path(temporary_name)
        kept = False
        try:
            with os.fdopen(descriptor, "wb") as out:
                digest, size, media_type = self._copy(
                    reader, out, name=name, declared_type=declared_type, limit=limit
                )
                out.flush()
                os.fsync(out.fileno())
            # uuid4: 122 random bits, so a collision (which os.replace would let overwrite) is not a risk.
            key = uuid.uuid4().hex
            shard = self.root / key[:2]
            shard.mkdir(mode=0o700, exist_ok=True)
            temporary.replace(shard / key)
            kept = True
        finally:
            if not kept:
                temporary.unlink()
        return StoredFile(
            storage_key=f"{key[:2]}/{key}",
            sha256=digest,
            size=size,
            media_type=media_type,
            filename=_with_extension(name, media_type),
        )

    def open(self, storage_key: str) -> BinaryIO:
        """The stored file, opened for binary reading (the caller closes it).

        Raises:
            InvalidUploadError: ``storage_key`` is not a key this store makes (e.g. ``../x``).
            NotFoundError: no such file.
        """
        path = self._path(storage_key)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise NotFoundError(f"no evidence file {storage_key!r}") from None

    def read_bytes(self, storage_key: str) -> bytes:
        """The whole stored file. Raises like :meth:`open`."""
        with self.open(storage_key) as file:
            return file.read()

    def verify(self, storage_key: str, sha256: str) -> bool:
        """Whether the stored bytes still hash to ``sha256`` (hex). Raises like :meth:`open`."""
        digest = hashlib.sha256()
        with self.open(storage_key) as file:
            while chunk := file.read(CHUNK_BYTES):
                digest.update(chunk)
        return hmac.compare_digest(digest.hexdigest(), sha256.lower())

    def delete(self, storage_key: str) -> None:
        """Remove a stored file; a file already gone is fine (deletion is retried after crashes).

        The shard directory is left in place: removing it could race with a save into it.

        Raises:
            InvalidUploadError: ``storage_key`` is not a key this store makes.
        """
        self._path(storage_key).unlink(missing_ok=True)

    def _path(self, storage_key: str) -> Path:
        # Keys come from our database, but a strict shape check makes path traversal impossible even
        # if one were ever taken from a request: no "..", no "/", no absolute path, no symlink name.
        if _STORAGE_KEY.fullmatch(storage_key) is None:
            raise InvalidUploadError(f"{storage_key[:80]!r} is not an evidence storage key")
        return self.root / storage_key

    def _copy(
        self, reader: SupportsRead[bytes], out: BinaryIO, *, name: str, declared_type: str, limit: int
    ) -> tuple[str, int, str]:
        digest = hashlib.sha256()
        size = 0
        pending = b""  # everything read before the type is known (at most SNIFF_BYTES + one chunk)
        media_type: str | None = None
        utf8 = codecs.getincrementaldecoder("utf-8")()
        while chunk := reader.read(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise UploadTooLargeError(f"'{name}' is larger than {_size(limit)}, the most allowed here")
            digest.update(chunk)
            out.write(chunk)
            if media_type is None:
                pending += chunk
                if len(pending) < SNIFF_BYTES:
                    continue
                media_type = self._sniff(pending[:SNIFF_BYTES], declared_type, name)
                chunk, pending = pending, b""
            if media_type == TEXT:
                _check_text(utf8, chunk, name=name)
        if media_type is None:  # the whole file is shorter than SNIFF_BYTES
            media_type = self._sniff(pending, declared_type, name)
            if media_type == TEXT:
                _check_text(utf8, pending, name=name)
        if media_type == TEXT:
            _check_text(utf8, b"", name=name, final=True)
        return digest.hexdigest(), size, media_type

    def _sniff(self, head: bytes, declared_type: str, name: str) -> str:
        return sniff_media_type(head, declared_type, name, accepted=self.limits.accepted_types)


def _check_text(decoder: codecs.IncrementalDecoder, chunk: bytes, *, name: str, final: bool = False) -> None:
    try:
        text = decoder.decode(chunk, final=final)
    except UnicodeDecodeError:
        raise InvalidUploadError(
            f"'{name}' is not plain UTF-8 text (it has bytes that are not UTF-8): "
            "save it as UTF-8, or as PDF, and upload it again"
        ) from None
    if "\x00" in text:
        raise InvalidUploadError(f"'{name}' contains NUL characters, so it is not plain text")


def _detect(head: bytes, ext: str) -> str | None:
    return next((kind for kind, matches in _SIGNATURES.items() if matches(head, ext)), None)


def _looks_like_markup(head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n\f")
    return _MARKUP.match(text) is not None


def _extension(name: str) -> str:
    """``.pdf`` for ``Report.PDF``; "" when there is none or it is not extension-like (``v1.2 final``)."""
    dot = name.rfind(".")
    if dot <= 0:
        return ""
    ext = name[dot:].lower()
    return ext if _EXTENSION.fullmatch(ext) else ""


def _with_extension(name: str, media_type: str) -> str:
    """``name`` ending in an extension of ``media_type``: a download never opens in the wrong program."""
    if _extension(name) in _EXTENSIONS[media_type]:
        return name
    ext = _EXTENSIONS[media_type][0]
    return name[: MAX_FILENAME_CHARS - len(ext)].rstrip(". ") + ext


def accepted_kinds(accepted: Collection[str]) -> list[tuple[str, str]]:
    """(label, canonical extension) of each accepted type, for forms that say what they take."""
    return [(_LABELS[kind], _EXTENSIONS[kind][0]) for kind in _LABELS if kind in accepted]


def _accepted_list(accepted: Collection[str]) -> str:
    kinds = [kind for kind in _LABELS if kind in accepted]
    return ", ".join(f"{_LABELS[kind]} ({_EXTENSIONS[kind][0]})" for kind in kinds)


def _size(count: int) -> str:
    return f"{count / MIB:g} MiB" if count >= MIB else f"{count:,} bytes"
