"""Properties of the credit evaluation: order-free, repeatable, and unmoved by badges no rule asks for."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.credit import BadgeFacts, RuleSet, evaluate, load_rules, parse_rules

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
SETTINGS = settings(max_examples=100, deadline=None)

F3 = "https://consortium.example/achievements/aws-sense-smaw-fillet-3f"
F4 = "https://consortium.example/achievements/aws-sense-smaw-fillet-4f"
MATH = "https://consortium.example/achievements/ccss-math-7-rp-a-2"
COMM = "https://consortium.example/achievements/workplace-professional-communication"
RATIOS = "https://badges.statemath.example/achievements/ratios-and-rates"
ACHIEVEMENTS = [F3, F4, MATH, COMM, RATIOS]
ALIGNMENTS = [
    "CCSS.MATH.CONTENT.7.RP.A.2",
    "https://www.thecorestandards.org/Math/Content/7/RP/A/2/",
    "NACE.COMM",
]
ISSUERS = [
    "did:web:badges.example.edu:orgs:lincoln-hs",
    "did:web:valley-cte.example",
    "https://badges.statemath.example/issuer",
    "did:web:diploma-mill.example",
]
TRUSTED = [
    {"id": ISSUERS[0], "name": "Lincoln High School"},
    {"id": ISSUERS[1], "name": "Valley Regional CTE Center", "for": [F3, F4, COMM]},
    {"id": ISSUERS[2], "name": "State Mathematics Circle", "for": [RATIOS]},
]
EXAMPLE_RULES = [load_rules(path) for path in sorted((REPO / "badge_defs" / "credit_rules").glob("*.yaml"))]


def _facts(
    draw: st.DrawFn, *, achievements: list[str], alignments: list[str], ids: st.SearchStrategy[Any]
) -> BadgeFacts:
    return BadgeFacts(
        credential_id=draw(ids),
        # Biased towards badges the rules can use, so that most examples grant something.
        issuer_id=draw(st.sampled_from([ISSUERS[0], ISSUERS[0], ISSUERS[0], *ISSUERS, None])),
        verdict=draw(st.sampled_from(["valid", "valid", "valid", "invalid", "indeterminate"])),
        achievement_id=draw(st.sampled_from(achievements)),
        version=draw(st.sampled_from(["1", "1", "1", "2", None])),
        alignments=tuple(draw(st.lists(st.sampled_from(alignments), unique=True, max_size=2))),
        level=draw(st.sampled_from([None, 1, 2, 3, 3, 3, 4, 4, 4])),
        awarded=draw(
            st.one_of(
                st.none(),
                st.integers(min_value=0, max_value=400).map(lambda days: NOW - timedelta(days=days)),
                st.integers(min_value=0, max_value=400).map(lambda days: NOW - timedelta(days=days)),
                st.integers(min_value=0, max_value=9 * 365).map(lambda days: NOW - timedelta(days=days)),
            )
        ),
        attester_role=draw(
            st.sampled_from([None, "teacher", "teacher", "supervisor", "supervisor", "admin"])
        ),
        evidence_count=draw(st.sampled_from([0, 1, 2, 2, 3])),
    )


@st.composite
def badge_facts(draw: st.DrawFn) -> BadgeFacts:
    # A small id pool, so that the same credential sometimes comes twice (and without id).
    ids = st.one_of(st.none(), st.integers(min_value=0, max_value=30).map(lambda n: f"urn:example:badge:{n}"))
    return _facts(draw, achievements=ACHIEVEMENTS, alignments=ALIGNMENTS, ids=ids)


@st.composite
def unrelated_facts(draw: st.DrawFn) -> BadgeFacts:
    """A badge no rule can ask for: its achievement and alignments are outside every rule's vocabulary."""
    ids = st.integers(min_value=0, max_value=10**6).map(lambda n: f"urn:example:unrelated:{n}")
    return _facts(
        draw,
        achievements=["https://elsewhere.example/achievements/pottery"],
        alignments=["ELSEWHERE.1"],
        ids=ids,
    )


@st.composite
def matchers(draw: st.DrawFn) -> dict[str, Any]:
    matcher: dict[str, Any] = (
        {"achievement_id": draw(st.sampled_from(ACHIEVEMENTS))}
        if draw(st.booleans())
        else {"alignment": draw(st.sampled_from(ALIGNMENTS))}
    )
    matcher["min_level"] = draw(st.sampled_from([1, 2, 3, 3, 3, 4]))

    def sometimes() -> bool:
        return draw(st.integers(min_value=0, max_value=3)) == 0

    if sometimes():
        matcher["max_age"] = draw(st.sampled_from(["P1Y", "P3Y", "P5Y", "P18M"]))
    if "achievement_id" in matcher and sometimes():
        matcher["versions"] = [1]
    if sometimes():
        matcher["issuers"] = draw(st.lists(st.sampled_from(ISSUERS[:3]), min_size=1, max_size=2, unique=True))
    if sometimes():
        matcher["required_attester_role"] = draw(st.sampled_from(["teacher", "supervisor"]))
    if sometimes():
        matcher["min_evidence"] = draw(st.integers(min_value=1, max_value=2))
    return matcher


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        return draw(st.sampled_from(EXAMPLE_RULES))
    codes = ["MATH 025", "WLD 110", "ELEC 100", "CWE 180"]
    caps = {code: draw(st.sampled_from([None, 1.5, 2, 3])) for code in codes}
    rules: list[dict[str, Any]] = []
    for index in range(draw(st.integers(min_value=1, max_value=8))):
        rule: dict[str, Any] = {
            "id": f"rule-{index}",
            "accepts": {"all_of": draw(st.lists(matchers(), min_size=1, max_size=2))},
        }
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            rule["grants"] = {
                "cte_competency": draw(st.sampled_from(["WLD-SMAW-F", "EMP-COMM"])),
                "level": draw(st.integers(min_value=1, max_value=3)),
            }
        else:
            code = draw(st.sampled_from(codes))
            rule["grants"] = {
                "course_code": code,
                "course_title": code,
                "credits": draw(st.sampled_from([0.5, 1, 2, 4])),
            }
            rule["letter_grade"] = draw(st.booleans())
            if caps[code] is not None:
                rule["limits"] = {"max_course_credits": caps[code]}
        rules.append(rule)
    data: dict[str, Any] = {
        "institution": {"name": "Generated College", "id": "https://generated.example/"},
        "trusted_issuers": TRUSTED,
        "grade_policy": {"name": "Letters", "levels": {4: "A", 3: "B", 2: "C", 1: "D"}},
        "rules": rules,
    }
    if draw(st.booleans()):
        data["limits"] = {"max_total_credits": draw(st.sampled_from([2, 5, 10]))}
    return parse_rules(data, source="generated")


@SETTINGS
@given(st.lists(badge_facts(), min_size=1, max_size=12), rule_sets(), st.randoms(use_true_random=False))
def test_credit_shuffling_the_input_never_changes_the_decision(
    badges: list[BadgeFacts], rules: RuleSet, rng: Any
) -> None:
    shuffled = list(badges)
    rng.shuffle(shuffled)

    assert evaluate(shuffled, rules, now=NOW) == evaluate(badges, rules, now=NOW)


@SETTINGS
@given(st.lists(badge_facts(), min_size=1, max_size=12), rule_sets())
def test_credit_same_input_twice_gives_equal_output(badges: list[BadgeFacts], rules: RuleSet) -> None:
    first = evaluate(badges, rules, now=NOW)
    second = evaluate(badges, rules, now=NOW)

    assert first == second
    assert first.to_json() == second.to_json()
    assert first.render_text() == second.render_text()


@SETTINGS
@given(
    st.lists(badge_facts(), min_size=1, max_size=12),
    st.lists(unrelated_facts(), min_size=1, max_size=3),
    rule_sets(),
)
def test_credit_adding_an_unrelated_badge_never_removes_granted_credit(
    badges: list[BadgeFacts], extra: list[BadgeFacts], rules: RuleSet
) -> None:
    before = evaluate(badges, rules, now=NOW)
    after = evaluate([*badges, *extra], rules, now=NOW)

    assert after.granted == before.granted
    assert after.total_credits == before.total_credits
    assert after.competencies == before.competencies


@SETTINGS
@given(st.lists(badge_facts(), min_size=1, max_size=12), rule_sets())
def test_credit_decision_invariants(badges: list[BadgeFacts], rules: RuleSet) -> None:
    decision = evaluate(badges, rules, now=NOW)
    used = Counter(ref for grant in decision.granted for ref in grant.badges)
    counted = [b for b in decision.badges if b.counted_for is not None]

    assert all(count == 1 for count in used.values())  # a badge counts once
    assert sorted(b.badge for b in counted) == sorted(used)
    assert all(b.verdict == "valid" for b in counted)  # only verified badges count
    assert all(len(rule.badges) == len(badges) for rule in decision.rules)  # a line for every badge
    assert len(decision.rules) == len(rules.rules)
    assert decision.total_credits == sum(g.credits or 0 for g in decision.granted)
    if rules.limits is not None and rules.limits.max_total_credits is not None:
        assert decision.total_credits <= rules.limits.max_total_credits
    granted_rules = {g.rule_id for g in decision.granted}
    assert granted_rules == {r.rule_id for r in decision.rules if r.outcome in {"granted", "reduced"}}
