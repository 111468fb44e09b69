"""Issuing a badge: build the credential, take a status index, sign it in the organisation's formats,
store the signed texts verbatim. Used by approvals, direct awards and bulk awards alike."""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from issuer.db.models import BadgeVersion, Credential, Organisation, Person
from issuer.errors import AlreadyIssuedError
from issuer.issuance import (
    Attester,
    Award,
    EvidenceItem,
    IssuerProfile,
    award_key,
    build_credential,
    sign_data_integrity,
    sign_vc_jwt,
)
from issuer.services.audit import record_event
from issuer.services.catalogue import definition_of
from issuer.services.endorsements import active_endorsements
from issuer.services.status_lists import allocate_slot, badge_status

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.roles import Principal
    from issuer.services.context import Services

__all__ = [
    "AttesterInfo",
    "commit_award",
    "find_award",
    "issue_credential",
    "recipient_of",
    "sign_credential",
]


def recipient_of(student: Person) -> str:
    """Whom the credential names: the learner's own DID when known, else their e-mail (hashed in it)."""
    return student.did or student.email


@dataclass(frozen=True)
class AttesterInfo:
    """The teacher or supervisor who judged, as the credential will show them."""

    person_id: uuid.UUID | None
    name: str
    role: str  # teacher, supervisor or admin: must be one of the badge's attester roles
    organization: str | None = None


@dataclass(frozen=True)
class SignedCredential:
    """The signed texts of one credential: Data Integrity JSON and/or a VC-JWT."""

    ldp: str | None
    jwt: str | None
    document: dict[str, Any] = field(repr=False)


def sign_credential(
    services: Services,
    organisation: Organisation,
    award: Award,
    *,
    credential_id: str,
    status: dict[str, str] | list[dict[str, str]],
    now: datetime,
) -> SignedCredential:
    """Build and sign one credential (sync, CPU-bound: run it in a worker thread).

    A VC-JWT needs a DID subject (its ``sub``), so a learner known only by e-mail gets the Data Integrity
    form alone, even when the organisation asks for both.
    """
    unsigned = build_credential(
        award,
        IssuerProfile(id=organisation.did, name=organisation.name),
        credential_id=credential_id,
        now=now,
        salt=secrets.token_hex(16),
        status=status,
    )
    ldp = jwt = None
    document = unsigned
    if organisation.proof_formats in ("ldp", "both") or not award.recipient.startswith("did:"):
        signer = services.keyring.signer(organisation.slug, "EdDSA")
        document = sign_data_integrity(
            unsigned, signer, verification_method=f"{organisation.did}#{signer.key_id}", created=now
        )
        ldp = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    if organisation.proof_formats in ("jwt", "both") and award.recipient.startswith("did:"):
        signer = services.keyring.signer(organisation.slug, organisation.jwt_algorithm)
        jwt = sign_vc_jwt(unsigned, signer, kid=f"{organisation.did}#{signer.key_id}")
    return SignedCredential(ldp=ldp, jwt=jwt, document=document)


async def find_award(session: AsyncSession, organisation_id: uuid.UUID, key: str) -> Credential | None:
    """The credential already issued under an award key, if any."""
    result = await session.execute(
        select(Credential).where(Credential.organisation_id == organisation_id, Credential.award_key == key)
    )
    return result.scalar_one_or_none()


async def issue_credential(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    badge: BadgeVersion,
    student: Person,
    level: int,
    attester: AttesterInfo | None,
    actor: Principal | None,
    now: datetime,
    evidence: Sequence[EvidenceItem] = (),
    narrative: str | None = None,
    submission_id: uuid.UUID | None = None,
) -> tuple[Credential, dict[int, int]]:
    """Issue one badge inside the caller's transaction (the caller commits, and counts the slot).

    Returns:
        The stored credential and ``{list number: 1}`` for :func:`count_allocation`.

    Raises:
        AlreadyIssuedError: this learner already holds this badge version at this level here (also when a
            concurrent transaction won the race: the session is then rolled back).
        InvalidAwardError: a level outside the rubric or below the required one, an attester role the
            badge does not allow, a bad recipient or evidence link.
        SigningUnavailableError: the organisation's keys cannot sign.
    """
    definition = definition_of(badge)
    key = award_key(definition, level=level, student=str(student.id))  # the person, never the e-mail
    if await find_award(session, organisation.id, key) is not None:
        raise AlreadyIssuedError(
            f"{student.display_name} already holds {definition.lock_key} at level {level}"
        )
    award = Award(
        definition=definition,
        level=level,
        recipient=recipient_of(student),
        attester=None
        if attester is None
        else Attester(
            id=f"urn:uuid:{attester.person_id or uuid.uuid4()}",
            name=attester.name,
            role=attester.role,
            organization=attester.organization,
        ),
        evidence=tuple(evidence),
        narrative=narrative,
        endorsements=tuple(await active_endorsements(session, badge.id)),
    )
    # Checked before a status index is taken, so a refused award takes nothing.
    definition.check_award(level=level, attester_role=attester.role if attester else None)
    number, index = await allocate_slot(session, services, organisation, now=now)
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    signed = await asyncio.to_thread(
        sign_credential,
        services,
        organisation,
        award,
        credential_id=credential_id,
        status=badge_status(services, organisation, number=number, index=index),
        now=now,
    )
    credential = Credential(
        id=credential_id,
        organisation_id=organisation.id,
        recipient_id=student.id,
        recipient=award.recipient,
        badge_version_id=badge.id,
        badge_slug=definition.slug,
        level=level,
        attester_id=attester.person_id if attester else None,
        submission_id=submission_id,
        award_key=key,
        ldp=signed.ldp,
        jwt=signed.jwt,
        list_number=number,
        status_index=index,
        suspendable=organisation.suspension,
        issued_at=now,
    )
    session.add(credential)
    record_event(
        session,
        actor=actor,
        action="credential.issue",
        subject_type="credential",
        subject_id=credential_id,
        organisation_id=organisation.id,
        detail={"badge": definition.lock_key, "level": level, "student": str(student.id)},
        at=now,
    )
    # Worded before the flush: after a failed flush the session refuses to load attributes.
    race_message = f"{student.display_name} was just awarded {definition.lock_key} at level {level}"
    try:
        await session.flush()
    except IntegrityError as err:
        await _raise_if_award_race(session, err, race_message)
        raise
    return credential, {number: 1}


def _is_award_key_conflict(err: IntegrityError) -> bool:
    # PostgreSQL names the constraint; SQLite names the columns.
    text = str(err.orig)
    return "uq_credential_award_key" in text or "credential.award_key" in text


async def _raise_if_award_race(session: AsyncSession, err: IntegrityError, message: str) -> None:
    if _is_award_key_conflict(err):
        await session.rollback()
        raise AlreadyIssuedError(message) from err


async def commit_award(session: AsyncSession) -> None:
    """Commit a transaction that issued credentials, translating a lost award race.

    :func:`find_award` cannot see an award committed by a concurrent transaction; the unique constraint
    ``uq_credential_award_key`` then refuses the second one, at the flush in :func:`issue_credential`
    or here. Either way the loser's transaction is rolled back (its status slot too).

    Raises:
        AlreadyIssuedError: a concurrent transaction issued the same award first.
    """
    try:
        await session.commit()
    except IntegrityError as err:
        await _raise_if_award_race(session, err, "a concurrent request issued the same award first")
        raise
