"""docs/errors.md lists exactly the error codes the code defines (STYLE.md §3.6)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import TYPE_CHECKING

import issuer.errors
import keys.errors
import verifier.errors

if TYPE_CHECKING:
    from types import ModuleType

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def _defined(module: ModuleType) -> dict[str, str]:
    return {
        cls.__name__: str(cls.code)  # type: ignore[attr-defined]
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and isinstance(getattr(cls, "code", None), str)
    }


def _documented() -> dict[str, str]:
    rows = re.findall(r"^\| `([A-Z_]+)` \| (\w+) \|", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {name: code for code, name in rows}


def test_errors_doc_lists_every_code_and_nothing_else() -> None:
    defined = _defined(verifier.errors) | _defined(keys.errors) | _defined(issuer.errors)
    assert _documented() == defined


def test_errors_doc_indeterminate_column_matches_the_classes() -> None:
    text = DOC.read_text(encoding="utf-8")
    marked = set(re.findall(r"^\| `([A-Z_]+)` \| \w+ \| indeterminate \|", text, flags=re.MULTILINE))
    indeterminate = {
        cls.code
        for _, cls in inspect.getmembers(verifier.errors, inspect.isclass)
        if issubclass(cls, verifier.errors.VerifierError) and cls.indeterminate
    }
    assert marked == indeterminate


def test_errors_codes_are_unique() -> None:
    codes = [
        *_defined(verifier.errors).values(),
        *_defined(keys.errors).values(),
        *_defined(issuer.errors).values(),
    ]
    assert len(codes) == len(set(codes))
