"""Build a CLR 2.0 transcript and an OB 3.0 endorsement (pure, sync): what the service signs.

- A ``ClrCredential`` (1EdTech CLR 2.0 «ClrCredential», «ClrSubject») bundles a learner's badges: each
  one is embedded exactly as it was issued, proof included, so it still verifies on its own inside
  the transcript; the issuing organisation's proof over the whole says "these are this learner's".
- An ``EndorsementCredential`` (OB 3.0 «B.1») is an organisation's signed word about a badge
  definition: its subject is the Achievement's id, its ``endorsementComment`` the statement
  ("Northwest College accepts this badge at level 3 or above for MATH 101, 3 credits").

Signing is :func:`issuer.issuance.sign_data_integrity` (eddsa-rdfc-2022), as for badges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from issuer.errors import InvalidRequestError
from issuer.issuance import check_text, recipient_identity, utc_seconds
from verifier.model.ob import OB_CONTEXT, VC_V2_CONTEXT

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import datetime

    from issuer.issuance import IssuerProfile

__all__ = ["CLR_CONTEXT", "build_clr", "build_endorsement"]

CLR_CONTEXT: Final = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
MAX_NAME: Final = 200
MAX_DESCRIPTION: Final = 2000
MAX_COMMENT: Final = 2000


def _profile(issuer: IssuerProfile) -> dict[str, Any]:
    profile: dict[str, Any] = {"id": issuer.id, "type": ["Profile"], "name": issuer.name}
    if issuer.url:
        profile["url"] = issuer.url
    return profile


def _text(value: str, field: str, limit: int) -> str:
    value = check_text(value.strip(), field)
    if not value:
        raise InvalidRequestError(f"{field}: must not be empty")
    if len(value) > limit:
        raise InvalidRequestError(f"{field}: at most {limit:,} characters (got {len(value):,})")
    return value


def build_clr(
    issuer: IssuerProfile,
    *,
    credentials: Sequence[Mapping[str, Any]],
    learner: str,
    credential_id: str,
    name: str,
    now: datetime,
    salt: str,
    description: str | None = None,
    partial: bool = True,
    status: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An unsigned ClrCredential holding ``credentials`` verbatim.

    Args:
        issuer: the organisation that signs the transcript.
        credentials: the signed OB 3.0 credentials (parsed JSON-LD), embedded unchanged.
        learner: the learner's DID (the subject's ``id``) or e-mail address (hashed with ``salt``,
            as in the badges).
        credential_id: a fresh ``urn:uuid:``.
        name: the transcript's title ("Transcript for Northwest College").
        now: ``validFrom`` and ``awardedDate``.
        salt: the salt of a hashed e-mail identifier.
        description: optional text.
        partial: CLR 2.0 ``partial``: not every credential the issuer holds for this learner.
        status: a ``BitstringStatusListEntry``, so the issuer can withdraw the transcript.

    Raises:
        InvalidRequestError: no credential, or a name or description that is empty, too long or holds
            a character a credential cannot carry.
    """
    if not credentials:
        raise InvalidRequestError("badges: choose at least one badge")
    subject: dict[str, Any] = {"type": ["ClrSubject"]}
    if learner.startswith("did:"):
        subject["id"] = learner
    else:
        subject["identifier"] = [recipient_identity(learner, salt=salt).to_json()]
    subject["verifiableCredential"] = [dict(credential) for credential in credentials]
    issued = utc_seconds(now).strftime("%Y-%m-%dT%H:%M:%SZ")
    clr: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, CLR_CONTEXT, OB_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": _profile(issuer),
        "name": _text(name, "name", MAX_NAME),
        "validFrom": issued,
        "awardedDate": issued,
        "partial": partial,
        "credentialSubject": subject,
    }
    if description is not None and description.strip():
        clr["description"] = _text(description, "description", MAX_DESCRIPTION)
    if status is not None:
        clr["credentialStatus"] = dict(status)
    return clr


def build_endorsement(
    endorser: IssuerProfile,
    *,
    achievement_id: str,
    achievement_name: str,
    comment: str,
    credential_id: str,
    now: datetime,
    status: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An unsigned EndorsementCredential of an Achievement (a badge definition version).

    Raises:
        InvalidRequestError: an empty or too long comment, or one holding a character a credential
            cannot carry.
    """
    issued = utc_seconds(now).strftime("%Y-%m-%dT%H:%M:%SZ")
    endorsement: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, OB_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": f"{endorser.name} endorses {achievement_name}"[:MAX_NAME],
        "issuer": _profile(endorser),
        "validFrom": issued,
        "awardedDate": issued,
        "credentialSubject": {
            "id": achievement_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": _text(comment, "comment", MAX_COMMENT),
        },
    }
    if status is not None:
        endorsement["credentialStatus"] = dict(status)
    return endorsement
