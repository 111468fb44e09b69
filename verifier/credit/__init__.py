"""Credit transfer: an institution's rules applied to a student's verified badges, with reasons.

Pure and deterministic: stdlib, pydantic and pyyaml only; the only I/O is :func:`load_rules`.
See docs/credit-rules.md. In short::

    rules = load_rules(Path("badge_defs/credit_rules/riverbend-community-college.yaml"))
    badges = [facts_from_credential(credential, verdict=verdict) for credential, verdict in verified]
    print(evaluate(badges, rules, now=now).render_text())
"""

from __future__ import annotations

from verifier.credit.evaluate import (
    BadgeLine,
    BadgeSummary,
    CreditDecision,
    GrantedCredit,
    RuleOutcome,
    evaluate,
)
from verifier.credit.facts import BadgeFacts, facts_from_credential
from verifier.credit.rules import RuleSet, credit_rules_json_schema, load_rules, parse_rules

__all__ = [
    "BadgeFacts",
    "BadgeLine",
    "BadgeSummary",
    "CreditDecision",
    "GrantedCredit",
    "RuleOutcome",
    "RuleSet",
    "credit_rules_json_schema",
    "evaluate",
    "facts_from_credential",
    "load_rules",
    "parse_rules",
]
