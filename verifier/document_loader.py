"""A JSON-LD document loader that serves pinned context documents and refuses every other URL.

Most context files ship as package data in ``verifier/contexts/`` (fetched from npm by
``scripts/fetch_contexts.py``, which records each file's package, version and SHA-256 in
``manifest.json``). Data Integrity says a verifier must not let a document pull in contexts it
does not know (https://www.w3.org/TR/vc-data-integrity/#validating-contexts): here, a URL that is
not pinned is an error, never a network fetch.

A context no package we may redistribute publishes (the CLR 2.0 context) is pinned without a file
(``"shipped": false`` in the manifest): the operator downloads it, and names the folder holding it
in ``BADGES_CONTEXTS_DIR``. It is served from there only when its SHA-256 equals the pin; otherwise
:class:`~verifier.errors.ContextUnavailableError` says which URL is missing and how to supply it.

Tests, which have no copy of such a context, pin a stand-in of their own through
``BADGES_TEST_CONTEXT_PINS`` (JSON ``{url: sha256}``); it is honoured only while
``BADGES_ALLOW_TEST_CONTEXT_PINS`` is exactly ``tests-only-never-in-production``, so setting one
variable by mistake changes nothing, and it can only replace the pin of a context that is not shipped.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from verifier.errors import ContextNotAllowedError, ContextUnavailableError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

__all__ = [
    "CONTEXTS_DIR_ENV",
    "DEFAULT_LOADER",
    "TEST_PINS_ENV",
    "TEST_PINS_FLAG_ENV",
    "TEST_PINS_FLAG_VALUE",
    "OperatorContext",
    "PinnedDocumentLoader",
    "contexts_folder",
    "operator_contexts",
    "pinned_context_urls",
]

CONTEXTS_DIR_ENV: Final = "BADGES_CONTEXTS_DIR"
TEST_PINS_ENV: Final = "BADGES_TEST_CONTEXT_PINS"
TEST_PINS_FLAG_ENV: Final = "BADGES_ALLOW_TEST_CONTEXT_PINS"
TEST_PINS_FLAG_VALUE: Final = "tests-only-never-in-production"

_CONTEXTS_FOLDER = "contexts"
_MANIFEST = "manifest.json"
# pyld keeps one entry per remote context URL and one per distinct inline context; inline
# contexts come from the documents being checked, so the cache must not grow without bound.
_RESOLVED_CONTEXT_CACHE_SIZE = 256
# An operator-supplied context is a few kilobytes; a larger file is not the one pinned.
_MAX_OPERATOR_CONTEXT_BYTES = 1_000_000


class _BoundedCache(OrderedDict[str, Any]):
    """A FIFO-bounded dict, the shape pyld's ``ContextResolver`` expects of its shared cache."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self._maxsize = maxsize

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self._maxsize:
            self.popitem(last=False)


@dataclass(frozen=True)
class OperatorContext:
    """A pinned context the verifier does not ship: the operator supplies ``file`` in their folder."""

    url: str
    file: str
    sha256: str


@functools.cache
def _manifest() -> list[dict[str, Any]]:
    folder = resources.files("verifier").joinpath(_CONTEXTS_FOLDER)
    entries: list[dict[str, Any]] = json.loads(folder.joinpath(_MANIFEST).read_bytes())["contexts"]
    return entries


@functools.cache
def _pinned_documents() -> dict[str, dict[str, Any]]:
    """Read every shipped context file once, checking each file's SHA-256."""
    folder = resources.files("verifier").joinpath(_CONTEXTS_FOLDER)
    documents: dict[str, dict[str, Any]] = {}
    for entry in _manifest():
        if not entry.get("shipped", True):
            continue
        data = folder.joinpath(entry["file"]).read_bytes()
        # A modified installed copy would silently change what gets signed: refuse it.
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ContextNotAllowedError(
                f"pinned context file {entry['file']} does not match its manifest SHA-256"
            )
        documents[entry["url"]] = json.loads(data)
    return documents


@functools.cache
def operator_contexts() -> dict[str, OperatorContext]:
    """The pinned contexts the operator supplies (``"shipped": false`` in the manifest), by URL."""
    return {
        entry["url"]: OperatorContext(entry["url"], entry["file"], entry["sha256"])
        for entry in _manifest()
        if not entry.get("shipped", True)
    }


def pinned_context_urls() -> frozenset[str]:
    """The context URLs the verifier pins, shipped or supplied by the operator.

    Returns:
        Every URL listed in ``verifier/contexts/manifest.json``.
    """
    return frozenset(entry["url"] for entry in _manifest())


@contextlib.contextmanager
def contexts_folder(folder: Path | None) -> Iterator[None]:
    """Within the block, the operator's folder is ``folder`` (``badges verify --contexts``); then as before."""
    if folder is None:
        yield
        return
    before = os.environ.get(CONTEXTS_DIR_ENV)
    os.environ[CONTEXTS_DIR_ENV] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CONTEXTS_DIR_ENV, None)
        else:
            os.environ[CONTEXTS_DIR_ENV] = before


def _test_pins() -> dict[str, str]:
    """The test-only pin overrides, or nothing unless the explicit flag is set too."""
    raw = os.environ.get(TEST_PINS_ENV)
    if not raw or os.environ.get(TEST_PINS_FLAG_ENV) != TEST_PINS_FLAG_VALUE:
        return {}
    try:
        pins = json.loads(raw)
    except ValueError as err:
        raise ContextUnavailableError(f"{TEST_PINS_ENV} is not JSON: {err}", "") from err
    if not isinstance(pins, dict) or not all(isinstance(v, str) for v in pins.values()):
        raise ContextUnavailableError(f"{TEST_PINS_ENV} must map context URLs to SHA-256 hex strings", "")
    return pins


def _unavailable(context: OperatorContext, sha256: str, why: str) -> ContextUnavailableError:
    return ContextUnavailableError(
        f"JSON-LD context {context.url} is not shipped with the verifier and {why}: download it from"
        f" {context.url}, check that its SHA-256 is {sha256}, save it as {context.file} in a folder and"
        f" name that folder in {CONTEXTS_DIR_ENV} (or `badges verify --contexts DIR`); see docs/clr.md",
        context.url,
    )


class PinnedDocumentLoader:
    """A pyld document loader over the pinned contexts (plus, optionally, a few extra documents).

    Calling it returns pyld's remote-document shape with ``"tag": "static"``, which tells pyld the
    context never changes so it may cache the processed context.

    Each loader also owns the cache of processed contexts that :mod:`verifier.canonical` hands to
    pyld, instead of pyld's process-global one: a context added through ``extra`` to one loader
    can then never leak into another loader's results. The cache is emptied whenever the operator's
    folder (or a test pin) changes, so a context supplied once is not served after it is withdrawn.

    Args:
        extra: more documents to serve, by exact URL (tests use it for the W3C examples context,
            which is not shipped because its ``@vocab`` would let undefined terms through).
        contexts_dir: the operator's folder of contexts that are not shipped; by default the folder
            named in ``BADGES_CONTEXTS_DIR`` when the loader is called.
    """

    def __init__(
        self, extra: Mapping[str, Mapping[str, Any]] | None = None, *, contexts_dir: Path | None = None
    ) -> None:
        self._extra: dict[str, Mapping[str, Any]] = dict(extra or {})
        self._contexts_dir = contexts_dir
        self._context_cache: _BoundedCache = _BoundedCache(_RESOLVED_CONTEXT_CACHE_SIZE)
        self._operator_state: tuple[str | None, str | None, str | None] | None = None
        self._operator_documents: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def urls(self) -> frozenset[str]:
        """Every URL this loader serves (an operator-supplied one only once supplied)."""
        return pinned_context_urls() | frozenset(self._extra)

    @property
    def context_cache(self) -> _BoundedCache:
        """pyld's cache of processed contexts, emptied when the operator's contexts change."""
        state = (
            str(self._contexts_dir) if self._contexts_dir else os.environ.get(CONTEXTS_DIR_ENV),
            os.environ.get(TEST_PINS_ENV),
            os.environ.get(TEST_PINS_FLAG_ENV),
        )
        with self._lock:
            if state != self._operator_state:
                self._context_cache.clear()
                self._operator_state = state
        return self._context_cache

    def _folder(self) -> Path | None:
        if self._contexts_dir is not None:
            return self._contexts_dir
        named = os.environ.get(CONTEXTS_DIR_ENV)
        return Path(named) if named else None

    def _operator_document(self, context: OperatorContext) -> dict[str, Any]:
        """The operator's copy of ``context``, read from their folder and checked against its pin."""
        sha256 = _test_pins().get(context.url, context.sha256)
        folder = self._folder()
        if folder is None:
            raise _unavailable(context, sha256, f"{CONTEXTS_DIR_ENV} names no folder")
        path = folder / context.file
        key = (str(path), sha256)
        with self._lock:
            cached = self._operator_documents.get(key)
        if cached is not None:
            return cached
        try:
            with path.open("rb") as handle:
                data = handle.read(_MAX_OPERATOR_CONTEXT_BYTES + 1)
        except OSError as err:
            raise _unavailable(context, sha256, f"{path} cannot be read ({err.strerror})") from err
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise _unavailable(context, sha256, f"{path} does not match its pin (its SHA-256 is {actual})")
        try:
            document: dict[str, Any] = json.loads(data)
        except ValueError as err:  # only a test's own stand-in can get here: the pin is of JSON
            raise _unavailable(context, sha256, f"{path} is not JSON") from err
        with self._lock:
            self._operator_documents[key] = document
        return document

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the pinned document for ``url``.

        Args:
            url: the exact URL of a context document.
            options: pyld's loader options (ignored).

        Returns:
            ``{"contextUrl": None, "documentUrl": url, "document": ..., "tag": "static"}``.

        Raises:
            ContextNotAllowedError: ``url`` is not pinned.
            ContextUnavailableError: ``url`` is pinned but not shipped, and the operator's folder does
                not hold a copy matching the pin.
        """
        document = self._extra.get(url)
        if document is None:
            document = _pinned_documents().get(url)
        if document is None and url in operator_contexts():
            document = self._operator_document(operator_contexts()[url])
        if document is None:
            raise ContextNotAllowedError(f"JSON-LD context not allowed (not pinned): {url}")
        # pyld owns what it is given; keep the cached originals untouched.
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(document),
            "tag": "static",
        }


DEFAULT_LOADER = PinnedDocumentLoader()
"""The loader over the shipped contexts and the operator's folder (``BADGES_CONTEXTS_DIR``)."""
