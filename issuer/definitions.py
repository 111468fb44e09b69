"""Badge definitions: ``badge_defs/badges/<slug>.yaml`` -> validated, content-hashed :class:`BadgeDefinition`.

A badge definition is what the consortium agreed a badge means (DOMAIN.md, SkillStack): the Open Badges 3.0
Achievement template (id, name, description, criteria, alignments) plus the mastery rules this project adds
(a four-level rubric, the level at which the badge is awarded, who may attest it, what evidence backs it,
how long it stays valid and what college credit it is worth).

Pure: reads files, never the clock; imports stdlib, pydantic, pyyaml and rfc8785 only.

- :func:`load_catalog` validates every file of a directory, checks each ``slug@version`` against the
  publication lock and reports *all* problems of *all* files in one :class:`BadgeDefinitionError`.
- :attr:`BadgeDefinition.content_hash` identifies a definition's meaning, whatever the YAML formatting.
- :func:`record_published` adds new ``slug@version`` entries to the lock and never rewrites an old one.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import stat
import tempfile
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import rfc8785
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from issuer.errors import BadgeDefinitionError, BadgeNotFoundError, InvalidAwardError
from verifier.durations import DURATION_SCHEMA_PATTERN, CalendarDuration
from verifier.model.ob import ACHIEVEMENT_TYPES
from verifier.parsing import dotted, field_message, is_echo, load_yaml, yaml_problem

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from datetime import datetime

    from pydantic_core import ErrorDetails

__all__ = [
    "ACHIEVEMENT_TYPES",
    "ALIGNMENT_TARGET_TYPES",
    "Alignment",
    "AttesterRole",
    "BadgeCatalog",
    "BadgeDefinition",
    "CalendarDuration",
    "CreditEquivalency",
    "EvidenceKind",
    "EvidenceRequirement",
    "RubricLevel",
    "badge_definition_json_schema",
    "load_catalog",
    "load_definition",
    "parse_definition",
    "record_published",
]


#: OB 3.0 AlignmentTargetType (EnumExt).
ALIGNMENT_TARGET_TYPES: frozenset[str] = frozenset(
    {
        "CFItem",
        "CFRubric",
        "CFRubricCriterion",
        "CFRubricCriterionLevel",
        "CTDL",
        "ceasn:Competency",
        "ceterms:Credential",
    }
)

AttesterRole = Literal["teacher", "supervisor", "admin"]
EvidenceKind = Literal["file", "link", "narrative", "observation"]

# The OB schema writes the extension pattern as "(ext:)[a-z|A-Z|0-9|.|-|_]+"; this is what it means.
_EXT = r"^ext:[A-Za-z0-9._-]+$"
_EXT_RE = re.compile(_EXT)
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# RFC 3986 absolute-URI: a scheme and no fragment (the issuer appends #level-N to it).
_ABSOLUTE_URI = r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s#]+$"
_HTTP_URL = r"^https?://[^\s/?#@]+(?:[/?#][^\s]*)?$"
_HTTPS_URL = r"^https://[^\s/?#@]+(?:[/?#][^\s]*)?$"
_LOCK_KEY = re.compile(r"(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)@(?P<version>[1-9][0-9]*)")
_CONTENT_HASH = re.compile(r"sha256:[0-9a-f]{64}")

_LOWEST_LEVEL = 1
_HIGHEST_LEVEL = 4
_MAX_VERSION = 1_000_000  # keeps every version exactly representable in JCS (I-JSON numbers)
_CROSS_FIELD = "badge_definition_inconsistent"


# --- constrained scalar types -------------------------------------------------------------------------


def _matching(pattern: str, error_type: str, message: str) -> AfterValidator:
    """A validator with a readable message; the same pattern goes into the JSON Schema."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if regex.search(value) is None:
            raise PydanticCustomError(error_type, message, {"value": value})
        return value

    return AfterValidator(check)


def _check_achievement_type(value: str) -> str:
    if value in ACHIEVEMENT_TYPES or _EXT_RE.search(value):
        return value
    close = difflib.get_close_matches(value, sorted(ACHIEVEMENT_TYPES), n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise PydanticCustomError(
        "badge_achievement_type",
        "'{value}' is not an Open Badges 3.0 AchievementType; {hint}"
        "use a value of the list in badge_defs/README.md or an extension such as 'ext:Internship'",
        {"value": value, "hint": hint},
    )


def _check_target_type(value: str) -> str:
    if value in ALIGNMENT_TARGET_TYPES or _EXT_RE.search(value):
        return value
    raise PydanticCustomError(
        "badge_target_type",
        "'{value}' is not an Open Badges 3.0 AlignmentTargetType; use one of {allowed} or 'ext:...'",
        {"value": value, "allowed": ", ".join(sorted(ALIGNMENT_TARGET_TYPES))},
    )


def _check_duration(value: str) -> str:
    parsed = CalendarDuration.parse(value)
    if parsed is None:
        raise PydanticCustomError(
            "badge_duration",
            "'{value}' is not an ISO 8601 duration in years, months and days (e.g. 'P3Y', 'P18M', "
            "'P1Y6M'); weeks and times of day are not allowed",
            {"value": value},
        )
    if not any(parsed):
        raise PydanticCustomError(
            "badge_duration",
            "'{value}' is zero; leave valid_for out for a badge that does not expire",
            {"value": value},
        )
    return value


def _uri_schema(pattern: str) -> Any:
    return Field(json_schema_extra={"format": "uri", "pattern": pattern})


Text = Annotated[
    str,
    Strict(),
    _matching(r"\S", "badge_blank", "must not be empty or blank"),
    Field(json_schema_extra={"pattern": r"\S"}),
]
AbsoluteUri = Annotated[
    str,
    Strict(),
    _matching(
        _ABSOLUTE_URI, "badge_uri", "'{value}' is not an absolute URI (scheme:..., no spaces, no #fragment)"
    ),
    _uri_schema(_ABSOLUTE_URI),
]
HttpUrl = Annotated[
    str,
    Strict(),
    _matching(_HTTP_URL, "badge_url", "'{value}' is not an http(s) URL with a host"),
    _uri_schema(_HTTP_URL),
]
HttpsUrl = Annotated[
    str,
    Strict(),
    _matching(_HTTPS_URL, "badge_https_url", "'{value}' is not an https URL with a host"),
    _uri_schema(_HTTPS_URL),
]
Level = Annotated[int, Strict(), Field(ge=_LOWEST_LEVEL, le=_HIGHEST_LEVEL)]
AchievementType = Annotated[
    str,
    Strict(),
    AfterValidator(_check_achievement_type),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": sorted(ACHIEVEMENT_TYPES), "type": "string"},
                {"pattern": _EXT, "type": "string"},
            ]
        }
    ),
]
AlignmentTargetType = Annotated[
    str,
    Strict(),
    AfterValidator(_check_target_type),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": sorted(ALIGNMENT_TARGET_TYPES), "type": "string"},
                {"pattern": _EXT, "type": "string"},
            ]
        }
    ),
]
Duration = Annotated[
    str,
    Strict(),
    AfterValidator(_check_duration),
    Field(json_schema_extra={"pattern": DURATION_SCHEMA_PATTERN}),
]
Slug = Annotated[
    str,
    Strict(),
    _matching(_SLUG, "badge_slug", "'{value}' is not a slug: lowercase letters, digits and single hyphens"),
]


# --- the models ----------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    # extra="forbid": a misspelt field name is an error, not a silently ignored key.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Alignment(_Frozen):
    """A public framework item the badge aligns to (OB 3.0 Alignment)."""

    target_name: Text = Field(description="Name of the framework item, e.g. the standard's short title.")
    target_url: HttpUrl = Field(description="Public page of the framework item.")
    target_code: Text | None = Field(
        default=None, description="Code of the item, e.g. CCSS.MATH.CONTENT.7.RP.A.2."
    )
    target_framework: Text | None = Field(default=None, description="Name of the framework.")
    target_description: Text | None = Field(default=None, description="Text of the framework item.")
    target_type: AlignmentTargetType | None = Field(
        default=None, description="OB AlignmentTargetType or 'ext:...'."
    )


class RubricLevel(_Frozen):
    """One level of the four-level mastery scale (3 = competent, 4 = beyond competent)."""

    level: Level = Field(description="1, 2, 3 or 4, in order.")
    name: Text = Field(description="Short name shown to learners, e.g. 'Competent'.")
    description: Text = Field(description="What a learner at this level can do for this badge.")


class EvidenceRequirement(_Frozen):
    """A kind of evidence the learner submits and the attester approves."""

    kind: EvidenceKind = Field(description="file, link, narrative or observation.")
    description: Text = Field(description="What the evidence must show.")
    required: Annotated[bool, Strict()] = Field(
        default=True, description="Must be present to award the badge."
    )


class CreditEquivalency(_Frozen):
    """Credit a college agreed to grant for this badge, at or above a mastery level."""

    institution: Text = Field(description="Name of the college or program.")
    institution_id: AbsoluteUri | None = Field(default=None, description="URI identifying the institution.")
    course_code: Text = Field(description="Course the badge is equivalent to, e.g. 'MATH 025'.")
    course_title: Text = Field(description="Title of that course.")
    credits: Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)] = Field(
        description="Credits granted (positive)."
    )
    min_level: Level = Field(
        description="Lowest mastery level that earns the credit (not below required_level)."
    )
    note: Text | None = Field(default=None, description="Conditions, e.g. how recent the badge must be.")


class BadgeDefinition(_Frozen):
    """One badge as the consortium defined it: the OB 3.0 Achievement template plus mastery rules.

    One file per badge, badge_defs/badges/<slug>.yaml. The slug is the file name, not a field, and is
    not part of the content hash.
    """

    slug: SkipJsonSchema[Slug] = Field(exclude=True)
    achievement_id: AbsoluteUri = Field(
        description="Consortium-wide URI of the achievement: the same whoever issues the badge."
    )
    version: Annotated[int, Strict(), Field(ge=1, le=_MAX_VERSION)] = Field(
        description="Raise it whenever the definition changes once published."
    )
    name: Text = Field(description="Achievement name.")
    description: Text = Field(description="Achievement description.")
    criteria: Text = Field(description="Criteria narrative (Markdown): what a learner must do.")
    achievement_type: AchievementType = Field(description="OB 3.0 AchievementType or 'ext:...'.")
    human_code: Text | None = Field(default=None, description="Short human-readable code.")
    field_of_study: Text | None = Field(default=None, description="Subject area.")
    tags: tuple[Text, ...] = Field(default=(), json_schema_extra={"uniqueItems": True})
    image: HttpsUrl | None = Field(default=None, description="https URL of the badge image.")
    alignments: tuple[Alignment, ...] = ()
    rubric: tuple[RubricLevel, ...] = Field(
        min_length=4, max_length=4, description="Exactly four levels, 1 to 4 in order."
    )
    required_level: Level = Field(
        default=3, description="Level at which the badge is awarded; issuing below it is refused."
    )
    attester_roles: tuple[AttesterRole, ...] = Field(
        min_length=1, json_schema_extra={"uniqueItems": True}, description="Who may certify mastery."
    )
    evidence: tuple[EvidenceRequirement, ...] = Field(min_length=1)
    valid_for: Duration | None = Field(
        default=None, description="ISO 8601 duration in years/months/days; absent = does not expire."
    )
    credit: tuple[CreditEquivalency, ...] = ()

    # Rules JSON Schema cannot state. Each list is checked on its own (so its problems are reported even
    # when another field is wrong); only the credit-versus-required_level rule needs the whole model.
    @field_validator("rubric")
    @classmethod
    def _rubric_in_order(cls, rubric: tuple[RubricLevel, ...]) -> tuple[RubricLevel, ...]:
        problems: list[_Problem] = [
            (
                ("rubric", index, "level"),
                f"expected level {index + 1} here, got {entry.level}: "
                "the rubric lists levels 1, 2, 3, 4 in this order",
            )
            for index, entry in enumerate(rubric)
            if entry.level != index + 1
        ]
        problems += _duplicates("rubric", [entry.name.casefold() for entry in rubric], field="name")
        _raise_problems(problems)
        return rubric

    @field_validator("attester_roles", "tags")
    @classmethod
    def _unique(cls, values: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        _raise_problems(_duplicates(info.field_name or "", [value.casefold() for value in values]))
        return values

    @field_validator("credit")
    @classmethod
    def _unique_courses(cls, credit: tuple[CreditEquivalency, ...]) -> tuple[CreditEquivalency, ...]:
        keys = [f"{c.institution.casefold()} {c.course_code.casefold()}" for c in credit]
        _raise_problems(_duplicates("credit", keys, field="course_code"))
        return credit

    @model_validator(mode="after")
    def _credit_at_or_above_required_level(self) -> BadgeDefinition:
        _raise_problems(
            [
                (
                    ("credit", index, "min_level"),
                    f"{credit.min_level} is below required_level {self.required_level}; "
                    "a badge is never issued below its required level",
                )
                for index, credit in enumerate(self.credit)
                if credit.min_level < self.required_level
            ]
        )
        return self

    @cached_property
    def content_hash(self) -> str:
        """``sha256:<hex>`` of the JCS (RFC 8785) form of the validated definition.

        Defaults are included (so an omitted ``required_level`` and ``required_level: 3`` hash alike);
        absent optional fields are left out, so adding an optional field to the format keeps old hashes.
        """
        document = self.model_dump(mode="json", exclude_none=True)
        return "sha256:" + hashlib.sha256(rfc8785.dumps(document)).hexdigest()

    @property
    def lock_key(self) -> str:
        """``<slug>@<version>``: the key of this definition in ``published.lock.json``."""
        return f"{self.slug}@{self.version}"

    @property
    def validity(self) -> CalendarDuration | None:
        """``valid_for`` parsed, or None when the badge does not expire."""
        return None if self.valid_for is None else CalendarDuration.parse(self.valid_for)

    def expires(self, valid_from: datetime) -> datetime | None:
        """The end of validity of a badge valid from ``valid_from``, or None if it does not expire.

        Calendar arithmetic: years and months first, with the day clamped to the end of the month
        (2024-02-29 + P1Y = 2025-02-28, 2025-01-31 + P1M = 2025-02-28), then days.

        Args:
            valid_from: Timezone-aware start of validity (the credential's ``validFrom``).

        Returns:
            The credential's ``validUntil``, in the same timezone, or None.

        Raises:
            InvalidAwardError: ``valid_from`` is naive, or the result is past year 9999.
        """
        duration = self.validity
        if duration is None:
            return None
        if valid_from.tzinfo is None or valid_from.utcoffset() is None:
            raise InvalidAwardError("valid_from must be timezone-aware")
        until = duration.after(valid_from)
        if until is None:
            raise InvalidAwardError(f"{valid_from.isoformat()} + {duration} is past year 9999")
        return until

    def rubric_level(self, level: int) -> RubricLevel:
        """The rubric entry for ``level``.

        Raises:
            InvalidAwardError: ``level`` is not 1, 2, 3 or 4.
        """
        if (
            not isinstance(level, int)
            or isinstance(level, bool)
            or not _LOWEST_LEVEL <= level <= _HIGHEST_LEVEL
        ):
            raise InvalidAwardError(f"mastery level must be 1, 2, 3 or 4, not {level!r}")
        return self.rubric[level - 1]

    def check_award(self, *, level: int, attester_role: str | None) -> None:
        """Refuse an award this definition does not allow (``attester_role`` None: the organisation itself).

        A badge records mastery, so it is issued at ``required_level`` or above only; lower levels stay
        in the learner's progress record, not in a credential.

        Raises:
            InvalidAwardError: the level is outside 1..4 or below ``required_level``, or the attester's
                role is not in ``attester_roles``.
        """
        entry = self.rubric_level(level)
        if level < self.required_level:
            required = self.rubric_level(self.required_level)
            raise InvalidAwardError(
                f"'{self.slug}' is awarded at level {self.required_level} ({required.name}) or above; "
                f"level {level} ({entry.name}) is below it"
            )
        if attester_role is not None and attester_role not in self.attester_roles:
            allowed = ", ".join(self.attester_roles)
            raise InvalidAwardError(
                f"a {attester_role!r} may not attest '{self.slug}'; allowed attester roles: {allowed}"
            )


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


def _duplicates(name: str, values: list[str], *, field: str | None = None) -> list[_Problem]:
    seen: dict[str, int] = {}
    found: list[_Problem] = []
    for index, value in enumerate(values):
        if value in seen:
            loc: tuple[str | int, ...] = (name, index) if field is None else (name, index, field)
            found.append((loc, f"repeats entry {seen[value]} ({value!r})"))
        else:
            seen[value] = index
    return found


# --- reading files -------------------------------------------------------------------------------------


_NESTED_MODELS: dict[str, type[BaseModel]] = {
    "alignments": Alignment,
    "rubric": RubricLevel,
    "evidence": EvidenceRequirement,
    "credit": CreditEquivalency,
}


def _field_names(loc: tuple[str | int, ...]) -> list[str]:
    """The field names allowed where an unknown key ``loc[-1]`` was found."""
    parents = [part for part in loc[:-1] if isinstance(part, str)]
    model: type[BaseModel] = _NESTED_MODELS.get(parents[-1], BadgeDefinition) if parents else BadgeDefinition
    return [name for name in model.model_fields if name != "slug"]


def _explain(error: ErrorDetails) -> list[tuple[str, str]]:
    """Turn one pydantic error into ``(field path, message)`` lines a badge author can act on."""
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == _CROSS_FIELD:
        problems = error.get("ctx", {}).get("problems", ())
        return [(dotted(path), message) for path, message in problems]
    return [(dotted(loc), field_message(error, field_names=_field_names(loc), own_prefix="badge_"))]


def _read_definition(path: Path) -> tuple[BadgeDefinition | None, list[str]]:
    slug = path.stem
    if re.search(_SLUG, slug) is None:  # before reading: the name alone is wrong
        return None, [
            f"{path}: file name: '{slug}' is not a slug: lowercase letters, digits and single hyphens"
        ]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return None, [f"{path}: cannot read the file: {err}"]
    try:
        data = load_yaml(text)
    except yaml.YAMLError as err:
        return None, [f"{path}: {yaml_problem(err)}"]
    return _validate(data, slug=slug, source=str(path))


def _validate(data: object, *, slug: str, source: str) -> tuple[BadgeDefinition | None, list[str]]:
    if not isinstance(data, dict):
        found = "an empty file" if data is None else type(data).__name__
        return None, [f"{source}: (top level): expected a mapping of fields, found {found}"]
    if "slug" in data:
        return None, [f"{source}: slug: not a field; the slug is the file name ('{slug}')"]
    if re.search(_SLUG, slug) is None:
        return None, [f"{source}: slug: '{slug}' is not a slug: lowercase letters, digits and single hyphens"]
    try:
        return BadgeDefinition.model_validate({"slug": slug, **data}), []
    except ValidationError as err:
        errors = [e for e in err.errors() if not is_echo(e, err.errors())]
        return None, [f"{source}: {where}: {message}" for e in errors for where, message in _explain(e)]


def parse_definition(data: object, *, slug: str, source: str = "<data>") -> BadgeDefinition:
    """Validate a definition already parsed from YAML or JSON (a mapping of fields, without ``slug``).

    Args:
        data: The fields, as ``yaml.safe_load`` or ``json.loads`` gives them.
        slug: The badge's slug (for a file, its stem).
        source: What to call the data in messages.

    Raises:
        BadgeDefinitionError: ``data`` is not a valid definition; one line per problem.
    """
    definition, problems = _validate(data, slug=slug, source=source)
    if definition is None:
        raise _definition_error(problems)
    return definition


def load_definition(path: Path) -> BadgeDefinition:
    """Read and validate one badge definition file.

    Args:
        path: ``<slug>.yaml``; the slug is the file stem.

    Raises:
        BadgeDefinitionError: the file cannot be read, is not YAML, or is not a valid definition.
    """
    definition, problems = _read_definition(path)
    if definition is None:
        raise _definition_error(problems)
    return definition


def _definition_error(problems: list[str]) -> BadgeDefinitionError:
    count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
    detail = f"{count} in the badge definitions:\n" + "\n".join(f"  {p}" for p in problems)
    return BadgeDefinitionError(detail, problems=problems)


def _read_lock(lock_path: Path, *, missing_ok: bool) -> tuple[dict[str, str], list[str]]:
    if missing_ok and not lock_path.exists():
        return {}, []
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        return {}, [f"{lock_path}: cannot read the publication lock: {err}"]
    except json.JSONDecodeError as err:
        return {}, [f"{lock_path}: line {err.lineno}, column {err.colno}: {err.msg}"]
    if not isinstance(data, dict):
        return {}, [f'{lock_path}: (top level): expected an object of "slug@version": "sha256:..."']
    lock: dict[str, str] = {}
    problems: list[str] = []
    for key, value in data.items():
        if _LOCK_KEY.fullmatch(key) is None:
            problems.append(f'{lock_path}: {key}: not a "slug@version" key')
        elif not isinstance(value, str) or _CONTENT_HASH.fullmatch(value) is None:
            problems.append(f"{lock_path}: {key}: {value!r} is not a sha256:<64 hex digits> content hash")
        else:
            lock[key] = value
    return lock, problems


def _lock_problems(
    definitions: Iterable[BadgeDefinition], lock: Mapping[str, str], sources: Mapping[str, Path]
) -> list[str]:
    highest: dict[str, int] = {}
    for key in lock:
        slug, _, version = key.partition("@")
        highest[slug] = max(highest.get(slug, 0), int(version))
    problems: list[str] = []
    for definition in definitions:
        where = sources.get(definition.slug, definition.lock_key)
        published = lock.get(definition.lock_key)
        if published is not None and published != definition.content_hash:
            problems.append(
                f"{where}: version: version {definition.version} of '{definition.slug}' was published with "
                f"{published}; the file now hashes to {definition.content_hash}: "
                "give the changed definition a new version"
            )
        elif published is None and definition.version < highest.get(definition.slug, 0):
            problems.append(
                f"{where}: version: version {definition.version} of '{definition.slug}' is older than the "
                f"published version {highest[definition.slug]}: versions only go up"
            )
    return problems


# --- the catalogue -------------------------------------------------------------------------------------


class BadgeCatalog:
    """The badges an issuer offers, by slug. Iterating yields the definitions in slug order."""

    def __init__(
        self,
        definitions: Iterable[BadgeDefinition],
        *,
        published: Mapping[str, str] | None = None,
        sources: Mapping[str, Path] | None = None,
    ) -> None:
        """Build a catalogue; :func:`load_catalog` is the usual way.

        Args:
            definitions: Validated definitions with distinct slugs.
            published: The publication lock they were checked against, if any.
            sources: The file each slug was read from, for messages.

        Raises:
            BadgeDefinitionError: two definitions share a slug.
        """
        by_slug: dict[str, BadgeDefinition] = {}
        for definition in definitions:
            if definition.slug in by_slug:
                raise _definition_error([f"{definition.slug}: slug: two definitions share this slug"])
            by_slug[definition.slug] = definition
        self._by_slug = dict(sorted(by_slug.items()))
        self._published = dict(published or {})
        self._sources = dict(sources or {})

    def get(self, slug: str) -> BadgeDefinition:
        """The definition with this slug.

        Raises:
            BadgeNotFoundError: no such badge; the message lists close matches.
        """
        try:
            return self._by_slug[slug]
        except KeyError:
            close = difflib.get_close_matches(slug, list(self._by_slug), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise BadgeNotFoundError(f"no badge definition {slug!r}{hint}") from None

    def __iter__(self) -> Iterator[BadgeDefinition]:
        return iter(self._by_slug.values())

    def __len__(self) -> int:
        return len(self._by_slug)

    def __contains__(self, slug: object) -> bool:
        return slug in self._by_slug

    @property
    def slugs(self) -> tuple[str, ...]:
        """Every slug, sorted."""
        return tuple(self._by_slug)

    @property
    def published(self) -> Mapping[str, str]:
        """The publication lock the catalogue was checked against (empty if none)."""
        return dict(self._published)

    @property
    def unpublished(self) -> tuple[str, ...]:
        """``slug@version`` of the definitions not in :attr:`published`: drafts, not yet to be issued."""
        return tuple(d.lock_key for d in self if d.lock_key not in self._published)

    def source(self, slug: str) -> Path | None:
        """The file the definition was read from, if it was read from one."""
        return self._sources.get(slug)


def load_catalog(directory: Path, *, lock_path: Path | None = None) -> BadgeCatalog:
    """Validate every ``*.yaml`` in ``directory`` and, with ``lock_path``, check it against the lock.

    Every problem of every file is collected; each line names the file, the field path and the problem.

    Args:
        directory: ``badge_defs/badges``.
        lock_path: ``badge_defs/published.lock.json``. With it, a ``slug@version`` already published must
            hash the same as when it was published, and a version may not go below a published one.
            None skips these checks (drafting). The file must exist when given.

    Returns:
        The catalogue, remembering the lock it was checked against.

    Raises:
        BadgeDefinitionError: any problem, listed in ``problems``.
    """
    if not directory.is_dir():
        raise _definition_error([f"{directory}: not a directory of badge definitions"])
    problems: list[str] = [
        f"{path}: file name: badge definitions end in .yaml" for path in sorted(directory.glob("*.yml"))
    ]
    definitions: list[BadgeDefinition] = []
    sources: dict[str, Path] = {}
    for path in sorted(directory.glob("*.yaml")):
        definition, found = _read_definition(path)
        problems += found
        if definition is not None:
            definitions.append(definition)
            sources[definition.slug] = path
    owners: dict[str, BadgeDefinition] = {}
    for definition in definitions:
        other = owners.setdefault(definition.achievement_id, definition)
        if other is not definition:
            problems.append(
                f"{sources[definition.slug]}: achievement_id: '{definition.achievement_id}' is already the "
                f"achievement_id of '{other.slug}' ({sources[other.slug]}); each badge needs its own"
            )
    lock: dict[str, str] = {}
    if lock_path is not None:
        lock, found = _read_lock(lock_path, missing_ok=False)
        problems += found
        problems += _lock_problems(definitions, lock, sources)
    if problems:
        raise _definition_error(problems)
    return BadgeCatalog(definitions, published=lock, sources=sources)


def record_published(catalog: BadgeCatalog, lock_path: Path) -> list[str]:
    """Add every ``slug@version`` of ``catalog`` that is not yet in the lock; never change an entry.

    The lock is rewritten atomically (temporary file + rename), keys sorted, only when something is added.
    A missing lock file is created.

    Args:
        catalog: The definitions to publish.
        lock_path: ``badge_defs/published.lock.json``.

    Returns:
        The keys added, sorted (empty if everything was already published).

    Raises:
        BadgeDefinitionError: the lock is malformed, or a published ``slug@version`` now hashes
            differently or a version went below a published one; nothing is written then.
        OSError: the lock could not be written.
    """
    lock, problems = _read_lock(lock_path, missing_ok=True)
    sources = {slug: path for slug in catalog.slugs if (path := catalog.source(slug)) is not None}
    problems += _lock_problems(catalog, lock, sources)
    if problems:
        raise _definition_error(problems)
    added = sorted(d.lock_key for d in catalog if d.lock_key not in lock)
    if added:
        lock.update((d.lock_key, d.content_hash) for d in catalog if d.lock_key in added)
        _write_atomically(lock_path, json.dumps(lock, indent=2, sort_keys=True) + "\n")
    return added


def _write_atomically(path: Path, text: str) -> None:
    # Same directory as the target, so the rename cannot cross filesystems.
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            # mkstemp makes the file private (0600); the lock is a public, committed file.
            os.fchmod(handle.fileno(), stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def badge_definition_json_schema() -> str:
    """The JSON Schema of a badge definition file, as committed in ``badge_defs/schema/``.

    Generated from :class:`BadgeDefinition` (draft 2020-12), keys sorted, 2-space indent, final newline.
    It checks the shape of a file; the order of rubric levels, uniqueness and the lock are checked by
    :func:`load_catalog` only.
    """
    schema = BadgeDefinition.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Mastery Badges badge definition"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
