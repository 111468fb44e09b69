"""Credit evaluation time: one student's 50 badges against an institution's 200 rules.

``run()`` returns the printed line; ``make bench`` (python -m bench) can print it beside the
verification figures. The rules and badges are synthetic but shaped like the examples: one badge per
rule mostly, every fifth rule needing two badges together, some by alignment, some with a maximum age,
and a student credit cap, so every branch of the evaluation runs.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from verifier.credit import BadgeFacts, RuleSet, evaluate, parse_rules

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
ISSUER = "did:web:badges.example.edu:orgs:lincoln-hs"
N_ACHIEVEMENTS = 40


def _achievement(index: int) -> str:
    return f"https://consortium.example/achievements/skill-{index % N_ACHIEVEMENTS:02d}"


def synthetic_rules(n_rules: int = 200) -> RuleSet:
    """``n_rules`` rules over 40 achievements, parsed and validated like a rules file."""
    rules: list[dict[str, Any]] = []
    for index in range(n_rules):
        first: dict[str, Any] = (
            {"alignment": f"FRAMEWORK.{index % N_ACHIEVEMENTS}"}
            if index % 7 == 0
            else {"achievement_id": _achievement(index), "min_level": 3 + index % 2}
        )
        if index % 3 == 0:
            first["max_age"] = "P5Y"
        matchers = [first]
        if index % 5 == 0:
            matchers.append({"achievement_id": _achievement(index + 1), "min_evidence": 1})
        rules.append(
            {
                "id": f"rule-{index:03d}",
                "accepts": {"all_of": matchers},
                "grants": {
                    "course_code": f"C {index:03d}",
                    "course_title": f"Course {index}",
                    "credits": 1 + index % 4,
                },
                "letter_grade": index % 4 == 0,
            }
        )
    return parse_rules(
        {
            "institution": {"name": "Benchmark College", "id": "https://bench.example/"},
            "trusted_issuers": [{"id": ISSUER, "name": "Lincoln High School"}],
            "grade_policy": {"name": "Letters", "levels": {4: "A", 3: "B", 2: "C", 1: "D"}},
            "limits": {"max_total_credits": 60},
            "rules": rules,
        },
        source="synthetic",
    )


def synthetic_badges(n_badges: int = 50) -> list[BadgeFacts]:
    """``n_badges`` verified badges over the same 40 achievements, levels 2 to 4, up to 7 years old."""
    return [
        BadgeFacts(
            credential_id=f"urn:example:badge:{index:03d}",
            issuer_id=ISSUER,
            verdict="valid" if index % 11 else "invalid",
            achievement_id=_achievement(index * 3),
            version="1",
            alignments=(f"FRAMEWORK.{index * 3 % N_ACHIEVEMENTS}",),
            level=2 + index % 3,
            awarded=NOW - timedelta(days=37 * index),
            attester_role="teacher",
            evidence_count=1 + index % 2,
        )
        for index in range(n_badges)
    ]


def bench_credit(n_badges: int = 50, n_rules: int = 200, *, rounds: int = 3, n: int = 5) -> float:
    """Seconds per evaluation: the median over ``rounds`` of ``n`` evaluations, after a warm-up."""
    rules = synthetic_rules(n_rules)
    badges = synthetic_badges(n_badges)
    evaluate(badges, rules, now=NOW)
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            evaluate(badges, rules, now=NOW)
        timings.append((time.perf_counter() - start) / n)
    return statistics.median(timings)


def run() -> str:
    """The benchmark line, e.g. ``credit evaluation, 50 badges x 200 rules: 45.1 ms (...)``."""
    rules = synthetic_rules()
    decision = evaluate(synthetic_badges(), rules, now=NOW)
    seconds = bench_credit()
    return (
        f"credit evaluation, 50 badges x 200 rules: {seconds * 1000:.1f} ms per evaluation "
        f"({len(decision.granted)} rules granted, {sum(len(r.badges) for r in decision.rules):,} reason lines; "
        "median of 3 rounds)"
    )


if __name__ == "__main__":
    print(run())
