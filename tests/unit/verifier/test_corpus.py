"""The credential corpus: every valid file verifies, every invalid/<CODE>/ file yields exactly CODE.

The corpus (tests/vectors/credentials/, written by scripts/gen_corpus.py) is judged at its fixed clock,
resolving only through its resolve map with the network off. Two inputs are too big to commit and are
built here: a 50 MB input and JSON nested 100,000 levels deep.
"""

from __future__ import annotations

import functools
import importlib.util
import inspect
import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import NOW
from verifier import errors
from verifier.resolve import ChainFetcher, MapFetcher, OfflineFetcher, Resolver
from verifier.verify import VerificationReport, verify_credential

if TYPE_CHECKING:
    from types import ModuleType

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / "tests" / "vectors" / "credentials"
GEN_CORPUS = REPO / "scripts" / "gen_corpus.py"
CASE_SUFFIXES = frozenset({".json", ".jwt"})
SIDECAR = "expected.json"

# What issue #4 asks the corpus to cover, at least.
REQUIRED_CODES = frozenset(
    {
        "INVALID_SIGNATURE",
        "UNSUPPORTED_PROOF",
        "CONTEXT_NOT_ALLOWED",
        "CANONICALIZATION_ERROR",
        "EXPIRED",
        "NOT_YET_VALID",
        "REVOKED",
        "STATUS_LIST_ERROR",
        "INVALID_VERIFICATION_METHOD",
        "ISSUER_KEY_MISMATCH",
        "INVALID_PROOF_PURPOSE",
        "JWT_CLAIMS_MISMATCH",
        "MALFORMED_CREDENTIAL",
        "KEY_RESOLUTION_ERROR",
    }
)


def _error_classes() -> dict[str, type[errors.VerifierError]]:
    return {
        cls.code: cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.VerifierError)
    }


def _cases(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.suffix in CASE_SUFFIXES and path.name != SIDECAR)


VALID = _cases(CORPUS / "valid")
INVALID = _cases(CORPUS / "invalid")


def _id(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def _resolver() -> Resolver:
    return Resolver(ChainFetcher(MapFetcher.from_file(CORPUS / "resolve-map.json"), OfflineFetcher()))


def _failing(report: VerificationReport) -> set[str | None]:
    return {check.code for check in report.checks if not check.passed}


def _expected_codes(path: Path) -> set[str]:
    """The folder's code, plus any second code its folder's expected.json documents for this file."""
    code = path.parent.name
    sidecar = path.parent / SIDECAR
    extra: list[str] = []
    if sidecar.is_file():
        extra = json.loads(sidecar.read_text(encoding="utf-8")).get(path.name, {}).get("also", [])
    return {code, *extra}


@functools.cache
def _gen_corpus() -> ModuleType:
    name = "_gen_corpus_script"
    spec = importlib.util.spec_from_file_location(name, GEN_CORPUS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is created.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_corpus_has_cases_for_every_required_code() -> None:
    folders = {path.name for path in (CORPUS / "invalid").iterdir() if path.is_dir()}
    assert folders >= REQUIRED_CODES
    assert len(VALID) >= 7
    assert all(list((CORPUS / "invalid" / code).glob("*")) for code in folders)


def test_corpus_folders_are_error_codes() -> None:
    known = _error_classes()
    folders = {path.name for path in (CORPUS / "invalid").iterdir() if path.is_dir()}
    assert folders <= known.keys(), folders - known.keys()


def test_corpus_resolve_map_serves_every_document() -> None:
    mapping = json.loads((CORPUS / "resolve-map.json").read_text(encoding="utf-8"))
    mapped = {(CORPUS / file).resolve() for file in mapping.values()}
    documents = {path.resolve() for path in (CORPUS / "documents").iterdir()}
    assert mapped == documents
    assert all(url.startswith("https://corpus.example/") for url in mapping)


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_corpus_valid_file_verifies(path: Path) -> None:
    report = verify_credential(path.read_bytes(), resolver=_resolver(), now=NOW)

    assert report.verdict == "valid", [c.to_json() for c in report.checks if not c.passed]
    assert {check.id for check in report.checks} >= {"proof", "issuer_key", "structure", "validity", "status"}


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_corpus_invalid_file_yields_exactly_its_code(path: Path) -> None:
    code = path.parent.name
    report = verify_credential(path.read_bytes(), resolver=_resolver(), now=NOW)

    assert _failing(report) == _expected_codes(path), [c.to_json() for c in report.checks if not c.passed]
    expected_verdict = "indeterminate" if _error_classes()[code].indeterminate else "invalid"
    assert report.verdict == expected_verdict


@pytest.mark.parametrize(("opening", "closing"), [("[", "]"), ('{"a":', "}")], ids=["arrays", "objects"])
def test_corpus_deeply_nested_json_is_malformed(opening: str, closing: str) -> None:
    depth = 100_000
    text = opening * depth + "1" + closing * depth

    report = verify_credential(text, resolver=_resolver(), now=NOW)

    assert _failing(report) == {"MALFORMED_CREDENTIAL"}
    assert report.verdict == "invalid"


def test_corpus_50_mb_input_is_malformed() -> None:
    valid = (CORPUS / "valid" / "ldp-rdfc-did-web.json").read_bytes()
    # A real credential padded with a 50 MB description: refused on size, before parsing.
    padded = valid.replace(b'"name":', b'"padding": "' + b"a" * 50 * 1024 * 1024 + b'", "name":', 1)
    assert len(padded) > 50 * 1024 * 1024

    report = verify_credential(padded, resolver=_resolver(), now=NOW)

    assert _failing(report) == {"MALFORMED_CREDENTIAL"}
    assert report.verdict == "invalid"


def test_gen_corpus_check_passes_on_the_committed_corpus() -> None:
    module = _gen_corpus()

    assert module.NOW == NOW
    assert module.main(["--check"]) == 0


def test_gen_corpus_check_fails_on_a_changed_or_extra_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = _gen_corpus()
    copy = tmp_path / "credentials"
    shutil.copytree(CORPUS, copy)
    changed = copy / "valid" / "ldp-rdfc-did-web.json"
    changed.write_text(changed.read_text(encoding="utf-8").replace("Corpus", "Korpus"), encoding="utf-8")
    (copy / "invalid" / "EXPIRED" / "stray.json").write_text("{}", encoding="utf-8")
    monkeypatch.setattr(module, "CORPUS_DIR", copy)

    assert module.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "valid/ldp-rdfc-did-web.json: differs" in err
    assert "invalid/EXPIRED/stray.json: not generated" in err
