"""Recipient binding: is this credential about the person the verifier knows? (OB 3.0 «9.1» step 5)

https://www.imsglobal.org/spec/ob/v3p0/#verification (step 5, "Verify Recipient") and
https://www.imsglobal.org/spec/ob/v3p0/#identityhash («B.7 Derived Types», IdentityHash)

The known identifier (an e-mail address, a student number, a DID) is personal data: it never appears in
a message or an exception, and this module logs nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from verifier.errors import MalformedCredentialError, RecipientMismatchError

_HASH_ALGORITHMS = ("sha256", "md5")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


@dataclass(frozen=True)
class _Identity:
    hashed: bool
    identity_hash: str
    salt: str


def _subjects(credential: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    subject = credential.get("credentialSubject")
    subjects = subject if isinstance(subject, list) else [subject]
    found = [item for item in subjects if isinstance(item, Mapping)]
    if not found:
        raise MalformedCredentialError("credential has no credentialSubject object")
    return found


def _identities(subject: Mapping[str, Any], identity_type: str) -> Iterator[_Identity | str]:
    """The subject's IdentityObjects of ``identity_type``; a malformed one yields a reason instead."""
    entries = subject.get("identifier")
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, Mapping) or entry.get("identityType") != identity_type:
            continue
        hashed, identity_hash, salt = entry.get("hashed"), entry.get("identityHash"), entry.get("salt", "")
        if not isinstance(hashed, bool) or not isinstance(identity_hash, str) or not isinstance(salt, str):
            yield "an IdentityObject without a boolean 'hashed' and string 'identityHash' / 'salt'"
            continue
        yield _Identity(hashed, identity_hash, salt or "")


def _normalised(known: str, identity_type: str) -> list[str]:
    """The forms of the known value to try: e-mail addresses are compared trimmed and lower-cased."""
    trimmed = known.strip()
    if identity_type == "emailAddress":
        # The issuer may have hashed the address as typed; try that too before giving up.
        return list(dict.fromkeys([trimmed.lower(), trimmed]))
    return [trimmed]


def _digest(algorithm: str, data: bytes) -> str:
    if algorithm == "md5":
        # OB 3.0 still allows md5 identity hashes; this is a comparison, not a security measure.
        return hashlib.md5(data, usedforsecurity=False).hexdigest()
    return hashlib.sha256(data).hexdigest()


def identity_hash_matches(identity_hash: str, *, candidate: str, salt: str) -> bool:
    """Does ``identity_hash`` (``"sha256$<hex>"`` or ``"md5$<hex>"``) hash ``candidate`` + ``salt``?

    https://www.imsglobal.org/spec/ob/v3p0/#identityhash

    Args:
        identity_hash: the IdentityObject's ``identityHash`` (hex in either case).
        candidate: the identifier to test.
        salt: the IdentityObject's ``salt`` ("" when absent), appended with no separator.

    Returns:
        True if the hash matches.

    Raises:
        MalformedCredentialError: an algorithm other than sha256 / md5, or a value that is not hex.
    """
    algorithm, sep, expected = identity_hash.partition("$")
    algorithm = algorithm.lower()
    if not sep or algorithm not in _HASH_ALGORITHMS:
        raise MalformedCredentialError("identityHash must be 'sha256$<hex>' or 'md5$<hex>'")
    length = 64 if algorithm == "sha256" else 32
    expected = expected.lower()
    if len(expected) != length or any(char not in "0123456789abcdef" for char in expected):
        raise MalformedCredentialError(f"identityHash is not {length} hex digits of {algorithm}")
    actual = _digest(algorithm, (candidate + salt).encode("utf-8"))
    return hmac.compare_digest(actual, expected)


def _matches(identity: _Identity, candidates: list[str], identity_type: str) -> bool:
    if identity.hashed:
        return any(
            identity_hash_matches(identity.identity_hash, candidate=candidate, salt=identity.salt)
            for candidate in candidates
        )
    stored = identity.identity_hash.strip()
    if identity_type == "emailAddress":
        return stored.lower() == candidates[0]
    return hmac.compare_digest(stored.encode("utf-8"), candidates[0].encode("utf-8"))


def check_recipient(
    credential: Mapping[str, Any], known: str, *, identity_type: str = "emailAddress"
) -> str | None:
    """Check that an identifier the verifier knows is the credential's recipient (OB 3.0 «9.1» step 5).

    https://www.imsglobal.org/spec/ob/v3p0/#verification

    The known value matches when it equals ``credentialSubject.id``, or an ``identifier`` entry whose
    ``identityType`` is ``identity_type``: hashed (``sha256$`` / ``md5$`` of value ‖ salt, hex in any
    case) or plaintext (``hashed: false``). E-mail addresses are compared trimmed and lower-cased.

    Args:
        credential: the credential (already verified, or about to be).
        known: the identifier learnt out of band, e.g. the learner's e-mail address.
        identity_type: the IdentifierTypeEnum value of ``known`` (``emailAddress``, ``sisSourcedId``, …).

    Returns:
        A message saying what matched; ``None`` when the credential names no recipient that can be
        compared with the known value (no ``identifier`` of that type, and either no subject ``id`` or
        a known value that is not a URI, such as an e-mail address against a DID subject), so binding
        could not be checked either way.

    Raises:
        RecipientMismatchError: the credential names recipients of this type and none is ``known``.
        MalformedCredentialError: no subject, or every comparable IdentityObject is malformed.
    """
    if not known.strip():
        raise RecipientMismatchError("no recipient identifier was given to compare")
    candidates = _normalised(known, identity_type)
    compared = 0
    problems: list[str] = []
    for subject in _subjects(credential):
        subject_id = subject.get("id")
        if isinstance(subject_id, str):
            if subject_id.strip() == known.strip():
                return "the recipient is the credential subject (credentialSubject.id)"
            if _URI.fullmatch(known.strip()):
                compared += 1  # a DID or URL is comparable with the subject id, whatever the type
        for identity in _identities(subject, identity_type):
            if isinstance(identity, str):
                problems.append(identity)
                continue
            try:
                matched = _matches(identity, candidates, identity_type)
            except MalformedCredentialError as err:
                problems.append(str(err))
                continue
            compared += 1
            if matched:
                how = "hashed" if identity.hashed else "plaintext"
                salted = ", salted" if identity.hashed and identity.salt else ""
                return f"the {identity_type} matches the credential's {how} recipient identifier{salted}"
    if compared:
        note = f"; {len(problems)} malformed identifier(s) skipped" if problems else ""
        raise RecipientMismatchError(
            f"the {identity_type} given is not the credential's recipient "
            f"({compared} recipient identifier(s) compared{note})"
        )
    if problems:
        raise MalformedCredentialError(f"cannot compare the recipient: {problems[0]}")
    return None
