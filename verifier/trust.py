"""Issuer trust lists: which issuers a registrar accepts, and for which badges.

A trust list is a YAML or JSON file::

    name: Idaho colleges
    description: optional text
    issuers:
      - id: did:web:badges.example.edu:orgs:lincoln-hs   # a DID or an https URL: the credential's issuer.id
        name: Lincoln High School
        for:                                             # optional; without it, trusted for everything
          achievements: [https://badges.example.edu/achievements/math-7rp]
          achievement_types: [Competency]

An issuer is trusted for an achievement listed by id or for any achievement of a listed type. A badge
from an issuer that is not trusted is a *warning* ("not on our list"), never a forgery: the credential
may be perfectly genuine. Unknown fields are errors, so that a misspelt ``achievment_types`` cannot
silently widen trust.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from verifier.errors import TrustListError
from verifier.model.ob import ACHIEVEMENT_TYPES
from verifier.parsing import load_yaml

#: Trust list files larger than this are refused.
MAX_TRUST_LIST_BYTES = 1024 * 1024

_EXT_TYPE = re.compile(r"ext:[A-Za-z0-9._-]+")
_ISSUER_ID = re.compile(r"(did:[a-z0-9]+:\S+|https://\S+)")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


@dataclass(frozen=True)
class TrustedIssuer:
    """One entry of a trust list.

    Attributes:
        id: the issuer's DID or URL, compared exactly with a credential's ``issuer.id``.
        name: how the registrar names the issuer.
        achievements: achievement ids it is trusted for (None: no restriction by id).
        achievement_types: achievement types it is trusted for (None: no restriction by type).
    """

    id: str
    name: str
    achievements: frozenset[str] | None = None
    achievement_types: frozenset[str] | None = None

    @property
    def restricted(self) -> bool:
        """True when the entry names what the issuer is trusted for."""
        return self.achievements is not None or self.achievement_types is not None


@dataclass(frozen=True)
class TrustDecision:
    """Whether an issuer is trusted for an achievement, and why (a sentence for people).

    Attributes:
        trusted: the verdict.
        reason: e.g. "did:web:x is not on the trust list 'Idaho colleges'".
        issuer_name: the trust list's name for the issuer, when it is listed.
    """

    trusted: bool
    reason: str
    issuer_name: str | None = None


def _types_phrase(types: frozenset[str]) -> str:
    return "achievements of type " + " or ".join(sorted(types))


def _ids_phrase(ids: frozenset[str]) -> str:
    return f"{len(ids)} listed achievement{'s' if len(ids) != 1 else ''}"


@dataclass(frozen=True)
class TrustList:
    """A named list of trusted issuers (see the module docstring for the file format)."""

    name: str
    issuers: tuple[TrustedIssuer, ...]
    description: str | None = None

    def entry(self, issuer_id: str) -> TrustedIssuer | None:
        """The entry for an issuer id, or None."""
        return next((issuer for issuer in self.issuers if issuer.id == issuer_id), None)

    def check(
        self, issuer_id: str, *, achievement_id: str | None = None, achievement_type: str | None = None
    ) -> TrustDecision:
        """Is this issuer trusted for this achievement?

        Args:
            issuer_id: the credential's ``issuer.id``.
            achievement_id: the ``credentialSubject.achievement.id`` (None if absent).
            achievement_type: the achievement's ``achievementType`` (None if absent).

        Returns:
            The decision with a reason naming the issuer, the list and, when refused, what the issuer
            is trusted for instead.
        """
        issuer = self.entry(issuer_id)
        if issuer is None:
            return TrustDecision(False, f"{issuer_id} is not on the trust list '{self.name}'")
        who = f"{issuer.name} ({issuer.id})"
        if not issuer.restricted:
            return TrustDecision(True, f"{who} is on the trust list '{self.name}'", issuer.name)
        if issuer.achievements is not None and achievement_id in issuer.achievements:
            return TrustDecision(True, f"{who} is trusted by '{self.name}' for this achievement", issuer.name)
        if issuer.achievement_types is not None and achievement_type in issuer.achievement_types:
            return TrustDecision(
                True,
                f"{who} is trusted by '{self.name}' for achievements of type {achievement_type}",
                issuer.name,
            )
        scopes = [
            phrase(values)
            for values, phrase in (
                (issuer.achievement_types, _types_phrase),
                (issuer.achievements, _ids_phrase),
            )
            if values is not None
        ]
        if issuer.achievement_types is not None:
            got = f"not {achievement_type}" if achievement_type else "and this achievement states no type"
        else:
            got = f"not {achievement_id}" if achievement_id else "and this credential names no achievement"
        return TrustDecision(
            False, f"{who} is trusted by '{self.name}' for {' or '.join(scopes)}, {got}", issuer.name
        )

    def check_credential(self, credential: Mapping[str, Any]) -> TrustDecision:
        """:meth:`check` for a credential: its ``issuer.id`` and its subject's achievement id and type.

        Args:
            credential: an OpenBadgeCredential (JSON object).

        Returns:
            The decision; a credential without an issuer id is not trusted.
        """
        issuer = credential.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        if not isinstance(issuer_id, str):
            return TrustDecision(False, "the credential names no issuer id")
        subject = credential.get("credentialSubject")
        achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
        achievement_id = achievement_type = None
        if isinstance(achievement, Mapping):
            achievement_id = achievement.get("id") if isinstance(achievement.get("id"), str) else None
            kind = achievement.get("achievementType")
            achievement_type = kind if isinstance(kind, str) else None
        return self.check(issuer_id, achievement_id=achievement_id, achievement_type=achievement_type)


# --------------------------------------------------------------------------------------------------
# Reading a trust list
# --------------------------------------------------------------------------------------------------


def _fail(source: str, where: str, problem: str) -> TrustListError:
    return TrustListError(f"{source}: {where}: {problem}")


def _check_keys(value: Mapping[str, Any], *, allowed: Sequence[str], source: str, where: str) -> None:
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise _fail(source, where, f"unknown field(s) {', '.join(unknown)} (allowed: {', '.join(allowed)})")


def _text(value: Any, *, source: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, where, "must be a non-empty string")
    return value.strip()


def _string_set(value: Any, *, source: str, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise _fail(source, where, "must be a non-empty list of strings")
    return frozenset(
        _text(item, source=source, where=f"{where}[{index}]") for index, item in enumerate(value)
    )


def _scope(value: Any, *, source: str, where: str) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    if not isinstance(value, Mapping) or not value:
        raise _fail(
            source, where, "must be a mapping with achievements and/or achievement_types (or be omitted)"
        )
    _check_keys(value, allowed=("achievements", "achievement_types"), source=source, where=where)
    achievements = types = None
    if "achievements" in value:
        achievements = _string_set(value["achievements"], source=source, where=f"{where}.achievements")
        for achievement in sorted(achievements):
            if not _URI.fullmatch(achievement):
                raise _fail(
                    source, f"{where}.achievements", f"{achievement!r} is not an achievement id (a URI)"
                )
    if "achievement_types" in value:
        types = _string_set(value["achievement_types"], source=source, where=f"{where}.achievement_types")
        for kind in sorted(types):
            if kind not in ACHIEVEMENT_TYPES and not _EXT_TYPE.fullmatch(kind):
                raise _fail(
                    source,
                    f"{where}.achievement_types",
                    f"{kind!r} is not an OB 3.0 achievement type (e.g. Competency, Course, Badge) or ext:Name",
                )
    return achievements, types


def parse_trust_list(data: Any, *, source: str = "trust list") -> TrustList:
    """Validate a parsed trust list document and build the :class:`TrustList`.

    Args:
        data: the parsed YAML/JSON.
        source: how to name the document in error messages (usually its path).

    Returns:
        The trust list.

    Raises:
        TrustListError: a missing or mistyped field, an unknown field, an issuer listed twice, an
            issuer id that is not a DID or https URL, or an unknown achievement type; the message names
            the source and the field (``issuers[2].for.achievement_types``).
    """
    if not isinstance(data, Mapping):
        raise _fail(source, "document", "a trust list is a mapping with 'name' and 'issuers'")
    _check_keys(data, allowed=("name", "description", "issuers"), source=source, where="document")
    name = _text(data.get("name"), source=source, where="name")
    description = None
    if data.get("description") is not None:
        description = _text(data["description"], source=source, where="description")
    entries = data.get("issuers")
    if not isinstance(entries, list):
        raise _fail(source, "issuers", "must be a list (it may be empty)")
    issuers: list[TrustedIssuer] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"issuers[{index}]"
        if not isinstance(entry, Mapping):
            raise _fail(source, where, "must be a mapping with id and name")
        _check_keys(entry, allowed=("id", "name", "for"), source=source, where=where)
        issuer_id = _text(entry.get("id"), source=source, where=f"{where}.id")
        if not _ISSUER_ID.fullmatch(issuer_id):
            raise _fail(source, f"{where}.id", f"{issuer_id!r} is not a DID or an https URL")
        if issuer_id in seen:
            raise _fail(source, f"{where}.id", f"{issuer_id} is listed twice")
        seen.add(issuer_id)
        achievements = types = None
        if "for" in entry:
            achievements, types = _scope(entry["for"], source=source, where=f"{where}.for")
        issuers.append(
            TrustedIssuer(
                id=issuer_id,
                name=_text(entry.get("name"), source=source, where=f"{where}.name"),
                achievements=achievements,
                achievement_types=types,
            )
        )
    return TrustList(name=name, issuers=tuple(issuers), description=description)


def load_trust_list(path: str | Path) -> TrustList:
    """Read a trust list file (YAML, or JSON when the name ends in ``.json``).

    Args:
        path: the file.

    Returns:
        The trust list.

    Raises:
        TrustListError: unreadable, too large, not UTF-8, not YAML/JSON, or invalid (see
            :func:`parse_trust_list`); the message names the file.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise TrustListError(f"{file}: cannot read the trust list ({err.strerror})") from err
    if len(raw) > MAX_TRUST_LIST_BYTES:
        raise TrustListError(f"{file}: {len(raw):,} bytes; a trust list is at most {MAX_TRUST_LIST_BYTES:,}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise TrustListError(f"{file}: not UTF-8 text") from err
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else load_yaml(text)
    except json.JSONDecodeError as err:
        raise TrustListError(f"{file}: not JSON: {err.msg} at line {err.lineno}") from err
    except yaml.YAMLError as err:
        raise TrustListError(f"{file}: not YAML: {err}") from err
    except RecursionError as err:
        raise TrustListError(f"{file}: nested too deeply") from err
    return parse_trust_list(data, source=str(file))
