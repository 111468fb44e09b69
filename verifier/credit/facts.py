"""What a credit rule needs to know about one badge, read from a credential without ever failing.

A registrar's pile of badges comes from many issuers, so the reading is forgiving: a part that cannot be
read becomes ``None`` with a note saying why, and the rule that needed it says so in its reason.

Mastery level, in the order tried on each ``credentialSubject.result`` entry (OB 3.0 «B.1» Result):

1. ``achievedLevel`` names a ``rubricCriterionLevel`` of the achievement's ``resultDescription``, and that
   level has a numeric ``level`` field "1".."4" (what our issuer writes, and the spec's mastery recipe);
2. ``value`` "1".."4" with a ``resultDescription`` whose ``resultType`` is ``PerformanceLevel``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["AttesterRole", "BadgeFacts", "facts_from_credential"]

AttesterRole = Literal["teacher", "supervisor", "admin"]
_ROLES: dict[str, AttesterRole] = {"teacher": "teacher", "supervisor": "supervisor", "admin": "admin"}
_LOWEST_LEVEL = 1
_HIGHEST_LEVEL = 4
_FIRST_WORD = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True)
class BadgeFacts:
    """The facts of one badge that credit rules look at.

    Attributes:
        credential_id: The credential's ``id``.
        issuer_id: The issuer's ``id`` (DID or URL).
        issuer_name: The issuer profile's ``name``.
        achievement_id: ``credentialSubject.achievement.id``.
        achievement_name: ``credentialSubject.achievement.name`` (for display).
        version: ``achievement.version``, as a string.
        achievement_type: ``achievement.achievementType``.
        alignments: Target URLs and codes of ``achievement.alignment[]``, in order, without repeats.
        level: Mastery level 1..4, or None when the credential has no readable level.
        awarded: ``awardedDate``, else ``validFrom``, else (VC 1.1) ``issuanceDate``; timezone-aware.
        attester_role: First word of ``credentialSubject.source.description`` when it is a known role.
        evidence_count: Number of ``evidence`` entries.
        endorsers: Issuers of the embedded endorsements of the achievement that verified (the
            verifier's :meth:`~verifier.verify.VerificationReport.valid_endorsers`).
        verdict: The verification verdict: ``valid``, ``invalid`` or ``indeterminate``.
        notes: Why a field is None or was interpreted (one line each).
    """

    credential_id: str | None
    issuer_id: str | None
    verdict: str
    issuer_name: str | None = None
    achievement_id: str | None = None
    achievement_name: str | None = None
    version: str | None = None
    achievement_type: str | None = None
    alignments: tuple[str, ...] = ()
    level: int | None = None
    awarded: datetime | None = None
    attester_role: AttesterRole | None = None
    evidence_count: int = 0
    endorsers: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _mapping(value: object) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _items(value: object) -> list[Any]:
    # JSON-LD compaction may leave a single object where the spec has an array.
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _level_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if _LOWEST_LEVEL <= number <= _HIGHEST_LEVEL else None


def _result_descriptions(achievement: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for entry in _items(achievement.get("resultDescription")):
        description = _mapping(entry)
        if description is not None and isinstance(description.get("id"), str):
            found.setdefault(description["id"], description)
    return found


def _level_of_result(
    result: Mapping[str, Any], descriptions: Mapping[str, Mapping[str, Any]]
) -> tuple[int | None, str | None]:
    """The mastery level one Result states, or None and why not."""
    achieved = result.get("achievedLevel")
    if isinstance(achieved, str):
        for description in descriptions.values():
            for entry in _items(description.get("rubricCriterionLevel")):
                level = _mapping(entry)
                if level is not None and level.get("id") == achieved:
                    number = _level_number(level.get("level"))
                    if number is None:
                        return (
                            None,
                            f"achieved level {achieved} has no level 1..4 (level: {level.get('level')!r})",
                        )
                    return number, None
        return None, f"achieved level {achieved} is not a rubric level of the achievement"
    value = result.get("value")
    if value is not None:
        reference = result.get("resultDescription")
        named = descriptions.get(reference) if isinstance(reference, str) else None
        if named is None:
            return None, f"result value {value!r} does not name a result description of the achievement"
        if named.get("resultType") != "PerformanceLevel":
            kind = named.get("resultType")
            return None, f"result value {value!r} is a {kind!r}, not a PerformanceLevel"
        number = _level_number(value)
        if number is None:
            return None, f"performance level {value!r} is not 1..4"
        return number, None
    return None, None


def _mastery_level(
    subject: Mapping[str, Any], achievement: Mapping[str, Any]
) -> tuple[int | None, list[str]]:
    descriptions = _result_descriptions(achievement)
    notes: list[str] = []
    for entry in _items(subject.get("result")):
        result = _mapping(entry)
        if result is None:
            continue
        level, note = _level_of_result(result, descriptions)
        if level is not None:
            return level, []
        if note is not None:
            notes.append(note)
    return None, notes or ["no mastery level in credentialSubject.result"]


def _timestamp(value: object, field: str) -> tuple[datetime | None, str | None]:
    if not isinstance(value, str):
        return None, None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None, f"{field} {value!r} is not an ISO 8601 date-time"
    if moment.tzinfo is None or moment.utcoffset() is None:
        # A date without offset is read as UTC rather than discarded; the note keeps that visible.
        return moment.replace(tzinfo=UTC), f"{field} {value!r} has no time zone; read as UTC"
    return moment, None


def _awarded(credential: Mapping[str, Any]) -> tuple[datetime | None, list[str]]:
    notes: list[str] = []
    for field in ("awardedDate", "validFrom", "issuanceDate"):
        moment, note = _timestamp(credential.get(field), field)
        if note is not None:
            notes.append(note)
        if moment is not None:
            return moment, notes
    return None, notes or ["no awardedDate, validFrom or issuanceDate"]


def _attester_role(subject: Mapping[str, Any]) -> tuple[AttesterRole | None, str | None]:
    source = _mapping(subject.get("source"))
    if source is None:
        return None, None
    description = _text(source.get("description"))
    word = _FIRST_WORD.match(description.strip()) if description else None
    if word is None:
        return None, "attester (credentialSubject.source) has no description stating a role"
    role = _ROLES.get(word.group().lower())
    if role is None:
        return None, f"attester role {word.group()!r} is not teacher, supervisor or admin"
    return role, None


def _alignments(achievement: Mapping[str, Any]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for entry in _items(achievement.get("alignment")):
        alignment = _mapping(entry)
        if alignment is None:
            continue
        for key in ("targetUrl", "targetCode"):
            value = _text(alignment.get(key))
            if value is not None:
                found.setdefault(value, None)
    return tuple(found)


def facts_from_credential(
    credential: Mapping[str, Any], *, verdict: str, endorsers: Sequence[str] = ()
) -> BadgeFacts:
    """Read the facts credit rules need from an OpenBadgeCredential (JSON-LD form or a VC-JWT payload).

    Never raises: a part that cannot be read is None, with a note saying why.

    Args:
        credential: The credential as parsed JSON (a VC 1.1 JWT payload with a ``vc`` claim is unwrapped).
        verdict: The verifier's verdict for it (``VerificationReport.verdict``).
        endorsers: Issuers of its achievement's endorsements that verified (reading a credential
            checks no signature, so these come from the verifier).

    Returns:
        The badge's facts.
    """
    notes: list[str] = []
    wrapped = _mapping(credential.get("vc")) if "credentialSubject" not in credential else None
    document = wrapped if wrapped is not None else credential
    subjects = [s for s in _items(document.get("credentialSubject")) if isinstance(s, Mapping)]
    if len(subjects) > 1:
        notes.append(f"{len(subjects)} credential subjects; only the first is read")
    subject: Mapping[str, Any] = subjects[0] if subjects else {}
    if not subjects:
        notes.append("no credentialSubject")
    achievement = _mapping(subject.get("achievement")) or {}
    if not achievement:
        notes.append("no credentialSubject.achievement")

    issuer = document.get("issuer")
    issuer_profile = _mapping(issuer)
    issuer_id = _text(issuer_profile.get("id")) if issuer_profile is not None else _text(issuer)
    if issuer_id is None:
        notes.append("no issuer id")

    version = achievement.get("version")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    achievement_type = achievement.get("achievementType")

    level, level_notes = _mastery_level(subject, achievement)
    awarded, date_notes = _awarded(document)
    role, role_note = _attester_role(subject)
    credential_id = _text(document.get("id")) or _text(credential.get("jti"))
    if credential_id is None:
        notes.append("no credential id")
    return BadgeFacts(
        credential_id=credential_id,
        issuer_id=issuer_id,
        issuer_name=_text(issuer_profile.get("name")) if issuer_profile is not None else None,
        achievement_id=_text(achievement.get("id")),
        achievement_name=_text(achievement.get("name")),
        version=_text(version),
        achievement_type=_text(achievement_type),
        alignments=_alignments(achievement),
        level=level,
        awarded=awarded,
        attester_role=role,
        evidence_count=len([e for e in _items(document.get("evidence")) if isinstance(e, Mapping)]),
        endorsers=tuple(dict.fromkeys(endorsers)),
        verdict=verdict,
        notes=tuple(notes + level_notes + date_notes + ([role_note] if role_note else [])),
    )
