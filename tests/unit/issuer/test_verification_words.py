"""Every check the verifier can report has plain words on the pages (else a page shows its bare id, in
English, in every language)."""

from __future__ import annotations

import ast
from pathlib import Path

from issuer.web.pages import verification
from verifier.verify import CheckResult, VerificationReport

VERIFIER = Path(verification.__file__).resolve().parents[3] / "verifier"
_MAKERS = {"CheckResult", "passed", "failed", "attempt", "_failed"}


def _check_ids() -> set[str]:
    """The literal check ids the verifier's modules hand to CheckResult and its helpers."""
    found: set[str] = set()
    for path in VERIFIER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            first = node.args[0]
            if name in _MAKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def test_the_scan_finds_the_checks_it_should() -> None:
    assert {"proof", "status", "endorsements", "holder_binding", "clr_subject"} <= _check_ids()


def test_every_verifier_check_has_plain_words_on_the_pages() -> None:
    missing = sorted(_check_ids() - set(verification._WORDS))
    assert missing == []


def test_a_check_without_words_would_show_its_id() -> None:
    class English:
        @staticmethod
        def gettext(text: str) -> str:
            return text

    report = VerificationReport(
        (CheckResult("endorsements", False, "x", "ENDORSEMENT_INVALID", warning=True),)
    )
    _, [line] = verification.explain(report, English())
    assert line.words.startswith("An endorsement of this badge could not be verified")
    unknown = VerificationReport((CheckResult("made_up", True, "x"),))
    assert verification.explain(unknown, English())[1][0].words == "made_up"
