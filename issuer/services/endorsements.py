"""Endorsements: an organisation's signed OB 3.0 EndorsementCredential of a badge definition version
(docs/endorsements.md).

An admin of the endorsing organisation names the badge as another organisation offers it (its slug, the
badge's slug and version) and says what they endorse in ``endorsementComment``. The endorsement is
signed with the endorser's Ed25519 key (eddsa-rdfc-2022), with a status entry in the endorser's own
lists. While active it is embedded in the ``achievement.endorsement`` of every credential issued under
that version afterwards, by any organisation offering it (a consortium badge is one Achievement whoever
issues it). Withdrawing it stops that and sets its revocation bit, so the copies already embedded are
reported as revoked by verifiers.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import update
from sqlmodel import func, select

from issuer.db import get_organisation
from issuer.db.models import BadgeVersion, Endorsement, Organisation
from issuer.errors import BadgeNotFoundError, InvalidStateError, NotFoundError
from issuer.issuance import IssuerProfile, sign_data_integrity
from issuer.services.audit import record_event
from issuer.services.catalogue import definition_of
from issuer.services.revocation import write_status_bits
from issuer.services.status_lists import allocate_slot, count_allocation, status_entries
from issuer.transcripts import build_endorsement

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.roles import Principal
    from issuer.services.context import Services

__all__ = [
    "EndorsementEntry",
    "active_endorsements",
    "create_endorsement",
    "list_endorsements",
    "withdraw_endorsement",
]

_MAX_SLUG: Final = 100


@dataclass(frozen=True)
class EndorsementEntry:
    """A stored endorsement with the badge version it endorses and the organisation that offers it."""

    endorsement: Endorsement
    badge: BadgeVersion
    issuer: Organisation


def _sign(services: Services, endorser: Organisation, unsigned: dict[str, Any], *, now: datetime) -> str:
    signer = services.keyring.signer(endorser.slug, "EdDSA")
    signed = sign_data_integrity(
        unsigned, signer, verification_method=f"{endorser.did}#{signer.key_id}", created=now
    )
    return json.dumps(signed, ensure_ascii=False, separators=(",", ":"))


async def _offered_version(
    session: AsyncSession, issuer: Organisation, badge_slug: str, version: int
) -> BadgeVersion:
    """The badge version ``issuer`` offers (a consortium badge, or one of its own).

    Raises:
        BadgeNotFoundError: no such version offered by that organisation.
    """
    row = (
        await session.execute(
            select(BadgeVersion).where(BadgeVersion.slug == badge_slug, BadgeVersion.version == version)
        )
    ).scalar_one_or_none()
    if row is None or row.organisation_id not in (None, issuer.id):
        raise BadgeNotFoundError(
            f"{issuer.slug} offers no badge {badge_slug[:_MAX_SLUG]!r} version {version}"
        )
    return row


async def create_endorsement(
    session: AsyncSession,
    services: Services,
    *,
    endorser: Organisation,
    issuer_slug: str,
    badge_slug: str,
    version: int,
    comment: str,
    actor: Principal,
    now: datetime,
) -> EndorsementEntry:
    """Sign and store an endorsement of ``issuer_slug``'s badge ``badge_slug`` at ``version``; commit.

    Raises:
        OrganisationNotFoundError: no organisation ``issuer_slug``.
        BadgeNotFoundError: that organisation offers no such badge version.
        InvalidStateError: this organisation already endorses that version (withdraw it first).
        InvalidRequestError: an empty or too long comment, or one with a character a credential
            cannot carry.
        SigningUnavailableError: the endorser's Ed25519 key cannot sign.
    """
    issuer = await get_organisation(session, issuer_slug)
    badge = await _offered_version(session, issuer, badge_slug, version)
    existing = await session.execute(
        select(Endorsement.id).where(
            Endorsement.organisation_id == endorser.id,
            Endorsement.badge_version_id == badge.id,
            Endorsement.state == "active",
        )
    )
    if existing.first() is not None:
        raise InvalidStateError(
            f"{endorser.slug} already endorses {badge.slug} version {badge.version}: withdraw that endorsement first"
        )
    definition = definition_of(badge)
    endorsement_id = f"urn:uuid:{uuid.uuid4()}"
    # Checked (the comment) before a status index is taken, so a refused request takes nothing.
    unsigned = build_endorsement(
        IssuerProfile(id=endorser.did, name=endorser.name),
        achievement_id=definition.achievement_id,
        achievement_name=definition.name,
        comment=comment,
        credential_id=endorsement_id,
        now=now,
    )
    number, index = await allocate_slot(session, services, endorser, now=now)
    # OB 3.0 credentialStatus is one entry: the revocation one (withdrawal is final).
    unsigned["credentialStatus"] = status_entries(services, endorser.slug, number=number, index=index)[0]
    text = await asyncio.to_thread(_sign, services, endorser, unsigned, now=now)
    row = Endorsement(
        id=endorsement_id,
        organisation_id=endorser.id,
        badge_version_id=badge.id,
        issuer_organisation_id=issuer.id,
        comment=unsigned["credentialSubject"]["endorsementComment"],
        ldp=text,
        list_number=number,
        status_index=index,
        created_by_id=actor.person_id,
        created_at=now,
    )
    session.add(row)
    record_event(
        session,
        actor=actor,
        action="endorsement.create",
        subject_type="endorsement",
        subject_id=endorsement_id,
        organisation_id=endorser.id,
        detail={"badge": definition.lock_key, "issuer": issuer.slug},
        at=now,
    )
    await count_allocation(session, endorser, {number: 1})
    await session.commit()
    return EndorsementEntry(row, badge, issuer)


async def list_endorsements(
    session: AsyncSession, endorser: Organisation, *, limit: int, offset: int
) -> tuple[list[EndorsementEntry], int]:
    """The organisation's endorsements, newest first, with the total."""
    counted = select(func.count()).select_from(Endorsement).where(Endorsement.organisation_id == endorser.id)
    total = int((await session.execute(counted)).scalar_one())
    statement = (
        select(Endorsement, BadgeVersion, Organisation)
        .join(BadgeVersion, BadgeVersion.id == Endorsement.badge_version_id)  # type: ignore[arg-type]
        .join(Organisation, Organisation.id == Endorsement.issuer_organisation_id)  # type: ignore[arg-type]
        .where(Endorsement.organisation_id == endorser.id)
        .order_by(Endorsement.created_at.desc(), Endorsement.id)  # type: ignore[attr-defined]
        .limit(limit)
        .offset(offset)
    )
    return [EndorsementEntry(e, b, o) for e, b, o in (await session.execute(statement)).all()], total


async def withdraw_endorsement(
    session: AsyncSession,
    services: Services,
    *,
    endorser: Organisation,
    endorsement_id: str,
    actor: Principal,
    now: datetime,
) -> Endorsement:
    """Withdraw an endorsement: no longer embedded, and its revocation bit set (final); commit.

    Raises:
        NotFoundError: no such endorsement by this organisation.
        InvalidStateError: withdrawn already.
    """
    wanted = endorsement_id if endorsement_id.startswith("urn:uuid:") else f"urn:uuid:{endorsement_id}"
    row = await session.get(Endorsement, wanted)
    if row is None or row.organisation_id != endorser.id:
        raise NotFoundError("no such endorsement in this organisation")
    result = await session.execute(
        update(Endorsement)
        .where(Endorsement.id == row.id, Endorsement.state == "active")  # type: ignore[arg-type]
        .values(state="withdrawn", withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise InvalidStateError("this endorsement is withdrawn already")
    await write_status_bits(session, services, endorser, row, before="active", after="revoked", now=now)
    record_event(
        session,
        actor=actor,
        action="endorsement.withdraw",
        subject_type="endorsement",
        subject_id=row.id,
        organisation_id=endorser.id,
        detail={},
        at=now,
    )
    await session.commit()
    await session.refresh(row)
    return row


async def active_endorsements(session: AsyncSession, badge_version_id: uuid.UUID) -> list[dict[str, Any]]:
    """The signed endorsements to embed in a credential of this badge version, oldest first."""
    rows = (
        await session.execute(
            select(Endorsement.ldp)
            .where(Endorsement.badge_version_id == badge_version_id, Endorsement.state == "active")
            .order_by(Endorsement.created_at, Endorsement.id)  # type: ignore[arg-type]
        )
    ).scalars()
    return [json.loads(text) for text in rows]
