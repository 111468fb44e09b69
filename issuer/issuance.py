"""Build an OpenBadgeCredential from a badge definition and an award, and sign it (pure, sync).

The bytes that get signed are defined once, in :mod:`verifier.proofs`; this module only asks a
:class:`keys.Signer` to sign them, so the private key never leaves the key store.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from issuer.errors import InvalidAwardError, InvalidRequestError
from verifier.model import (
    Achievement,
    AchievementSubject,
    Alignment,
    Criteria,
    Evidence,
    IdentifierEntry,
    IdentityObject,
    OpenBadgeCredential,
    Profile,
    Result,
    ResultDescription,
    RubricCriterionLevel,
)
from verifier.model.ob import OB_CONTEXT, VC_V2_CONTEXT
from verifier.proofs import data_integrity, vc_jwt

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from issuer.definitions import BadgeDefinition
    from keys.signer import Signer

CryptosuiteName = Literal["eddsa-rdfc-2022", "eddsa-jcs-2022"]
_WEB_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# DID Core §3.1 ABNF: "did:" method-name ":" method-specific-id, where method-name = 1*(%x61-7A / DIGIT)
# and method-specific-id = *( *idchar ":" ) 1*idchar, idchar = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded.
_IDCHAR = r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})"
_DID = re.compile(rf"did:[a-z0-9]+:(?:{_IDCHAR}*:)*{_IDCHAR}+")
# XML 1.0 §2.2 Char: tab, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD, U+10000-U+10FFFF. Anything else (C0
# controls, lone surrogates, U+FFFE/U+FFFF) cannot be baked into an SVG badge or shown on a page.
NOT_XML_CHAR: Final = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Attester:
    """The teacher or supervisor who judged the evidence; recorded as the subject's ``source``."""

    id: str
    name: str
    role: str  # one of the definition's attester_roles
    organization: str | None = None


@dataclass(frozen=True)
class EvidenceItem:
    name: str
    narrative: str | None = None
    url: str | None = None
    genre: str | None = None


@dataclass(frozen=True)
class Award:
    """What a teacher or supervisor decided: this learner, this badge, this level, on this evidence."""

    definition: BadgeDefinition
    level: int
    recipient: str  # an e-mail address (hashed into the credential) or a DID the learner controls
    attester: Attester | None = None
    evidence: Sequence[EvidenceItem] = field(default_factory=tuple)
    narrative: str | None = None
    #: Signed EndorsementCredentials of this badge version, embedded in ``achievement.endorsement``.
    endorsements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)


@dataclass(frozen=True)
class IssuerProfile:
    id: str  # the organisation's DID (did:web in the service)
    name: str
    url: str | None = None
    email: str | None = None


def award_key(definition: BadgeDefinition, *, level: int, student: str) -> str:
    """The idempotency key of an award: hex SHA-256 of ``<slug>@<version>|<level>|<student>``.

    The service passes the learner's person id (``str(uuid)``), never the e-mail address, so a key
    cannot be used to confirm a guessed address. The same award asked twice (a re-run CSV, the same
    row in another file, a double click) gives the same key, and the service holds a key once per
    organisation; another version, level or learner gives another key.
    """
    return hashlib.sha256(f"{definition.lock_key}|{level}|{student}".encode()).hexdigest()


def _illegal_character(value: str, field: str) -> str | None:
    found = NOT_XML_CHAR.search(value)
    if found is None:
        return None
    return (
        f"{field}: the character U+{ord(found.group()):04X} at position {found.start() + 1} is not allowed "
        "(control characters other than tab and line breaks, and U+FFFE/U+FFFF, cannot go into a badge)"
    )


def check_text(value: str, field: str) -> str:
    """Refuse free text holding a character XML 1.0 does not allow; return it unchanged otherwise.

    Free text (narratives, comments, evidence names) ends up in credentials, pages and SVG badges
    (OB 3.0 §5.3.2.1 baking), which XML 1.0 §2.2 limits to tab, LF, CR and the printable planes.
    https://www.w3.org/TR/xml/#charsets

    Raises:
        InvalidRequestError: naming ``field``, the character and its position.
    """
    problem = _illegal_character(value, field)
    if problem is not None:
        raise InvalidRequestError(problem)
    return value


def attesting_role(held: Iterable[str], *, allowed: Iterable[str]) -> str | None:
    """The role a teacher or admin attests a badge in, the same for approvals, direct and bulk awards.

    An admin attests as ``admin`` when the badge's ``attester_roles`` allow it, else as ``teacher`` when
    that is allowed; a teacher only as ``teacher``. None: no staff role of ``held`` may attest it.
    """
    roles, permitted = set(held), set(allowed)
    if "admin" in roles and "admin" in permitted:
        return "admin"
    if roles & {"admin", "teacher"} and "teacher" in permitted:
        return "teacher"
    return None


def identity_hash(identifier: str, salt: str) -> str:
    """OB 3.0 «B.7» IdentityHash: ``sha256$`` + hex SHA-256 of identifier ‖ salt (no separator)."""
    return "sha256$" + hashlib.sha256((identifier + salt).encode("utf-8")).hexdigest()


def check_recipient(recipient: str) -> None:
    """Refuse a recipient that is neither a DID (DID Core §3.1 syntax) nor an e-mail address.

    https://www.w3.org/TR/did-core/#did-syntax

    Raises:
        InvalidAwardError: a ``did:`` recipient that is not a syntactically valid DID (``did:``,
            ``did:key:``, a DID URL with a fragment, whitespace...), or anything else that is not an
            e-mail address.
    """
    if recipient.startswith("did:"):
        if _DID.fullmatch(recipient) is None:
            raise InvalidAwardError(
                f"recipient {recipient!r} is not a valid DID: expected did:<method>:<method-specific-id> "
                "(DID Core §3.1: method in a-z and 0-9, id of letters, digits, '.', '-', '_', %XX and ':')"
            )
        return
    if not _EMAIL.match(recipient.strip().lower()):
        raise InvalidAwardError(f"recipient {recipient!r} is neither an e-mail address nor a DID")


def recipient_identity(recipient: str, *, salt: str) -> IdentityObject:
    """A hashed e-mail identity; the plaintext address never enters the credential."""
    address = recipient.strip().lower()
    if not _EMAIL.match(address):
        raise InvalidAwardError(f"recipient {recipient!r} is neither an e-mail address nor a DID")
    return IdentityObject(
        hashed=True, identity_hash=identity_hash(address, salt), identity_type="emailAddress", salt=salt
    )


def utc_seconds(moment: datetime) -> datetime:
    # Whole seconds in UTC, so a VC-JWT's nbf equals validFrom exactly (OB 3.0 §8.2).
    if moment.tzinfo is None:
        raise InvalidAwardError("timestamps must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def achievement(definition: BadgeDefinition, endorsements: Sequence[Mapping[str, Any]] = ()) -> Achievement:
    """The OB 3.0 Achievement of a definition, with the 1-4 mastery rubric (spec README §1 recipe) and
    the signed endorsements of it (OB 3.0 «B.1» Achievement ``endorsement``), embedded unchanged."""
    base = definition.achievement_id
    levels = [
        RubricCriterionLevel(
            id=f"{base}#level-{level.level}",
            name=level.name,
            level=str(level.level),
            points=str(level.level),
            description=level.description,
        )
        for level in definition.rubric
    ]
    return Achievement(
        id=base,
        name=definition.name,
        description=definition.description,
        criteria=Criteria(narrative=definition.criteria),
        achievement_type=definition.achievement_type,
        alignment=[
            Alignment(
                target_name=a.target_name,
                target_url=str(a.target_url),
                target_code=a.target_code,
                target_description=a.target_description,
                target_framework=a.target_framework,
                target_type=a.target_type,
            )
            for a in definition.alignments
        ]
        or None,
        result_description=[
            ResultDescription(
                id=f"{base}#mastery",
                name="Mastery level",
                result_type="RubricCriterionLevel",
                rubric_criterion_level=levels,
                required_level=f"{base}#level-{definition.required_level}",
            )
        ],
        human_code=definition.human_code,
        field_of_study=definition.field_of_study,
        tag=list(definition.tags) or None,
        version=str(definition.version),
        # The definition's content hash: which exact meaning of this version was awarded.
        other_identifier=[IdentifierEntry(identifier=definition.content_hash, identifier_type="identifier")],
        # An extra field (the model keeps unknown fields): the endorsements go in as signed, untouched.
        endorsement=[dict(item) for item in endorsements] or None,
    )


def build_credential(
    award: Award,
    issuer: IssuerProfile,
    *,
    credential_id: str,
    now: datetime,
    salt: str,
    status: dict[str, Any] | list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential for an award.

    Args:
        award: the decision (definition, level, recipient, attester, evidence).
        issuer: the issuing organisation's profile.
        credential_id: a fresh ``urn:uuid:`` (randomness is the caller's).
        now: the issuance time; ``validFrom`` and ``awardedDate``.
        salt: the per-credential salt of a hashed recipient (randomness is the caller's).
        status: a ``BitstringStatusListEntry`` when the issuer can revoke (Open Badges 3.0 allows one;
            a list of entries is VC 2.0 only).

    Raises:
        InvalidAwardError: level outside the rubric or below the required level, attester role not
            allowed for this badge, recipient neither e-mail nor a valid DID, evidence link not http(s),
            a narrative or evidence text holding a character XML cannot carry (see :func:`check_text`).
    """
    definition = award.definition
    definition.check_award(level=award.level, attester_role=award.attester.role if award.attester else None)
    check_recipient(award.recipient)
    # The last line of defence: the inputs were checked already, but a credential must bake into an SVG.
    texts = [("narrative", award.narrative or "")]
    for number, item in enumerate(award.evidence, start=1):
        texts += [
            (f"evidence {number} name", item.name),
            (f"evidence {number} narrative", item.narrative or ""),
            (f"evidence {number} link", item.url or ""),
            (f"evidence {number} genre", item.genre or ""),
        ]
    for name, text in texts:
        problem = _illegal_character(text, name)
        if problem is not None:
            raise InvalidAwardError(problem)
    for item in award.evidence:
        # Evidence links end up as links on pages and in wallets: web addresses only (no javascript:).
        if item.url is not None and not _WEB_URL.match(item.url):
            raise InvalidAwardError(f"evidence link {item.url!r} is not an http(s) URL")
    issued = utc_seconds(now)
    is_did = award.recipient.startswith("did:")
    subject = AchievementSubject(
        id=award.recipient if is_did else None,
        identifier=None if is_did else [recipient_identity(award.recipient, salt=salt)],
        achievement=achievement(definition, award.endorsements),
        result=[
            Result(
                result_description=f"{definition.achievement_id}#mastery",
                achieved_level=f"{definition.achievement_id}#level-{award.level}",
            )
        ],
        source=None
        if award.attester is None
        else Profile(
            id=award.attester.id,
            name=award.attester.name,
            description=f"{award.attester.role.capitalize()}"
            + (f", {award.attester.organization}" if award.attester.organization else ""),
        ),
        narrative=award.narrative,
    )
    valid_until = definition.expires(issued)
    credential = OpenBadgeCredential.model_validate(
        {
            "@context": [VC_V2_CONTEXT, OB_CONTEXT],
            "id": credential_id,
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": Profile(id=issuer.id, name=issuer.name, url=issuer.url, email=issuer.email),
            "validFrom": issued,
            "validUntil": valid_until,
            "awardedDate": issued,
            "name": definition.name,
            "description": definition.description,
            "credentialSubject": subject,
            "evidence": [
                Evidence(id=e.url, name=e.name, narrative=e.narrative, genre=e.genre) for e in award.evidence
            ]
            or None,
            "credentialStatus": status,
        }
    )
    # pydantic writes UTC date-times with a "Z"; tests pin the exact form.
    return credential.to_json()


def sign_data_integrity(
    credential: dict[str, Any],
    signer: Signer,
    *,
    verification_method: str,
    created: datetime,
    cryptosuite: CryptosuiteName = "eddsa-rdfc-2022",
) -> dict[str, Any]:
    """Add a Data Integrity proof (VC-DI-EDDSA §3.2 / §3.3) signed by ``signer`` (an Ed25519 key)."""
    if signer.algorithm != "EdDSA":
        raise InvalidAwardError(f"{cryptosuite} needs an Ed25519 key; got a {signer.algorithm} signer")
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        "created": utc_seconds(created).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = signer.sign(data_integrity.signing_input(credential, options))
    return data_integrity.add_proof(credential, options, signature)


def sign_vc_jwt(credential: dict[str, Any], signer: Signer, *, kid: str) -> str:
    """The credential as an OB 3.0 §8.2 VC-JWT (needs a DID subject: ``sub`` is required)."""
    header = vc_jwt.jose_header(signer.algorithm, kid=kid)
    signing_input = vc_jwt.signing_input(header, vc_jwt.jwt_claims(credential))
    return vc_jwt.assemble(signing_input, signer.sign(signing_input))
