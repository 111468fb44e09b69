"""An institution's credit-transfer rules: the YAML file, its model, and its loader.

A rules file says, for one college or CTE program, which badges it accepts from which issuers, at which
mastery level and how recent, and what each grants (a course and credits, or a CTE competency level).
See docs/credit-rules.md for the format and badge_defs/credit_rules/ for examples.

Everything here is pure except :func:`load_rules`, which reads one file.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from verifier.durations import DURATION_SCHEMA_PATTERN, CalendarDuration
from verifier.errors import CreditRulesError
from verifier.parsing import dotted, field_message, is_echo, load_yaml, yaml_problem

if TYPE_CHECKING:
    from pathlib import Path

    from pydantic_core import ErrorDetails

__all__ = [
    "AcceptSpec",
    "BadgeMatcher",
    "CalendarDuration",
    "CompetencyGrant",
    "CourseGrant",
    "CreditRule",
    "GradePolicy",
    "Institution",
    "RuleLimits",
    "RuleSet",
    "RuleSetLimits",
    "TrustedEndorser",
    "TrustedIssuer",
    "credit_rules_json_schema",
    "load_rules",
    "parse_rules",
]

_LOWEST_LEVEL = 1
_HIGHEST_LEVEL = 4
_ABSOLUTE_URI = r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"
_RULE_ID = r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$"
_CROSS_FIELD = "credit_rules_inconsistent"
_UNION_TAGS = frozenset({"course", "competency"})


def _check_duration(value: str) -> str:
    parsed = CalendarDuration.parse(value)
    if parsed is None:
        raise PydanticCustomError(
            "credit_duration",
            "'{value}' is not an ISO 8601 duration in years, months and days (e.g. 'P5Y', 'P18M', "
            "'P1Y6M'); weeks and times of day are not allowed",
            {"value": value},
        )
    if not any(parsed):
        raise PydanticCustomError("credit_duration", "'{value}' is zero", {"value": value})
    return value


def _matching(pattern: str, error_type: str, message: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if compiled.search(value) is None:
            raise PydanticCustomError(error_type, message, {"value": value})
        return value

    return AfterValidator(check)


Text = Annotated[
    str,
    Strict(),
    _matching(r"\S", "credit_blank", "must not be empty or blank"),
    Field(json_schema_extra={"pattern": r"\S"}),
]
AbsoluteUri = Annotated[
    str,
    Strict(),
    _matching(_ABSOLUTE_URI, "credit_uri", "'{value}' is not an absolute URI (scheme:..., no spaces)"),
    Field(json_schema_extra={"format": "uri", "pattern": _ABSOLUTE_URI}),
]
RuleId = Annotated[
    str,
    Strict(),
    _matching(
        _RULE_ID,
        "credit_rule_id",
        "'{value}' is not a rule id: lowercase letters and digits, in groups joined by '-', '_' or '.'",
    ),
    Field(json_schema_extra={"pattern": _RULE_ID}),
]
Level = Annotated[int, Strict(), Field(ge=_LOWEST_LEVEL, le=_HIGHEST_LEVEL)]
Duration = Annotated[
    str,
    Strict(),
    AfterValidator(_check_duration),
    Field(json_schema_extra={"pattern": DURATION_SCHEMA_PATTERN}),
]
Credits = Annotated[float, Strict(), Field(gt=0, le=1000, allow_inf_nan=False)]
AttesterRole = Literal["teacher", "supervisor", "admin"]


class _Frozen(BaseModel):
    # extra="forbid": a misspelt field name is an error, not a silently ignored condition.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Institution(_Frozen):
    """The college or program whose rules these are."""

    name: Text = Field(description="Name shown on the decision.")
    id: AbsoluteUri = Field(description="URI identifying the institution.")


class TrustedIssuer(_Frozen):
    """An issuer whose badges this institution accepts."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: AbsoluteUri = Field(description="The issuer's id as in the credential's issuer (a DID or URL).")
    name: Text = Field(description="Name of the issuing organisation.")
    for_achievements: tuple[AbsoluteUri, ...] | None = Field(
        default=None,
        alias="for",
        min_length=1,
        description="Achievement ids this issuer is trusted for; absent: every badge it issues.",
    )


class TrustedEndorser(_Frozen):
    """An organisation whose endorsements of a badge this institution relies on (often itself)."""

    id: AbsoluteUri = Field(description="The endorser's id as in the EndorsementCredential's issuer.")
    name: Text = Field(description="Name of the endorsing organisation, shown in reasons.")


class GradePolicy(_Frozen):
    """An explicit translation of mastery levels into letter grades, applied only where a rule asks."""

    name: Text = Field(description="Name of the policy, shown with every letter grade it gives.")
    levels: dict[Level, Text] = Field(
        min_length=1,
        description="Mastery level (1..4) -> letter grade, e.g. {4: A, 3: B}.",
        json_schema_extra={"propertyNames": {"pattern": "^[1-4]$"}},
    )


class BadgeMatcher(_Frozen):
    """One badge a rule needs: what it must be, and the conditions it must meet."""

    achievement_id: AbsoluteUri | None = Field(
        default=None, description="The achievement's id (give this or alignment)."
    )
    versions: tuple[Annotated[str, Strict()] | Annotated[int, Strict()], ...] | None = Field(
        default=None, min_length=1, description="Accepted achievement versions; absent: any version."
    )
    alignment: Text | None = Field(
        default=None,
        description="A framework item's target URL or code the badge's achievement aligns to "
        "(give this or achievement_id).",
    )
    label: Text | None = Field(default=None, description="Short name of the badge in reasons.")
    min_level: Level = Field(default=3, description="Lowest mastery level accepted (1..4).")
    max_age: Duration | None = Field(
        default=None, description="ISO 8601 duration (P5Y): the badge must be awarded no longer ago."
    )
    issuers: tuple[AbsoluteUri, ...] | None = Field(
        default=None,
        min_length=1,
        description="Issuer ids (from trusted_issuers); absent: any trusted issuer.",
    )
    required_attester_role: AttesterRole | None = Field(
        default=None, description="Who must have attested the mastery: teacher, supervisor or admin."
    )
    min_evidence: Annotated[int, Strict(), Field(ge=1)] | None = Field(
        default=None, description="Minimum number of evidence entries in the credential."
    )
    endorsed_by: tuple[AbsoluteUri, ...] | None = Field(
        default=None,
        min_length=1,
        description="Endorser ids (from trusted_endorsers): the badge's achievement must carry a valid "
        "embedded endorsement by one of them.",
    )

    @model_validator(mode="after")
    def _one_identity(self) -> BadgeMatcher:
        problems: list[_Problem] = []
        if (self.achievement_id is None) == (self.alignment is None):
            problems.append((("achievement_id",), "give exactly one of achievement_id and alignment"))
        if self.versions is not None and self.achievement_id is None:
            problems.append((("versions",), "versions needs achievement_id"))
        _raise_problems(problems)
        return self

    @property
    def display(self) -> str:
        """How reasons name this badge."""
        if self.label is not None:
            return self.label
        if self.achievement_id is not None:
            return self.achievement_id
        return f"a badge aligned to {self.alignment}"

    @property
    def max_age_duration(self) -> CalendarDuration | None:
        """``max_age`` parsed."""
        return None if self.max_age is None else CalendarDuration.parse(self.max_age)

    @property
    def version_texts(self) -> tuple[str, ...] | None:
        """``versions`` as the strings credentials carry."""
        return None if self.versions is None else tuple(str(v) for v in self.versions)


class AcceptSpec(_Frozen):
    """What a rule accepts: every matcher of ``all_of``, each by a different badge."""

    all_of: tuple[BadgeMatcher, ...] = Field(min_length=1, description="Badges needed together.")


class CourseGrant(_Frozen):
    """A course and its credits."""

    course_code: Text = Field(description="e.g. 'MATH 025'.")
    course_title: Text = Field(description="e.g. 'Pre-Algebra'.")
    credits: Credits = Field(description="Credits granted (positive).")

    @property
    def label(self) -> str:
        """``MATH 025``: how reasons name the grant."""
        return self.course_code


class CompetencyGrant(_Frozen):
    """A CTE program competency, at a level of that program's scale."""

    cte_competency: Text = Field(description="Code of the program's competency, e.g. 'WLD-SMAW-F'.")
    competency_title: Text | None = Field(default=None, description="Its title.")
    level: Annotated[int, Strict(), Field(ge=1, le=10)] = Field(description="Competency level granted.")

    @property
    def label(self) -> str:
        """``WLD-SMAW-F level 2``: how reasons name the grant."""
        return f"{self.cte_competency} level {self.level}"


def _grant_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "competency" if "cte_competency" in value else "course"
    if isinstance(value, CompetencyGrant):
        return "competency"
    return "course" if isinstance(value, CourseGrant) else None


Grant = Annotated[
    Annotated[CourseGrant, Tag("course")] | Annotated[CompetencyGrant, Tag("competency")],
    Discriminator(_grant_kind),
]


class RuleLimits(_Frozen):
    """Limits of one rule."""

    max_course_credits: Credits | None = Field(
        default=None,
        description="Most credits this course may receive across all rules granting it; absent: the "
        "course is granted once.",
    )


class RuleSetLimits(_Frozen):
    """Limits over the whole decision for one student."""

    max_total_credits: Credits | None = Field(
        default=None, description="Most credits one student may receive under these rules."
    )


class CreditRule(_Frozen):
    """One equivalency: these badges together grant this course or competency."""

    id: RuleId = Field(description="Stable id, shown in decisions.")
    title: Text | None = Field(default=None, description="Short description.")
    accepts: AcceptSpec
    grants: Grant
    letter_grade: Annotated[bool, Strict()] = Field(
        default=False, description="Translate the mastery level with grade_policy (course grants only)."
    )
    limits: RuleLimits | None = None

    @property
    def label(self) -> str:
        """How reasons name what the rule grants (``MATH 025``)."""
        return self.grants.label


class RuleSet(_Frozen):
    """An institution's credit-transfer rules, applied in file order."""

    institution: Institution
    trusted_issuers: tuple[TrustedIssuer, ...] = Field(min_length=1)
    trusted_endorsers: tuple[TrustedEndorser, ...] = Field(
        default=(), description="Organisations whose endorsements rules may require (endorsed_by)."
    )
    grade_policy: GradePolicy | None = None
    limits: RuleSetLimits | None = None
    rules: tuple[CreditRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        problems: list[_Problem] = []
        problems += _duplicates("trusted_issuers", [t.id for t in self.trusted_issuers], field="id")
        problems += _duplicates("rules", [r.id for r in self.rules], field="id")
        problems += _duplicates("trusted_endorsers", [t.id for t in self.trusted_endorsers], field="id")
        trusted = {t.id for t in self.trusted_issuers}
        endorsers = {t.id for t in self.trusted_endorsers}
        caps: dict[str, tuple[int, float | None]] = {}
        for index, rule in enumerate(self.rules):
            for m_index, matcher in enumerate(rule.accepts.all_of):
                for i_index, issuer in enumerate(matcher.issuers or ()):
                    if issuer not in trusted:
                        problems.append(
                            (
                                ("rules", index, "accepts", "all_of", m_index, "issuers", i_index),
                                f"'{issuer}' is not in trusted_issuers",
                            )
                        )
                for e_index, endorser in enumerate(matcher.endorsed_by or ()):
                    if endorser not in endorsers:
                        problems.append(
                            (
                                ("rules", index, "accepts", "all_of", m_index, "endorsed_by", e_index),
                                f"'{endorser}' is not in trusted_endorsers",
                            )
                        )
            if rule.letter_grade:
                problems += self._grade_problems(index, rule)
            if isinstance(rule.grants, CourseGrant):
                cap = rule.limits.max_course_credits if rule.limits else None
                first = caps.setdefault(rule.grants.course_code, (index, cap))
                if first[1] != cap:
                    problems.append(
                        (
                            ("rules", index, "limits", "max_course_credits"),
                            f"{cap} differs from rule {first[0]} ({self.rules[first[0]].id}), which grants "
                            f"the same course with max_course_credits {first[1]}",
                        )
                    )
            elif rule.limits is not None and rule.limits.max_course_credits is not None:
                problems.append(
                    (("rules", index, "limits", "max_course_credits"), "only course grants have credits")
                )
        _raise_problems(problems)
        return self

    def _grade_problems(self, index: int, rule: CreditRule) -> list[_Problem]:
        if not isinstance(rule.grants, CourseGrant):
            return [(("rules", index, "letter_grade"), "letter grades apply to course grants only")]
        if self.grade_policy is None:
            return [(("rules", index, "letter_grade"), "true, but the file has no grade_policy")]
        lowest = min(m.min_level for m in rule.accepts.all_of)
        missing = [
            level for level in range(lowest, _HIGHEST_LEVEL + 1) if level not in self.grade_policy.levels
        ]
        if missing:
            return [
                (
                    ("rules", index, "letter_grade"),
                    f"grade_policy has no letter for level {', '.join(map(str, missing))}, "
                    f"which this rule accepts (min_level {lowest})",
                )
            ]
        return []

    def endorser_name(self, endorser_id: str) -> str:
        """How reasons name an endorser: ``Name (id)`` when trusted, else the id."""
        known = next((t for t in self.trusted_endorsers if t.id == endorser_id), None)
        return endorser_id if known is None else f"{known.name} ({endorser_id})"

    def trusted_issuer(self, issuer_id: str | None) -> TrustedIssuer | None:
        """The trusted-issuer entry for ``issuer_id``, if any."""
        return next((t for t in self.trusted_issuers if t.id == issuer_id), None)


# --- problems with their field paths ------------------------------------------------------------------

_Problem = tuple[tuple[str | int, ...], str]


def _raise_problems(problems: list[_Problem]) -> None:
    """Raise one pydantic error carrying every problem with its own path; the loader splits them again."""
    if problems:
        raise PydanticCustomError(
            _CROSS_FIELD,
            "{summary}",
            {
                "summary": "; ".join(f"{dotted(loc)}: {msg}" for loc, msg in problems),
                "problems": tuple(problems),
            },
        )


def _duplicates(name: str, values: list[str], *, field: str) -> list[_Problem]:
    seen: dict[str, int] = {}
    found: list[_Problem] = []
    for index, value in enumerate(values):
        if value in seen:
            found.append(((name, index, field), f"repeats entry {seen[value]} ({value!r})"))
        else:
            seen.setdefault(value, index)
    return found


_MODELS: tuple[type[BaseModel], ...] = (
    RuleSet,
    Institution,
    TrustedIssuer,
    GradePolicy,
    RuleSetLimits,
    CreditRule,
    AcceptSpec,
    BadgeMatcher,
    CourseGrant,
    CompetencyGrant,
    RuleLimits,
)
_FIELD_NAMES = sorted({f.alias or name for model in _MODELS for name, f in model.model_fields.items()})


def _explain(error: ErrorDetails) -> list[tuple[str, str]]:
    """One pydantic error as ``(field path, message)`` lines a rules author can act on."""
    raw = tuple(error["loc"])
    # The grant union adds its tag ("course"/"competency") to the path; the file has no such key.
    loc = tuple(
        part
        for index, part in enumerate(raw)
        if not (part in _UNION_TAGS and index > 0 and raw[index - 1] == "grants")
    )
    kind = error["type"]
    if kind == _CROSS_FIELD:
        problems = error.get("ctx", {}).get("problems", ())
        return [(dotted(loc + tuple(path)), message) for path, message in problems]
    if kind in {"union_tag_not_found", "union_tag_invalid", "model_attributes_type", "dict_type"}:
        return [(dotted(loc), "should be a mapping of fields")]
    return [(dotted(loc), field_message(error, field_names=_FIELD_NAMES, own_prefix="credit_"))]


# --- reading files -------------------------------------------------------------------------------------


def _rules_error(source: str, problems: list[str]) -> CreditRulesError:
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    detail = f"{count} in the credit rules {source}:\n" + "\n".join(f"  {p}" for p in problems)
    return CreditRulesError(detail, problems=problems)


def parse_rules(data: object, *, source: str = "<data>") -> RuleSet:
    """Validate rules already parsed from YAML or JSON.

    Args:
        data: The file's content as ``yaml.safe_load`` or ``json.loads`` gives it.
        source: What to call the data in messages (the file name).

    Returns:
        The validated rules.

    Raises:
        CreditRulesError: ``data`` is not a valid rules file; one line per problem, each naming the
            source, the field path and the problem.
    """
    if not isinstance(data, dict):
        found = "an empty file" if data is None else type(data).__name__
        raise _rules_error(source, [f"{source}: (top level): expected a mapping of fields, found {found}"])
    try:
        return RuleSet.model_validate(data)
    except ValidationError as err:
        errors = [e for e in err.errors() if not is_echo(e, err.errors())]
        lines = [f"{source}: {where}: {message}" for error in errors for where, message in _explain(error)]
        raise _rules_error(source, lines) from err


def load_rules(path: Path) -> RuleSet:
    """Read and validate one credit-rules YAML file (safe loading; a repeated key is an error).

    Args:
        path: The rules file, e.g. ``badge_defs/credit_rules/riverbend-community-college.yaml``.

    Returns:
        The validated rules.

    Raises:
        CreditRulesError: the file cannot be read, is not YAML, or is not valid rules; the message names
            the file, the field path (or line and column) and the problem.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise _rules_error(source, [f"{source}: cannot read the file: {err}"]) from err
    try:
        data = load_yaml(text)
    except yaml.YAMLError as err:
        raise _rules_error(source, [f"{source}: {yaml_problem(err)}"]) from err
    return parse_rules(data, source=source)


def credit_rules_json_schema() -> str:
    """The JSON Schema of a credit-rules file, as committed in ``badge_defs/schema/credit-rules.schema.json``.

    Generated from :class:`RuleSet` (draft 2020-12), keys sorted, 2-space indent, final newline. It checks
    the shape of a file; uniqueness, references to trusted issuers and grade-policy coverage are checked
    by :func:`load_rules` only.
    """
    schema = RuleSet.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Mastery Badges credit-transfer rules"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
