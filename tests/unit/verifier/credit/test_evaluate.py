"""The evaluation policy on its own, and the two committed institutions' rules on real credentials."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from issuer.issuance import Attester, Award, EvidenceItem, IssuerProfile, build_credential
from verifier.credit import BadgeFacts, evaluate, facts_from_credential, load_rules, parse_rules
from verifier.credit.rules import CourseGrant

if TYPE_CHECKING:
    from issuer.definitions import BadgeCatalog

REPO = Path(__file__).resolve().parents[4]
RULES = REPO / "badge_defs" / "credit_rules"
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
LINCOLN = "did:web:badges.example.edu:orgs:lincoln-hs"
X = "https://consortium.example/achievements/x"
Y = "https://consortium.example/achievements/y"


def _facts(ref: str, achievement: str = X, **changes: Any) -> BadgeFacts:
    base = BadgeFacts(
        credential_id=f"urn:example:{ref}",
        issuer_id=LINCOLN,
        verdict="valid",
        achievement_id=achievement,
        level=3,
        awarded=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return replace(base, **changes)


def _rules(*rules: dict[str, Any], **top: Any) -> Any:
    return parse_rules(
        {
            "institution": {"name": "Test College", "id": "https://college.example/"},
            "trusted_issuers": [{"id": LINCOLN, "name": "Lincoln High School"}],
            "rules": list(rules),
            **top,
        }
    )


def _course(code: str, amount: float = 1) -> dict[str, Any]:
    return {"course_code": code, "course_title": f"Course {code}", "credits": amount}


def test_evaluate_needs_an_aware_now() -> None:
    rules = _rules({"id": "r", "accepts": {"all_of": [{"achievement_id": X}]}, "grants": _course("C 1")})

    with pytest.raises(TypeError, match="timezone-aware"):
        evaluate([_facts("a")], rules, now=datetime(2026, 11, 23))  # noqa: DTZ001


def test_evaluate_multi_badge_rule_finds_distinct_badges_where_greedy_would_not() -> None:
    # "both" fits either matcher and is the best for the first; taking it there would leave the
    # second matcher without a badge. The rule must still be granted, with "both" on the second.
    rules = _rules(
        {
            "id": "pair",
            "accepts": {"all_of": [{"alignment": "FRAMEWORK.1"}, {"achievement_id": Y, "label": "badge Y"}]},
            "grants": _course("C 2", 3),
        }
    )
    both = _facts("both", Y, level=4, alignments=("FRAMEWORK.1",))
    only_aligned = _facts("aligned", X, level=3, alignments=("FRAMEWORK.1",))

    decision = evaluate([both, only_aligned], rules, now=NOW)

    (grant,) = decision.granted
    assert grant.badges == ("urn:example:aligned", "urn:example:both")
    assert decision.rules[0].outcome == "granted"


def test_evaluate_reports_every_missing_matcher() -> None:
    rules = _rules(
        {
            "id": "pair",
            "accepts": {"all_of": [{"achievement_id": X, "label": "X"}, {"achievement_id": Y, "label": "Y"}]},
            "grants": _course("C 3"),
        }
    )

    decision = evaluate([_facts("low", X, level=2)], rules, now=NOW)

    assert decision.rules[0].reason == "no eligible badges for: X; Y"
    assert decision.rules[0].badges[0].reason == "level 2 < required 3"


def test_evaluate_one_badge_cannot_fill_two_matchers_of_one_rule() -> None:
    rules = _rules(
        {
            "id": "twice",
            "accepts": {
                "all_of": [{"achievement_id": X, "label": "X"}, {"achievement_id": X, "label": "another X"}]
            },
            "grants": _course("C 4"),
        }
    )

    one = evaluate([_facts("a")], rules, now=NOW)
    two = evaluate([_facts("a"), _facts("b")], rules, now=NOW)

    assert one.granted == ()
    assert one.rules[0].reason == "needs also: another X"
    assert two.granted[0].badges == ("urn:example:a", "urn:example:b")


def test_evaluate_badge_without_id_gets_a_content_name_independent_of_other_inputs() -> None:
    rules = _rules({"id": "r", "accepts": {"all_of": [{"achievement_id": X}]}, "grants": _course("C 5")})
    anonymous = _facts("ignored", credential_id=None)

    alone = evaluate([anonymous], rules, now=NOW)
    with_other = evaluate([anonymous, _facts("other", Y)], rules, now=NOW)

    assert alone.granted[0].badges[0].startswith("(no id) sha256:")
    assert alone.granted[0].badges == with_other.granted[0].badges


def test_evaluate_max_age_is_calendar_arithmetic() -> None:
    rules = _rules(
        {
            "id": "r",
            "accepts": {"all_of": [{"achievement_id": X, "max_age": "P1Y"}]},
            "grants": _course("C 6"),
        }
    )
    leap = datetime(2024, 2, 29, 12, tzinfo=UTC)

    on_the_day = evaluate([_facts("a", awarded=leap)], rules, now=datetime(2025, 2, 28, 12, tzinfo=UTC))
    a_second_later = evaluate(
        [_facts("a", awarded=leap)], rules, now=datetime(2025, 2, 28, 12, 0, 1, tzinfo=UTC)
    )

    assert on_the_day.granted
    assert not a_second_later.granted
    assert (
        a_second_later.rules[0].badges[0].reason == "issued 2024-02-29, older than 1 year (P1Y) at 2025-02-28"
    )


def test_evaluate_to_json_and_text() -> None:
    rules = _rules(
        {
            "id": "r",
            "title": "A rule",
            "accepts": {"all_of": [{"achievement_id": X}]},
            "grants": _course("C 7", 1.5),
        }
    )

    decision = evaluate([_facts("a"), _facts("b", Y)], rules, now=NOW)
    data = decision.to_json()
    text = decision.render_text()
    verbose = decision.render_text(all_lines=True)

    assert data["evaluatedAt"] == "2026-11-23T12:00:00Z"
    assert data["granted"][0]["credits"] == 1.5
    assert data["totals"] == {
        "credits": 1.5,
        "courses": 1,
        "competencies": {},
        "badgesCounted": 1,
        "badges": 2,
    }
    assert data["badges"][0]["awarded"] == "2026-01-01T00:00:00Z"
    assert "Total: 1.5 credits" in text
    assert "(1 other badge: not asked for by this rule)" in text
    assert "urn:example:b: not a badge this rule asks for" in verbose
    assert "urn:example:b: not a badge" not in text


# --- the committed institutions ----------------------------------------------------------------------


def _student_badges(catalog: BadgeCatalog, *, comm_level: int = 4) -> list[BadgeFacts]:
    issuer = IssuerProfile(id=LINCOLN, name="Lincoln High School")
    teacher = Attester(id="https://lincoln-hs.example.edu/staff/7", name="J. Alvarez", role="teacher")
    supervisor = Attester(
        id="https://acme.example/people/2",
        name="R. Okafor",
        role="supervisor",
        organization="Acme Fabrication",
    )
    evidence = (
        EvidenceItem(name="Photos", url="https://evidence.example.org/1"),
        EvidenceItem(name="Checklist", narrative="All items passed."),
    )
    awards = [
        ("math-7rp-proportional", 4, teacher),
        ("weld-smaw-3f", 3, teacher),
        ("weld-smaw-4f", 3, supervisor),
        ("workplace-communication", comm_level, supervisor),
    ]
    return [
        facts_from_credential(
            build_credential(
                Award(
                    definition=catalog.get(slug),
                    level=level,
                    recipient="ana@students.example.org",
                    attester=attester,
                    evidence=evidence,
                ),
                issuer,
                credential_id=f"https://lincoln-hs.example.edu/credentials/{slug}",
                now=datetime(2026, 6, 1, tzinfo=UTC),
                salt="s",
            ),
            verdict="valid",
        )
        for slug, level, attester in awards
    ]


def test_riverbend_rules_on_a_students_badges(catalog: BadgeCatalog) -> None:
    decision = evaluate(
        _student_badges(catalog), load_rules(RULES / "riverbend-community-college.yaml"), now=NOW
    )

    granted = {g.course_code: (g.credits, g.letter_grade, g.grade_policy) for g in decision.granted}
    assert granted == {
        "WLD 110": (Decimal(4), None, None),
        "MATH 025": (Decimal(1), "A", "Riverbend mastery-to-letter policy 2026"),
        "CWE 180": (Decimal(1), None, None),
    }
    wld_111 = next(rule for rule in decision.rules if rule.rule_id == "wld-111")
    lines = {line.badge: line.reason for line in wld_111.badges}
    assert (
        lines["https://lincoln-hs.example.edu/credentials/weld-smaw-3f"]
        == "already counted for WLD 110 (rule wld-110)"
    )
    assert decision.total_credits == 6


def test_valley_rules_on_a_students_badges(catalog: BadgeCatalog) -> None:
    rules = load_rules(RULES / "valley-cte-program.yaml")

    advanced = evaluate(_student_badges(catalog, comm_level=4), rules, now=NOW)
    competent = evaluate(_student_badges(catalog, comm_level=3), rules, now=NOW)

    assert advanced.competencies == (("EMP-COMM", 3), ("WLD-SMAW-F", 2))
    assert competent.competencies == (("EMP-COMM", 2), ("WLD-SMAW-F", 2))
    assert advanced.total_credits == 0


def test_riverbend_rules_match_the_credit_equivalencies_of_the_badge_definitions(
    catalog: BadgeCatalog,
) -> None:
    rules = load_rules(RULES / "riverbend-community-college.yaml")
    equivalencies = [
        (definition, credit)
        for definition in catalog
        for credit in definition.credit
        if credit.institution_id == rules.institution.id
    ]
    assert equivalencies  # the examples do declare some

    for definition, credit in equivalencies:
        identities = {definition.achievement_id} | {
            a.target_code for a in definition.alignments if a.target_code
        }
        matching = [
            rule
            for rule in rules.rules
            if isinstance(rule.grants, CourseGrant)
            and rule.grants.course_code == credit.course_code
            and rule.grants.course_title == credit.course_title
            and rule.grants.credits == credit.credits
            and any(
                (m.achievement_id or m.alignment) in identities and m.min_level == credit.min_level
                for m in rule.accepts.all_of
            )
        ]
        assert matching, f"{definition.slug}: no rule grants {credit.course_code} as its definition says"
