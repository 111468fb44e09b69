"""Verification bundles: a check and everything it fetched, in one zip, to re-run offline later.

``badges verify --bundle OUT.zip`` writes the inputs, every DID document, key document and status list
the verifier fetched (the exact bytes, keyed by the URL asked), the moment the check used and the verdicts
it reached. ``badges verify BUNDLE.zip --offline`` reads it back and verifies again through
:func:`bundle_fetcher`, at :attr:`Bundle.checked_at`, with no network: the same documents at the same
moment give the same answer.

Layout (``FORMAT``)::

    bundle.json                 {"format", "checkedAt", "inputs": [...], "documents": [...]}
    documents/<sha256(url)>.bin the document fetched from url, byte for byte
    inputs/<index>-<safe name>  each input, byte for byte

A bundle comes from someone else, so reading is strict: it is never extracted to disk, entry names that
could escape a directory are refused, the number of entries and the declared and actual sizes are capped
(zip bombs), every entry must be referenced by ``bundle.json`` and match its SHA-256. The hashes catch
damaged or partly edited bundles; they are not a signature, and do not prove who made the bundle.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from verifier.errors import MalformedCredentialError, RetrievalError
from verifier.parsing import no_duplicate_members

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "FORMAT",
    "MAX_ENTRIES",
    "MAX_ENTRY_BYTES",
    "MAX_TOTAL_BYTES",
    "Bundle",
    "BundleFetcher",
    "BundleInput",
    "bundle_fetcher",
    "is_bundle",
    "read_bundle",
    "write_bundle",
]

#: The ``format`` of ``bundle.json``; any other value is refused.
FORMAT = "mastery-badges-verification-bundle/1"
#: Most entries a bundle may hold (``bundle.json`` included).
MAX_ENTRIES = 1_000
#: Largest uncompressed entry.
MAX_ENTRY_BYTES = 8 * 1024 * 1024
#: Largest uncompressed total of all entries.
MAX_TOTAL_BYTES = 64 * 1024 * 1024
# Room for local headers and the central directory of MAX_ENTRIES entries, on top of the data.
_MAX_ARCHIVE_BYTES = MAX_TOTAL_BYTES + 4 * 1024 * 1024

_MANIFEST = "bundle.json"
_VERDICTS = frozenset({"valid", "invalid", "indeterminate"})
# The earliest time a zip header can hold: fixed, so the same bundle gives the same bytes.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_UNIX = 3  # ZipInfo.create_system: fixed, or Windows and Unix writers would differ
_SHA256 = re.compile(r"[0-9a-f]{64}")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_CHUNK = 64 * 1024
# What zipfile and zlib raise on a damaged, unsupported or hostile archive.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,
    OSError,
    struct.error,
)


@dataclass(frozen=True)
class BundleInput:
    """One input of the original check: its name (a path, or ``-``) and its exact bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Bundle:
    """A verification, frozen: what was checked, when, what was fetched for it, and the verdicts.

    Attributes:
        checked_at: the moment the original check used (timezone-aware); re-verify at this moment.
        inputs: the inputs, in the order they were checked; names are unique.
        documents: URL -> the exact bytes fetched from it (a :class:`RecordingFetcher`'s ``fetched``).
        verdicts: input name -> "valid", "invalid" or "indeterminate", one for every input.

    Raises:
        MalformedCredentialError: a naive ``checked_at``, an empty or repeated input name, a verdict
            missing, unknown or for no input, or a document URL that is not a non-empty string.
    """

    checked_at: datetime
    inputs: tuple[BundleInput, ...]
    documents: Mapping[str, bytes]
    verdicts: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Frozen in fact, not just in name: copies the caller cannot change afterwards.
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "documents", MappingProxyType(dict(self.documents)))
        object.__setattr__(self, "verdicts", MappingProxyType(dict(self.verdicts)))
        if self.checked_at.tzinfo is None or self.checked_at.utcoffset() is None:
            raise MalformedCredentialError("verification bundle: checked_at needs a time zone")
        names = [item.name for item in self.inputs]
        for name in names:
            if not isinstance(name, str) or not name:
                raise MalformedCredentialError("verification bundle: an input has an empty name")
            if names.count(name) > 1:
                raise MalformedCredentialError(f"verification bundle: input name {name!r} appears twice")
        for url in self.documents:
            if not isinstance(url, str) or not url:
                raise MalformedCredentialError("verification bundle: a document URL is empty")
        missing = [name for name in names if name not in self.verdicts]
        if missing:
            raise MalformedCredentialError(f"verification bundle: no verdict for input {missing[0]!r}")
        for name, verdict in self.verdicts.items():
            if name not in names:
                raise MalformedCredentialError(f"verification bundle: a verdict for {name!r}, not an input")
            if verdict not in _VERDICTS:
                raise MalformedCredentialError(
                    f"verification bundle: verdict {verdict!r} of {name!r} is not one of {sorted(_VERDICTS)}"
                )


# --------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _document_file(url: str) -> str:
    return f"documents/{_sha256(url.encode('utf-8'))}.bin"


def _input_file(index: int, name: str) -> str:
    """``inputs/<index>-<safe name>``: the last path segment, reduced to ``[A-Za-z0-9._-]``."""
    base = name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    safe = _UNSAFE_CHARS.sub("_", base)[:100] or "input"
    return f"inputs/{index}-{safe}"


def _check_sizes(entries: Mapping[str, bytes]) -> None:
    """Refuse to write a bundle that :func:`read_bundle` would refuse to read."""
    if len(entries) > MAX_ENTRIES:
        raise MalformedCredentialError(
            f"verification bundle: {len(entries):,} entries; the limit is {MAX_ENTRIES:,}"
        )
    for name, data in entries.items():
        if len(data) > MAX_ENTRY_BYTES:
            raise MalformedCredentialError(
                f"verification bundle: {name} is {len(data):,} bytes; the limit is {MAX_ENTRY_BYTES:,}"
            )
    total = sum(len(data) for data in entries.values())
    if total > MAX_TOTAL_BYTES:
        raise MalformedCredentialError(
            f"verification bundle: {total:,} bytes in all; the limit is {MAX_TOTAL_BYTES:,}"
        )


def _encode(bundle: Bundle) -> bytes:
    """The zip bytes of ``bundle``: sorted entries, fixed timestamps and attributes (deterministic)."""
    entries: dict[str, bytes] = {}
    manifest_inputs = []
    for index, item in enumerate(bundle.inputs):
        name = _input_file(index, item.name)
        entries[name] = item.data
        manifest_inputs.append(
            {
                "name": item.name,
                "file": name,
                "sha256": _sha256(item.data),
                "verdict": bundle.verdicts[item.name],
            }
        )
    manifest_documents = []
    for url in sorted(bundle.documents):
        name = _document_file(url)
        entries[name] = bundle.documents[url]
        manifest_documents.append({"url": url, "file": name, "sha256": _sha256(bundle.documents[url])})
    manifest = {
        "format": FORMAT,
        "checkedAt": bundle.checked_at.isoformat(),
        "inputs": manifest_inputs,
        "documents": manifest_documents,
    }
    entries[_MANIFEST] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    _check_sizes(entries)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.create_system = _UNIX
            info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, entries[name], compresslevel=6)
    return buffer.getvalue()


def write_bundle(path: Path, bundle: Bundle) -> None:
    """Write ``bundle`` to ``path`` as a zip, atomically (a temporary file, then ``os.replace``).

    The same bundle always gives the same bytes: entries are sorted, timestamps and attributes fixed.

    Args:
        path: the zip to write; replaced if it exists.
        bundle: what to write.

    Raises:
        MalformedCredentialError: the bundle is over the caps :func:`read_bundle` enforces.
        OSError: the file cannot be written (nothing is left behind at ``path`` then).
    """
    data = _encode(bundle)
    target = Path(path)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temp.chmod(0o644)  # mkstemp makes it 0600; a bundle is meant to be handed on
        temp.replace(target)  # os.replace: atomic on POSIX and Windows
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


def is_bundle(data: bytes) -> bool:
    """Whether ``data`` looks like a verification bundle: a zip archive holding ``bundle.json``.

    Only the zip directory is read; :func:`read_bundle` does the real checks.
    """
    if not data.startswith(b"PK\x03\x04") or len(data) > _MAX_ARCHIVE_BYTES:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _MANIFEST in archive.namelist()
    except _ZIP_ERRORS:
        return False


def _refuse(label: str, problem: str) -> MalformedCredentialError:
    return MalformedCredentialError(f"{label}: {problem}")


def _check_entry_name(label: str, name: str) -> None:
    """Refuse names that would escape a directory if extracted: absolute, drive, ``..``, backslash."""
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or re.match(r"[A-Za-z]:", name)
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise _refuse(label, f"unsafe entry name {name[:200]!r} (absolute, '..', or not a plain path)")


def _read_entry(label: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """Read one entry into memory, never more than its declared size, the entry cap or ``budget``."""
    limit = min(info.file_size, MAX_ENTRY_BYTES, budget)
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _refuse(
                        label, f"{info.filename} holds more than its declared {info.file_size:,} bytes"
                    )
                chunks.append(chunk)
    except _ZIP_ERRORS as err:
        raise _refuse(label, f"{info.filename} is corrupt ({err})") from err
    if size != info.file_size:
        raise _refuse(label, f"{info.filename} holds {size:,} bytes, not the declared {info.file_size:,}")
    return b"".join(chunks)


def _object(label: str, value: Any, where: str, keys: Iterable[str]) -> dict[str, Any]:
    """``value`` as an object with exactly ``keys``, all of them strings."""
    expected = set(keys)
    if not isinstance(value, dict):
        raise _refuse(label, f"bundle.json: {where} is not an object")
    if set(value) != expected:
        extra = sorted(set(value) - expected)
        missing = sorted(expected - set(value))
        problem = f"unknown key {extra[0]!r}" if extra else f"missing key {missing[0]!r}"
        raise _refuse(label, f"bundle.json: {where}: {problem}")
    for key in expected:
        if not isinstance(value[key], str) or not value[key]:
            raise _refuse(label, f"bundle.json: {where}.{key} is not a non-empty string")
    if "sha256" in expected and not _SHA256.fullmatch(value["sha256"]):
        raise _refuse(label, f"bundle.json: {where}.sha256 is not 64 lowercase hex digits")
    return value


def _parse_manifest(label: str, raw: bytes) -> dict[str, Any]:
    try:
        manifest = json.loads(raw.decode("utf-8"), object_pairs_hook=no_duplicate_members)
    except UnicodeDecodeError as err:
        raise _refuse(label, "bundle.json is not UTF-8") from err
    except MalformedCredentialError as err:  # a repeated key
        raise _refuse(label, f"bundle.json: {err}") from err
    except (json.JSONDecodeError, RecursionError) as err:
        raise _refuse(label, f"bundle.json is not valid JSON ({err})") from err
    if not isinstance(manifest, dict):
        raise _refuse(label, "bundle.json is not a JSON object")
    if manifest.get("format") != FORMAT:
        raise _refuse(
            label, f"unknown bundle format {manifest.get('format')!r} (this verifier reads {FORMAT!r})"
        )
    top = _object(
        label,
        {k: v for k, v in manifest.items() if k not in ("inputs", "documents")},
        "the top level",
        ("format", "checkedAt"),
    )
    for key in ("inputs", "documents"):
        if not isinstance(manifest.get(key), list):
            raise _refuse(label, f"bundle.json: {key} is not a list")
    return {**top, "inputs": manifest["inputs"], "documents": manifest["documents"]}


def _checked_at(label: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise _refuse(label, f"bundle.json: checkedAt {text!r} is not an ISO 8601 date-time") from err
    if moment.tzinfo is None:
        raise _refuse(label, f"bundle.json: checkedAt {text!r} has no time zone")
    return moment


def _load(label: str, source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        data = source
    else:
        try:
            with Path(source).open("rb") as stream:
                data = stream.read(_MAX_ARCHIVE_BYTES + 1)
        except OSError as err:
            raise _refuse(label, f"cannot read it ({err.strerror or err})") from err
    if len(data) > _MAX_ARCHIVE_BYTES:
        raise _refuse(label, f"the file is over {_MAX_ARCHIVE_BYTES:,} bytes")
    return data


def _directory(label: str, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The entries by name, after every check that needs only the zip directory."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise _refuse(label, f"{len(infos):,} entries; the limit is {MAX_ENTRIES:,}")
    entries: dict[str, zipfile.ZipInfo] = {}
    declared_total = 0
    for info in infos:
        _check_entry_name(label, info.filename)
        if info.filename in entries:
            raise _refuse(label, f"entry {info.filename} appears twice")
        if info.flag_bits & 0x1:
            raise _refuse(label, f"{info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(label, f"{info.filename} uses compression method {info.compress_type}")
        if info.file_size > MAX_ENTRY_BYTES:
            raise _refuse(
                label,
                f"{info.filename} declares {info.file_size:,} bytes; the limit is {MAX_ENTRY_BYTES:,}",
            )
        declared_total += info.file_size
        entries[info.filename] = info
    if declared_total > MAX_TOTAL_BYTES:
        raise _refuse(
            label, f"entries declare {declared_total:,} bytes in all; the limit is {MAX_TOTAL_BYTES:,}"
        )
    if _MANIFEST not in entries:
        raise _refuse(label, "no bundle.json: not a verification bundle")
    return entries


def read_bundle(source: Path | bytes) -> Bundle:
    """Read a verification bundle, in memory, refusing anything unexpected.

    Args:
        source: the zip file, or its bytes.

    Returns:
        The bundle: inputs, documents and verdicts exactly as written.

    Raises:
        MalformedCredentialError: naming the problem: not a zip, unreadable, over the size or entry caps
            (declared or actual), an unsafe or repeated entry name, an encrypted or oddly compressed entry,
            no or an invalid ``bundle.json``, an unknown format, an entry referenced but missing or present
            but not referenced, or a SHA-256 that does not match (a tampered bundle).
    """
    label = "verification bundle" if isinstance(source, bytes) else f"verification bundle {source}"
    data = _load(label, source)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _ZIP_ERRORS as err:
        raise _refuse(label, f"not a zip file ({err})") from err
    with archive:
        entries = _directory(label, archive)
        budget = MAX_TOTAL_BYTES
        raw_manifest = _read_entry(label, archive, entries[_MANIFEST], budget)
        budget -= len(raw_manifest)
        manifest = _parse_manifest(label, raw_manifest)
        checked_at = _checked_at(label, manifest["checkedAt"])
        wanted: dict[str, str] = {}  # file -> sha256

        def reference(file: str, sha256: str, where: str) -> None:
            if file in wanted or file == _MANIFEST:
                raise _refuse(label, f"bundle.json: {where} names {file}, already used")
            if file not in entries:
                raise _refuse(label, f"{file}, referenced by bundle.json ({where}), is missing")
            wanted[file] = sha256

        inputs_meta = [
            _object(label, item, f"inputs[{index}]", ("name", "file", "sha256", "verdict"))
            for index, item in enumerate(manifest["inputs"])
        ]
        for index, item in enumerate(inputs_meta):
            if not item["file"].startswith("inputs/"):
                raise _refuse(label, f"bundle.json: inputs[{index}].file is not under inputs/")
            reference(item["file"], item["sha256"], f"input {item['name']!r}")
        documents_meta = [
            _object(label, item, f"documents[{index}]", ("url", "file", "sha256"))
            for index, item in enumerate(manifest["documents"])
        ]
        urls: set[str] = set()
        for item in documents_meta:
            if item["url"] in urls:
                raise _refuse(label, f"bundle.json: document {item['url']} is listed twice")
            urls.add(item["url"])
            if item["file"] != _document_file(item["url"]):
                raise _refuse(label, f"bundle.json: document {item['url']} is not stored as {item['file']}")
            reference(item["file"], item["sha256"], f"document {item['url']}")
        unexpected = sorted(set(entries) - set(wanted) - {_MANIFEST})
        if unexpected:
            raise _refuse(label, f"entry {unexpected[0]} is not referenced by bundle.json")

        contents: dict[str, bytes] = {}
        for file, sha256 in wanted.items():
            content = _read_entry(label, archive, entries[file], budget)
            budget -= len(content)
            if _sha256(content) != sha256:
                raise _refuse(
                    label, f"{file} does not match its sha256 in bundle.json: the bundle was altered"
                )
            contents[file] = content

    try:
        return Bundle(
            checked_at=checked_at,
            inputs=tuple(BundleInput(item["name"], contents[item["file"]]) for item in inputs_meta),
            documents={item["url"]: contents[item["file"]] for item in documents_meta},
            verdicts={item["name"]: item["verdict"] for item in inputs_meta},
        )
    except MalformedCredentialError as err:
        raise _refuse(label, str(err).removeprefix("verification bundle: ")) from err


# --------------------------------------------------------------------------------------------------
# Re-verifying
# --------------------------------------------------------------------------------------------------


class BundleFetcher:
    """Serve exactly the documents recorded in a bundle, by the URL they were fetched from; nothing else."""

    def __init__(self, documents: Mapping[str, bytes]) -> None:
        """Serve ``documents`` (URL -> bytes)."""
        self._documents = dict(documents)

    def knows(self, url: str) -> bool:
        """Whether ``url`` was recorded in the bundle."""
        return url in self._documents

    def fetch(self, url: str) -> bytes:
        """Return the recorded bytes of ``url``.

        Raises:
            RetrievalError: ``url`` was not fetched when the bundle was made.
        """
        try:
            return self._documents[url]
        except KeyError:
            raise RetrievalError(f"{url}: not in the verification bundle") from None


def bundle_fetcher(bundle: Bundle) -> BundleFetcher:
    """A fetcher serving the bundle's documents, for re-verification without the network.

    Chain it before :class:`~verifier.resolve.OfflineFetcher`:
    ``Resolver(ChainFetcher(bundle_fetcher(b), OfflineFetcher()))``, then verify each input at
    ``b.checked_at``.

    Args:
        bundle: a bundle from :func:`read_bundle`.

    Returns:
        A :class:`~verifier.resolve.ScopedFetcher` over ``bundle.documents``.
    """
    return BundleFetcher(bundle.documents)
