"""Table-driven credit cases: tests/vectors/credit/<case>/{rules.yaml, credentials/*.json, expected.yaml}."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from verifier.credit import BadgeFacts, CreditDecision, evaluate, facts_from_credential, load_rules

if TYPE_CHECKING:
    import pytest

CASES = Path(__file__).resolve().parents[4] / "tests" / "vectors" / "credit"
#: Every reason the issue asks the cases to show; each must occur in some case.
REQUIRED_CASES = {
    "level-too-low",
    "too-old",
    "untrusted-issuer",
    "issuer-not-trusted-for-this-badge",
    "already-counted",
    "multi-badge-satisfied",
    "multi-badge-incomplete",
    "course-cap",
    "student-cap",
    "letter-grade-only-when-asked",
    "unverified-ignored",
    "version-not-accepted",
    "alignment-match",
}


def _case_dirs() -> list[Path]:
    return sorted(path for path in CASES.iterdir() if path.is_dir())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "case" in metafunc.fixturenames:
        directories = _case_dirs()
        metafunc.parametrize("case", directories, ids=[d.name for d in directories])


def _expected(case: Path) -> dict[str, Any]:
    data = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _facts(case: Path, verdicts: dict[str, str]) -> list[BadgeFacts]:
    paths = sorted((case / "credentials").glob("*.json"))
    unknown = set(verdicts) - {path.stem for path in paths}
    assert not unknown, f"verdicts for missing files: {unknown}"
    return [
        facts_from_credential(
            json.loads(path.read_text(encoding="utf-8")), verdict=verdicts.get(path.stem, "valid")
        )
        for path in paths
    ]


def _run(case: Path) -> tuple[CreditDecision, dict[str, Any], list[BadgeFacts]]:
    expected = _expected(case)
    facts = _facts(case, expected.get("verdicts") or {})
    now = datetime.fromisoformat(expected["now"])
    return evaluate(facts, load_rules(case / "rules.yaml"), now=now), expected, facts


def test_vectors_cover_every_required_reason() -> None:
    assert {d.name for d in _case_dirs()} >= REQUIRED_CASES


def test_vector_case_decision(case: Path) -> None:
    decision, expected, _ = _run(case)
    result = decision.to_json()

    assert result["granted"] == expected["granted"]
    assert result["totals"] == expected["totals"]
    assert {rule["rule"]: rule["outcome"] for rule in result["rules"]} == expected["outcomes"]
    actual_lines = [{"rule": rule["rule"], **line} for rule in result["rules"] for line in rule["badges"]]
    for line in expected["lines"]:
        assert line in actual_lines


def test_vector_case_has_a_line_for_every_badge_and_rule(case: Path) -> None:
    decision, _, facts = _run(case)

    for rule in decision.rules:
        assert len(rule.badges) == len(facts)
        assert all(line.reason for line in rule.badges)
    assert len(decision.badges) == len(facts)


def test_vector_case_ignores_input_order(case: Path) -> None:
    decision, expected, facts = _run(case)
    rotated = facts[1:] + facts[:1]
    reversed_facts = list(reversed(facts))
    now = datetime.fromisoformat(expected["now"])
    rules = load_rules(case / "rules.yaml")

    assert evaluate(rotated, rules, now=now) == decision
    assert evaluate(reversed_facts, rules, now=now).to_json() == decision.to_json()


def test_vector_case_renders_as_text_and_json(case: Path) -> None:
    decision, _, _ = _run(case)
    text = decision.render_text()

    # JSON-ready: no datetimes, Decimals or tuples left.
    assert json.loads(json.dumps(decision.to_json())) == decision.to_json()
    assert decision.institution_name in text
    for rule in decision.rules:
        assert rule.rule_id in text
    for grant in decision.granted:
        assert all(badge in text for badge in grant.badges)
