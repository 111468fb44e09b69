"""Apply an institution's credit rules to a student's badges, with the reason for every outcome.

The policy (docs/credit-rules.md explains why):

- Only badges whose verification verdict is ``valid`` count.
- Badges are first sorted by a stable key, so the input order never matters; rules apply in file order.
- Each rule grants at most once. It takes, for each of its matchers in order, the best eligible badge
  not yet counted (highest level, then newest, then credential id), such that the remaining matchers can
  still be satisfied by distinct badges; it grants only when every matcher has its own badge.
- A badge that helped grant a rule is counted: no later rule may use it.
- A course is granted once unless its rules set ``max_course_credits``; then its credits accumulate up
  to that cap. The student cap (``limits.max_total_credits``) reduces or refuses later grants.
- A letter grade is given only by rules with ``letter_grade: true``, from the grade policy, for the
  lowest mastery level among the badges used.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from verifier.credit.rules import CompetencyGrant, CourseGrant

if TYPE_CHECKING:
    from collections.abc import Sequence

    from verifier.credit.facts import BadgeFacts
    from verifier.credit.rules import BadgeMatcher, CreditRule, RuleSet

__all__ = [
    "BadgeLine",
    "BadgeSummary",
    "CreditDecision",
    "GrantedCredit",
    "LineStatus",
    "RuleOutcome",
    "evaluate",
]

#: How one badge stands towards one rule.
LineStatus = Literal[
    "used",  # helped grant this rule
    "eligible",  # meets a matcher, but was not used (not needed, rule incomplete or refused)
    "already-counted",  # meets a matcher, but an earlier rule used it
    "ineligible",  # the right badge, but a condition fails (level, age, issuer, ...)
    "not-accepted",  # not a badge this rule asks for
    "not-verified",  # verification verdict is not "valid"
    "duplicate",  # the same credential id as another input
]
Outcome = Literal["granted", "reduced", "refused", "not-matched"]


@dataclass(frozen=True)
class BadgeLine:
    """Why one badge did or did not count for one rule."""

    badge: str
    status: LineStatus
    reason: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"badge": self.badge, "status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class RuleOutcome:
    """What one rule did, and a line for every badge."""

    rule_id: str
    title: str | None
    grants: str
    outcome: Outcome
    reason: str
    badges: tuple[BadgeLine, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "rule": self.rule_id,
            "title": self.title,
            "grants": self.grants,
            "outcome": self.outcome,
            "reason": self.reason,
            "badges": [line.to_json() for line in self.badges],
        }


@dataclass(frozen=True)
class GrantedCredit:
    """One grant: a course with credits, or a CTE competency level."""

    rule_id: str
    badges: tuple[str, ...]
    course_code: str | None = None
    course_title: str | None = None
    credits: Decimal | None = None
    cte_competency: str | None = None
    competency_title: str | None = None
    competency_level: int | None = None
    letter_grade: str | None = None
    grade_policy: str | None = None
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON form (absent parts omitted)."""
        value: dict[str, Any] = {
            "rule": self.rule_id,
            "courseCode": self.course_code,
            "courseTitle": self.course_title,
            "credits": None if self.credits is None else _number(self.credits),
            "cteCompetency": self.cte_competency,
            "competencyTitle": self.competency_title,
            "competencyLevel": self.competency_level,
            "letterGrade": self.letter_grade,
            "gradePolicy": self.grade_policy,
            "badges": list(self.badges),
            "notes": list(self.notes),
        }
        return {key: item for key, item in value.items() if item is not None}


@dataclass(frozen=True)
class BadgeSummary:
    """One input badge as the decision saw it."""

    badge: str
    achievement_id: str | None
    achievement_name: str | None
    issuer_id: str | None
    level: int | None
    awarded: datetime | None
    verdict: str
    counted_for: str | None
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "badge": self.badge,
            "achievement": self.achievement_id,
            "achievementName": self.achievement_name,
            "issuer": self.issuer_id,
            "level": self.level,
            "awarded": None if self.awarded is None else _iso(self.awarded),
            "verdict": self.verdict,
            "countedFor": self.counted_for,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class CreditDecision:
    """The outcome of :func:`evaluate`: what is granted, and why for every badge and every rule."""

    institution_name: str
    institution_id: str
    evaluated_at: datetime
    granted: tuple[GrantedCredit, ...]
    rules: tuple[RuleOutcome, ...]
    badges: tuple[BadgeSummary, ...]
    total_credits: Decimal
    #: The highest level granted per CTE competency, by competency code.
    competencies: tuple[tuple[str, int], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The decision as JSON-ready data (what ``badges transfer --json`` prints)."""
        return {
            "institution": {"name": self.institution_name, "id": self.institution_id},
            "evaluatedAt": _iso(self.evaluated_at),
            "granted": [grant.to_json() for grant in self.granted],
            "totals": {
                "credits": _number(self.total_credits),
                "courses": sum(1 for g in self.granted if g.course_code is not None),
                "competencies": dict(self.competencies),
                "badgesCounted": sum(1 for b in self.badges if b.counted_for is not None),
                "badges": len(self.badges),
            },
            "rules": [rule.to_json() for rule in self.rules],
            "badges": [badge.to_json() for badge in self.badges],
        }

    def render_text(self, *, all_lines: bool = False) -> str:
        """A readable report: the grants as a table, then each rule with the reason for each badge.

        Args:
            all_lines: Also list, one by one, the badges a rule does not ask for (by default they are
                counted in one line per rule).

        Returns:
            The report, lines joined with newlines, ending with a newline.
        """
        out = [f"Credit decision for {self.institution_name} ({self.institution_id})"]
        out.append(
            f"evaluated at {_iso(self.evaluated_at)}; {_plural(len(self.badges), 'badge')}, "
            f"{_plural(len(self.rules), 'rule')}"
        )
        out.append("")
        if self.granted:
            rows = [("rule", "grants", "credits", "grade", "badges")]
            for grant in self.granted:
                if grant.course_code is not None:
                    what = f"{grant.course_code} {grant.course_title}"
                else:
                    title = f" {grant.competency_title}" if grant.competency_title else ""
                    what = f"{grant.cte_competency}{title}, level {grant.competency_level}"
                grade = "" if grant.letter_grade is None else f"{grant.letter_grade} ({grant.grade_policy})"
                amount = "" if grant.credits is None else _credits_text(grant.credits)
                rows.append((grant.rule_id, what, amount, grade, ", ".join(grant.badges)))
            out += _table(rows)
            for grant in self.granted:
                out += [f"  note ({grant.rule_id}): {note}" for note in grant.notes]
        else:
            out.append("Nothing granted.")
        totals = f"Total: {_plural(self.total_credits, 'credit')}"
        if self.competencies:
            totals += "; competencies: " + ", ".join(
                f"{code} level {level}" for code, level in self.competencies
            )
        out += [totals, "", "Rules"]
        for rule in self.rules:
            title = f" ({rule.title})" if rule.title else ""
            out.append(f"- {rule.rule_id}{title} -> {rule.grants}: {rule.outcome}: {rule.reason}")
            hidden = 0
            for line in rule.badges:
                if line.status == "not-accepted" and not all_lines:
                    hidden += 1
                    continue
                out.append(f"    {line.badge}: {line.reason}")
            if hidden:
                out.append(
                    f"    ({hidden} other badge{'s' if hidden != 1 else ''}: not asked for by this rule)"
                )
        out += ["", "Badges"]
        for badge in self.badges:
            counted = f"counted for {badge.counted_for}" if badge.counted_for else "not counted"
            level = "no level" if badge.level is None else f"level {badge.level}"
            name = badge.achievement_name or badge.achievement_id or "unknown achievement"
            out.append(f"- {badge.badge}: {name}, {level}, {badge.verdict}; {counted}")
            out += [f"    note: {note}" for note in badge.notes]
        return "\n".join(out) + "\n"


# --- helpers ---------------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _credits_text(value: Decimal) -> str:
    return str(_number(value))


def _plural(count: Decimal | int, word: str) -> str:
    return f"{_credits_text(Decimal(count))} {word}{'' if count == 1 else 's'}"


def _article(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


@dataclass(frozen=True)
class _Badge:
    ref: str
    facts: BadgeFacts
    awarded: datetime | None  # timezone-aware

    @property
    def verified(self) -> bool:
        return self.facts.verdict == "valid"


def _content_key(facts: BadgeFacts) -> tuple[Any, ...]:
    awarded = "" if facts.awarded is None else _aware(facts.awarded).isoformat()
    return (
        facts.verdict != "valid",
        facts.verdict,
        facts.achievement_id or "",
        facts.version or "",
        facts.level or 0,
        awarded,
        facts.issuer_id or "",
        facts.issuer_name or "",
        facts.achievement_name or "",
        facts.achievement_type or "",
        facts.alignments,
        facts.attester_role or "",
        facts.evidence_count,
        facts.endorsers,
        facts.notes,
    )


def _aware(moment: datetime) -> datetime:
    return (
        moment if moment.tzinfo is not None and moment.utcoffset() is not None else moment.replace(tzinfo=UTC)
    )


def _ref(facts: BadgeFacts) -> str:
    if facts.credential_id is not None:
        return facts.credential_id
    # No id: name the badge by its content, so the name does not depend on the other inputs.
    digest = hashlib.sha256(json.dumps(_content_key(facts), default=str).encode()).hexdigest()
    return f"(no id) sha256:{digest[:16]}"


def _best_first(badge: _Badge) -> tuple[int, float, str]:
    awarded = badge.awarded.timestamp() if badge.awarded is not None else float("-inf")
    return (-(badge.facts.level or 0), -awarded, badge.ref)


# --- the conditions of one matcher ---------------------------------------------------------------------


def _identity_matches(matcher: BadgeMatcher, facts: BadgeFacts) -> bool:
    if matcher.achievement_id is not None:
        return facts.achievement_id == matcher.achievement_id
    return matcher.alignment in facts.alignments


def _failures(matcher: BadgeMatcher, badge: _Badge, rules: RuleSet, *, now: datetime) -> list[str]:
    """Every condition of ``matcher`` the badge fails (empty: eligible). Its identity already matches."""
    facts = badge.facts
    failed: list[str] = []
    versions = matcher.version_texts
    if versions is not None and facts.version not in versions:
        failed.append(f"version {facts.version or '(none)'} not accepted (accepts {', '.join(versions)})")
    trusted = rules.trusted_issuer(facts.issuer_id)
    if facts.issuer_id is None:
        failed.append("the credential names no issuer")
    elif trusted is None:
        failed.append(f"issuer {facts.issuer_id} is not trusted")
    elif trusted.for_achievements is not None and facts.achievement_id not in trusted.for_achievements:
        failed.append(f"issuer {facts.issuer_id} ({trusted.name}) is not trusted for this badge")
    elif matcher.issuers is not None and facts.issuer_id not in matcher.issuers:
        failed.append(f"issuer {facts.issuer_id} is not one this rule accepts ({', '.join(matcher.issuers)})")
    if facts.level is None:
        failed.append(f"no readable mastery level (required {matcher.min_level})")
    elif facts.level < matcher.min_level:
        failed.append(f"level {facts.level} < required {matcher.min_level}")
    duration = matcher.max_age_duration
    if duration is not None:
        if badge.awarded is None:
            failed.append(f"no award date, so its age cannot be checked (at most {matcher.max_age})")
        else:
            limit = duration.after(badge.awarded)
            if limit is not None and limit < now:
                failed.append(
                    f"issued {badge.awarded.astimezone(UTC).date().isoformat()}, older than "
                    f"{duration.describe()} ({matcher.max_age}) at {now.astimezone(UTC).date().isoformat()}"
                )
    role = matcher.required_attester_role
    if role is not None and facts.attester_role != role:
        failed.append(
            f"no attester role in the credential (required: {role})"
            if facts.attester_role is None
            else f"attested by {_article(facts.attester_role)}, not {_article(role)}"
        )
    if matcher.endorsed_by is not None and not set(matcher.endorsed_by) & set(facts.endorsers):
        wanted = ", ".join(rules.endorser_name(endorser) for endorser in matcher.endorsed_by)
        found = ", ".join(rules.endorser_name(endorser) for endorser in facts.endorsers)
        failed.append(
            f"not endorsed by {wanted}"
            + (f" (valid endorsements only by {found})" if found else " (no valid endorsement of this badge)")
        )
    if matcher.min_evidence is not None and facts.evidence_count < matcher.min_evidence:
        items = "item" if facts.evidence_count == 1 else "items"
        failed.append(f"{facts.evidence_count} evidence {items} < required {matcher.min_evidence}")
    return failed


# --- distinct badges for the matchers of one rule ------------------------------------------------------


def _augment(
    matcher: int, candidates: Sequence[Sequence[int]], owner: dict[int, int], seen: set[int]
) -> bool:
    for badge in candidates[matcher]:
        if badge in seen:
            continue
        seen.add(badge)
        if badge not in owner or _augment(owner[badge], candidates, owner, seen):
            owner[badge] = matcher
            return True
    return False


def _maximum_matching(candidates: Sequence[Sequence[int]]) -> dict[int, int]:
    """Kuhn's augmenting paths: badge -> matcher, as many matchers covered as possible."""
    owner: dict[int, int] = {}
    for matcher in range(len(candidates)):
        _augment(matcher, candidates, owner, set())
    return owner


def _assign(candidates: Sequence[Sequence[int]]) -> list[int] | None:
    """The first complete assignment in matcher order, each matcher taking its best feasible candidate.

    ``candidates[m]`` lists the badges matcher ``m`` accepts, best first. None if no assignment of
    distinct badges covers every matcher.
    """
    if len(_maximum_matching(candidates)) < len(candidates):
        return None
    chosen: list[int] = []
    for index, options in enumerate(candidates):
        taken = set(chosen)
        for badge in options:
            if badge in taken:
                continue
            rest = [[c for c in later if c not in taken and c != badge] for later in candidates[index + 1 :]]
            if len(_maximum_matching(rest)) == len(rest):
                chosen.append(badge)
                break
    return chosen


# --- the evaluation ------------------------------------------------------------------------------------


@dataclass
class _State:
    """What earlier rules granted: badge ref -> (rule id, grant label); course code -> (credits, first
    rule); competency code -> (level, rule id); the student's credit total."""

    used: dict[str, tuple[str, str]] = field(default_factory=dict)
    course_credits: dict[str, tuple[Decimal, str]] = field(default_factory=dict)
    competencies: dict[str, tuple[int, str]] = field(default_factory=dict)
    total: Decimal = Decimal(0)


def _apply_limits(
    rule: CreditRule, rules: RuleSet, state: _State
) -> tuple[Decimal | None, list[str], str | None]:
    """Credits to grant (None for a competency), notes on reductions, or the reason it is refused."""
    grant = rule.grants
    if isinstance(grant, CompetencyGrant):
        held = state.competencies.get(grant.cte_competency)
        if held is not None and held[0] >= grant.level:
            return None, [], f"{grant.cte_competency} already granted at level {held[0]} by rule {held[1]}"
        return None, [], None
    amount = Decimal(str(grant.credits))
    notes: list[str] = []
    granted = state.course_credits.get(grant.course_code)
    cap = rule.limits.max_course_credits if rule.limits else None
    if granted is not None and cap is None:
        return amount, [], f"{grant.course_code} already granted by rule {granted[1]}"
    if cap is not None:
        room = Decimal(str(cap)) - (granted[0] if granted else Decimal(0))
        if room <= 0:
            return (
                amount,
                [],
                f"course cap of {_plural(Decimal(str(cap)), 'credit')} for {grant.course_code} reached",
            )
        if room < amount:
            notes.append(
                f"reduced from {_credits_text(amount)} to {_credits_text(room)}: course cap of "
                f"{_plural(Decimal(str(cap)), 'credit')} for {grant.course_code}"
            )
            amount = room
    student_cap = rules.limits.max_total_credits if rules.limits else None
    if student_cap is not None:
        cap_value = Decimal(str(student_cap))
        room = cap_value - state.total
        if room <= 0:
            return amount, [], f"student cap of {_plural(cap_value, 'credit')} reached"
        if room < amount:
            notes.append(
                f"reduced from {_credits_text(amount)} to {_credits_text(room)}: student cap of "
                f"{_plural(cap_value, 'credit')}"
            )
            amount = room
    return amount, notes, None


def _evaluate_rule(
    rule: CreditRule,
    badges: Sequence[_Badge],
    duplicates: set[int],
    rules: RuleSet,
    state: _State,
    *,
    now: datetime,
) -> tuple[RuleOutcome, GrantedCredit | None]:
    matchers = rule.accepts.all_of
    # per badge: indices of matchers whose identity it has, and the failures for each
    relevant: list[list[tuple[int, list[str]]]] = []
    candidates: list[list[int]] = [[] for _ in matchers]
    counted: list[list[str]] = [[] for _ in matchers]  # eligible, but an earlier rule used them
    for b_index, badge in enumerate(badges):
        found: list[tuple[int, list[str]]] = []
        if badge.verified and b_index not in duplicates:
            for m_index, matcher in enumerate(matchers):
                if _identity_matches(matcher, badge.facts):
                    failures = _failures(matcher, badge, rules, now=now)
                    found.append((m_index, failures))
                    if not failures and badge.ref not in state.used:
                        candidates[m_index].append(b_index)
                    elif not failures:
                        counted[m_index].append(badge.ref)
        relevant.append(found)
    for options in candidates:
        options.sort(key=lambda i: _best_first(badges[i]))

    assignment = _assign(candidates)
    grant: GrantedCredit | None = None
    refused: str | None = None
    missing: list[str] = []
    if assignment is None:
        covered = set(_maximum_matching(candidates).values())
        missing = [matchers[m].display for m in range(len(matchers)) if m not in covered]
        why = [
            matchers[m].display + (f" (already counted: {', '.join(counted[m])})" if counted[m] else "")
            for m in range(len(matchers))
            if m not in covered
        ]
        outcome: Outcome = "not-matched"
        if len(matchers) == 1:
            reason = f"no eligible badge for {why[0]}"
        elif not covered:
            reason = "no eligible badges for: " + "; ".join(why)
        else:
            reason = "needs also: " + "; ".join(why)
    else:
        amount, notes, refused = _apply_limits(rule, rules, state)
        used_refs = tuple(badges[i].ref for i in assignment)
        if refused is not None:
            outcome = "refused"
            reason = f"badges found ({', '.join(used_refs)}), but {refused}"
        else:
            grant = _grant(rule, rules, [badges[i] for i in assignment], amount, notes)
            outcome = "reduced" if notes else "granted"
            what = rule.label if amount is None else f"{_plural(amount, 'credit')} for {rule.label}"
            reason = f"{what} with {', '.join(used_refs)}" + (f" ({'; '.join(notes)})" if notes else "")
            _record(rule, grant, amount, used_refs, state)

    lines = tuple(
        _line(
            rule,
            matchers,
            badge,
            b_index in duplicates,
            relevant[b_index],
            assignment,
            badges,
            state,
            grant,
            refused,
            missing,
        )
        for b_index, badge in enumerate(badges)
    )
    return RuleOutcome(rule.id, rule.title, rule.label, outcome, reason, lines), grant


def _grant(
    rule: CreditRule, rules: RuleSet, used: list[_Badge], amount: Decimal | None, notes: list[str]
) -> GrantedCredit:
    refs = tuple(b.ref for b in used)
    grant = rule.grants
    if isinstance(grant, CompetencyGrant):
        return GrantedCredit(
            rule_id=rule.id,
            badges=refs,
            cte_competency=grant.cte_competency,
            competency_title=grant.competency_title,
            competency_level=grant.level,
        )
    letter: str | None = None
    policy: str | None = None
    if rule.letter_grade and rules.grade_policy is not None:
        lowest = min(b.facts.level or 0 for b in used)
        letter = rules.grade_policy.levels.get(lowest)
        policy = rules.grade_policy.name
        notes = [*notes, f"letter grade {letter} for mastery level {lowest} under {policy}"]
    return GrantedCredit(
        rule_id=rule.id,
        badges=refs,
        course_code=grant.course_code,
        course_title=grant.course_title,
        credits=amount,
        letter_grade=letter,
        grade_policy=policy,
        notes=tuple(notes),
    )


def _record(
    rule: CreditRule, grant: GrantedCredit, amount: Decimal | None, refs: tuple[str, ...], state: _State
) -> None:
    for ref in refs:
        state.used[ref] = (rule.id, rule.label)
    if isinstance(rule.grants, CourseGrant) and amount is not None:
        before = state.course_credits.get(rule.grants.course_code)
        state.course_credits[rule.grants.course_code] = (
            (before[0] if before else Decimal(0)) + amount,
            before[1] if before else rule.id,
        )
        state.total += amount
    elif isinstance(rule.grants, CompetencyGrant) and grant.competency_level is not None:
        state.competencies[rule.grants.cte_competency] = (grant.competency_level, rule.id)


def _line(
    rule: CreditRule,
    matchers: Sequence[BadgeMatcher],
    badge: _Badge,
    duplicate: bool,
    relevant: list[tuple[int, list[str]]],
    assignment: list[int] | None,
    badges: Sequence[_Badge],
    state: _State,
    grant: GrantedCredit | None,
    refused: str | None,
    missing: list[str],
) -> BadgeLine:
    ref = badge.ref
    if duplicate:
        return BadgeLine(ref, "duplicate", "the same credential id as another input; counted once")
    if not badge.verified:
        return BadgeLine(ref, "not-verified", f"not verified: {badge.facts.verdict}")
    if not relevant:
        accepted = "; ".join(m.display for m in matchers)
        return BadgeLine(ref, "not-accepted", f"not a badge this rule asks for ({accepted})")
    eligible = [m for m, failures in relevant if not failures]
    if not eligible:
        if len(relevant) == 1:
            return BadgeLine(ref, "ineligible", "; ".join(relevant[0][1]))
        parts = [f"as {matchers[m].display}: {'; '.join(failures)}" for m, failures in relevant]
        return BadgeLine(ref, "ineligible", " | ".join(parts))
    if grant is not None and ref in grant.badges and assignment is not None:
        matcher = _matcher_for(ref, assignment, badges, matchers)
        return BadgeLine(ref, "used", f"used for {rule.label} as {matcher.display}{_level_text(badge)}")
    earlier = state.used.get(ref)
    if earlier is not None and earlier[0] != rule.id:
        return BadgeLine(ref, "already-counted", f"already counted for {earlier[1]} (rule {earlier[0]})")
    display = matchers[eligible[0]].display
    if refused is not None:
        return BadgeLine(ref, "eligible", f"eligible as {display}, but {refused}")
    if grant is not None:
        return BadgeLine(
            ref, "eligible", f"eligible as {display}, but not needed: granted with {', '.join(grant.badges)}"
        )
    if missing:
        return BadgeLine(
            ref, "eligible", f"eligible as {display}, but the rule needs also: {'; '.join(missing)}"
        )
    return BadgeLine(ref, "eligible", f"eligible as {display}, but not needed")


def _matcher_for(
    ref: str, assignment: list[int], badges: Sequence[_Badge], matchers: Sequence[BadgeMatcher]
) -> BadgeMatcher:
    for m_index, b_index in enumerate(assignment):
        if badges[b_index].ref == ref:
            return matchers[m_index]
    return matchers[0]


def _level_text(badge: _Badge) -> str:
    return "" if badge.facts.level is None else f" (level {badge.facts.level})"


def evaluate(badges: Sequence[BadgeFacts], rules: RuleSet, *, now: datetime) -> CreditDecision:
    """Apply ``rules`` to a student's badges: what is granted, and why for every badge and every rule.

    Deterministic: the same badges in any order, with the same rules and ``now``, give an equal decision.

    Args:
        badges: The student's badges, as :func:`~verifier.credit.facts.facts_from_credential` read them
            (with their verification verdicts).
        rules: The institution's rules (:func:`~verifier.credit.rules.load_rules`).
        now: The evaluation time (for ``max_age``); timezone-aware.

    Returns:
        The decision.

    Raises:
        TypeError: ``now`` is a naive datetime.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise TypeError("now must be a timezone-aware datetime")
    ordered = sorted(
        (_Badge(_ref(f), f, None if f.awarded is None else _aware(f.awarded)) for f in badges),
        key=lambda b: (b.ref, _content_key(b.facts)),
    )
    duplicates: set[int] = set()
    seen: set[str] = set()
    for index, badge in enumerate(ordered):
        if badge.ref in seen:
            duplicates.add(index)
        seen.add(badge.ref)

    state = _State()
    outcomes: list[RuleOutcome] = []
    granted: list[GrantedCredit] = []
    for rule in rules.rules:
        outcome, grant = _evaluate_rule(rule, ordered, duplicates, rules, state, now=now)
        outcomes.append(outcome)
        if grant is not None:
            granted.append(grant)

    summaries = tuple(
        BadgeSummary(
            badge=badge.ref,
            achievement_id=badge.facts.achievement_id,
            achievement_name=badge.facts.achievement_name,
            issuer_id=badge.facts.issuer_id,
            level=badge.facts.level,
            awarded=badge.awarded,
            verdict=badge.facts.verdict,
            counted_for=None if index in duplicates else state.used.get(badge.ref, (None, ""))[0],
            notes=badge.facts.notes,
        )
        for index, badge in enumerate(ordered)
    )
    return CreditDecision(
        institution_name=rules.institution.name,
        institution_id=rules.institution.id,
        evaluated_at=now,
        granted=tuple(granted),
        rules=tuple(outcomes),
        badges=summaries,
        total_credits=state.total,
        competencies=tuple(sorted((code, level) for code, (level, _) in state.competencies.items())),
    )
