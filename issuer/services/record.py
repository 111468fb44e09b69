"""The learner's record: their badges, downloads (JSON-LD, VC-JWT, baked PNG and SVG) and deletion.

Who reads a record: the learner; a guardian of a minor learner, for the credentials issued by the
organisations that linked the guardian; a teacher or admin of an organisation, for the credentials
that organisation issued (audited as ``record.read``). Anyone else is told there is no such record,
so ids cannot be probed.

A principal restricted to one organisation (an org-restricted sign-in or an API token limited to it,
docs/service.md "Who may do what") reads only that organisation's credentials, and deletes an account
only when every membership of the learner is in that organisation: a credential that organisation's
staff could know must not give power over the rest of the account.

Badges the learner imported (issued elsewhere, ``issuer.services.imports``) are part of the record for
every reader, marked as imported; they go with the account.

Deletion removes the person (memberships, sessions, tokens, grants, guardianships, submissions and
reviews of them cascade), their badge share links and the log of their openings, the evidence files, the invitations addressed to their e-mail, their
e-mail in bulk award jobs, and the recipient and private status reason on their credentials;
the signed credential texts and their status bits stay, so the badges in the learner's hands keep
verifying (the issue's "right to be forgotten" without breaking what was handed out).
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal
from xml.sax.saxutils import escape

from sqlalchemy import delete, update
from sqlmodel import col, select

from issuer.db.models import (
    BadgeVersion,
    Credential,
    EvidenceFile,
    Guardianship,
    ImportedCredential,
    Invitation,
    Membership,
    Organisation,
    Person,
    ShareLink,
    Submission,
    WalletOfferRow,
)
from issuer.errors import ForbiddenError, InvalidRequestError, InvalidStateError, NotFoundError
from issuer.roles import STAFF_ROLES
from issuer.services.audit import record_event
from issuer.services.awards import forget_learner_in_jobs
from issuer.services.catalogue import definition_of
from issuer.services.imports import list_imports
from issuer.services.people import normalize_email
from verifier.baking import bake_png, bake_svg, blank_png

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.roles import Principal
    from issuer.services.context import Services

__all__ = [
    "DOWNLOAD_FORMATS",
    "Download",
    "RecordAccess",
    "RecordEntry",
    "credential_document",
    "delete_learner",
    "download",
    "read_imported",
    "read_record",
    "record_access",
]

DownloadFormat = Literal["json", "jwt", "png", "svg"]
DOWNLOAD_FORMATS: Final[tuple[str, ...]] = ("json", "jwt", "png", "svg")
# OB 3.0 §5 (https://www.imsglobal.org/spec/ob/v3p0/#credential-formats): JSON-LD is application/vc+ld+json;
# a VC-JWT is served as application/vc+jwt (VC-JOSE-COSE §3.1.1), which OB's text/plain also reads as text.
MEDIA_TYPES: Final = {
    "json": "application/vc+ld+json",
    "jwt": "application/vc+jwt",
    "png": "image/png",
    "svg": "image/svg+xml",
}


@dataclass(frozen=True)
class RecordAccess:
    """Why the reader may see a learner's record, and which part of it.

    Attributes:
        as_: ``self``, ``guardian`` or ``staff``.
        organisations: the organisations whose credentials the reader may see (None: all): a staff
            member's, a guardian's linking ones, a restricted principal's one.
    """

    learner: Person
    as_: Literal["self", "guardian", "staff"]
    organisations: frozenset[uuid.UUID] | None


@dataclass(frozen=True)
class RecordEntry:
    """One badge of the record as the learner sees it (never the private status reason)."""

    credential: Credential
    badge_name: str
    level_name: str
    issuer: Organisation
    attester_name: str | None

    @property
    def valid_until(self) -> datetime | None:
        """When the badge itself expires (its signed ``validUntil``); None: it does not."""
        return valid_until(self.credential)

    @property
    def formats(self) -> list[str]:
        """The downloads available: the signed texts held, and images baked with one of them."""
        texts = [name for name, text in (("json", self.credential.ldp), ("jwt", self.credential.jwt)) if text]
        return [*texts, "png", "svg"] if texts else []


@dataclass(frozen=True)
class Download:
    """A file to hand out: its bytes, media type and file name."""

    content: bytes
    media_type: str
    filename: str


async def record_access(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID, *, deleting: bool = False
) -> RecordAccess:
    """Check that ``principal`` may read (or, with ``deleting``, delete) the learner's record.

    Raises:
        NotFoundError: no such learner, or one the principal may not see (the same answer for both).
        ForbiddenError: staff asking to delete a learner's data (only the learner or a guardian may);
            a restricted principal, or a guardian, deleting an account that also belongs to an
            organisation outside their reach.
    """
    learner = await session.get(Person, learner_id)
    if learner is None or principal.person_id is None:
        raise NotFoundError("no such learner record")
    if learner.id == principal.person_id:
        own = None if principal.token_organisation is None else frozenset({principal.token_organisation})
        if deleting and own is not None and not await _only_member_of(session, learner.id, own):
            raise ForbiddenError(
                "this sign-in acts for one organisation only, and the account belongs to others too: "
                "sign in with your own password to delete it"
            )
        return RecordAccess(learner, "self", own)
    if learner.is_minor:
        linked_by = (
            await session.execute(
                select(Guardianship.organisation_id).where(
                    Guardianship.guardian_id == principal.person_id, Guardianship.student_id == learner.id
                )
            )
        ).scalars()
        usable = frozenset(org for org in linked_by if principal.may_act_in(org))
        if usable:
            if deleting and not await _only_member_of(session, learner.id, usable):
                raise ForbiddenError(
                    "you are this learner's guardian through some of their organisations only: "
                    "the account belongs to others too (sign in with your own password, or ask "
                    "each organisation to link you)"
                )
            return RecordAccess(learner, "guardian", usable)
    staff_of = frozenset(org for org, roles in principal.roles.items() if roles & STAFF_ROLES)
    staff_of = frozenset(org for org in staff_of if principal.roles_in(org))  # a token's one organisation
    if staff_of and await _learner_known_to(session, learner.id, staff_of):
        if deleting:
            raise ForbiddenError("only the learner, or a guardian of a minor learner, deletes a record")
        return RecordAccess(learner, "staff", staff_of)
    raise NotFoundError("no such learner record")


async def _only_member_of(
    session: AsyncSession, learner_id: uuid.UUID, organisations: frozenset[uuid.UUID]
) -> bool:
    """Whether every membership of the learner is in one of these organisations."""
    elsewhere = await session.execute(
        select(Membership.id).where(
            Membership.person_id == learner_id,
            Membership.organisation_id.not_in(organisations),  # type: ignore[attr-defined]
        )
    )
    return elsewhere.first() is None


async def _learner_known_to(
    session: AsyncSession, learner_id: uuid.UUID, organisations: frozenset[uuid.UUID]
) -> bool:
    """A student of one of these organisations, or holding a credential one of them issued."""
    member = await session.execute(
        select(Membership.id).where(
            Membership.person_id == learner_id,
            Membership.role == "student",
            Membership.organisation_id.in_(organisations),  # type: ignore[attr-defined]
        )
    )
    if member.first() is not None:
        return True
    issued = await session.execute(
        select(Credential.id).where(
            Credential.recipient_id == learner_id,
            Credential.organisation_id.in_(organisations),  # type: ignore[attr-defined]
        )
    )
    return issued.first() is not None


async def read_record(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    *,
    now: datetime,
    credential_id: str | None = None,
) -> list[RecordEntry]:
    """The learner's badges, newest first (or the one ``credential_id``); a staff read is audited and committed.

    Raises:
        NotFoundError: no such record for this reader, or no such credential in it.
    """
    access = await record_access(session, principal, learner_id)
    statement = (
        select(Credential, BadgeVersion, Organisation)
        .join(BadgeVersion, BadgeVersion.id == Credential.badge_version_id)  # type: ignore[arg-type]
        .join(Organisation, Organisation.id == Credential.organisation_id)  # type: ignore[arg-type]
        .where(Credential.recipient_id == learner_id)
        .order_by(Credential.issued_at.desc(), Credential.id)  # type: ignore[attr-defined]
    )
    if access.organisations is not None:
        statement = statement.where(Credential.organisation_id.in_(access.organisations))  # type: ignore[attr-defined]
    if credential_id is not None:
        statement = statement.where(Credential.id == credential_id)
    entries = []
    for credential, version, organisation in (await session.execute(statement)).all():
        definition = definition_of(version)
        entries.append(
            RecordEntry(
                credential=credential,
                badge_name=definition.name,
                level_name=definition.rubric_level(credential.level).name,
                issuer=organisation,
                attester_name=_attester_name(credential),
            )
        )
    if credential_id is not None and not entries:
        raise NotFoundError("no such credential in this learner's record")
    if access.as_ == "staff":
        for organisation_id in sorted(access.organisations or (), key=str):
            record_event(
                session,
                actor=principal,
                action="record.read",
                subject_type="person",
                subject_id=learner_id,
                organisation_id=organisation_id,
                detail={"credential": credential_id} if credential_id else {},
                at=now,
            )
        await session.commit()
    return entries


async def read_imported(
    session: AsyncSession, principal: Principal, learner_id: uuid.UUID
) -> list[ImportedCredential]:
    """The badges the learner imported (issued elsewhere, verified when added), newest first.

    Whoever may read the record sees them, marked as imported: the learner added them so that their
    school or a registrar sees all their badges in one place. They were issued by no organisation
    here, so a staff member's or restricted principal's organisation does not narrow them.

    Raises:
        NotFoundError: no such record for this reader.
    """
    await record_access(session, principal, learner_id)
    return await list_imports(session, learner_id)


def valid_until(credential: Credential) -> datetime | None:
    """The signed ``validUntil`` of a credential; None when it has none (or an unreadable one)."""
    value = credential_document(credential).get("validUntil")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:  # our own signed text: a malformed date would be a hand-edited row
        return None


def credential_document(credential: Credential) -> dict[str, Any]:
    """The signed credential as a dict (JSON-LD, else the VC-JWT's payload); {} if neither can be read."""
    try:
        if credential.ldp:
            document: Any = json.loads(credential.ldp)
        elif credential.jwt:
            payload = credential.jwt.split(".")[1]
            document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        else:
            return {}
    except (ValueError, IndexError):
        return {}  # our own stored text: only a hand-edited row would get here
    return document if isinstance(document, dict) else {}


def _attester_name(credential: Credential) -> str | None:
    """The attester as the signed credential names them (``credentialSubject.source``): it outlives their account."""
    subject = credential_document(credential).get("credentialSubject")
    source = subject.get("source") if isinstance(subject, dict) else None
    name = source.get("name") if isinstance(source, dict) else None
    return name if isinstance(name, str) else None


async def download(
    session: AsyncSession,
    principal: Principal,
    learner_id: uuid.UUID,
    credential_id: str,
    file_format: str,
    *,
    now: datetime,
) -> Download:
    """One credential as a file: the signed text verbatim, or an image with it baked in.

    PNG and SVG carry the JSON-LD credential when there is one (what wallets and the DCC verifier read),
    else the VC-JWT.

    Raises:
        NotFoundError: no such credential for this reader, an unknown format, or a format not issued
            (a JWT for a learner known only by e-mail).
    """
    if file_format not in DOWNLOAD_FORMATS:
        raise NotFoundError(f"no {file_format[:10]!r} download: choose {', '.join(DOWNLOAD_FORMATS)}")
    [entry] = await read_record(session, principal, learner_id, now=now, credential_id=credential_id)
    credential = entry.credential
    text = {"json": credential.ldp, "jwt": credential.jwt}.get(file_format, credential.ldp or credential.jwt)
    if not text:
        raise NotFoundError(f"this credential was not issued as {file_format}")
    stem = f"{credential.badge_slug}-{credential.id.rsplit(':', 1)[-1][:8]}"
    if file_format == "png":
        content = await asyncio.to_thread(
            bake_png, blank_png(width=256, height=256, rgb=(31, 111, 235)), text
        )
    elif file_format == "svg":
        content = bake_svg(badge_svg(entry.badge_name, entry.level_name), text).encode("utf-8")
    else:
        content = text.encode("utf-8")
    return Download(content, MEDIA_TYPES[file_format], f"{stem}.{file_format}")


def badge_svg(badge_name: str, level_name: str) -> str:
    """A plain badge image with its name and level (escaped: names come from definitions and the API)."""
    title = escape(badge_name[:60])
    level = escape(level_name[:40])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
        f"<title>{title}</title>"
        '<circle cx="128" cy="128" r="120" fill="#1f6feb"/>'
        '<circle cx="128" cy="128" r="104" fill="none" stroke="#ffffff" stroke-width="4"/>'
        '<text x="128" y="120" font-family="sans-serif" font-size="16" fill="#ffffff" text-anchor="middle">'
        f"{title}</text>"
        '<text x="128" y="150" font-family="sans-serif" font-size="14" fill="#ffffff" text-anchor="middle">'
        f"{level}</text>"
        "</svg>\n"
    )


async def delete_learner(
    session: AsyncSession,
    services: Services,
    principal: Principal,
    learner_id: uuid.UUID,
    *,
    confirm: str,
    now: datetime,
) -> None:
    """Delete a learner's personal data at their (or their guardian's) request; commits (``record.delete``).

    Evidence files go first: if the database step then fails, the request can simply be made again
    (deleting a file already gone is fine), and no file is left behind a deleted row.

    Raises:
        NotFoundError: no such record for this reader.
        ForbiddenError: staff (only the learner or a guardian may ask).
        InvalidRequestError: ``confirm`` is not the learner's e-mail address.
        InvalidStateError: the learner is the last admin of an organisation.
    """
    access = await record_access(session, principal, learner_id, deleting=True)
    learner = access.learner
    try:
        confirmed = normalize_email(confirm) == learner.email
    except InvalidRequestError:
        confirmed = False
    if not confirmed:
        raise InvalidRequestError("confirm: type the learner's e-mail address to confirm the deletion")
    organisations = list(
        (
            await session.execute(
                select(Membership.organisation_id).where(Membership.person_id == learner.id)
            )
        ).scalars()
    )
    await _refuse_last_admin(session, learner.id)
    keys = list(
        (
            await session.execute(
                select(EvidenceFile.storage_key)
                .join(Submission, Submission.id == EvidenceFile.submission_id)  # type: ignore[arg-type]
                .where(Submission.student_id == learner.id)
            )
        ).scalars()
    )
    for key in keys:
        await asyncio.to_thread(services.evidence.delete, key)
    # Their wallet offers and deliveries (a delivery names their wallet's DID) go; the wallet copies
    # already handed out keep verifying, under the original's status entry.
    await session.execute(
        delete(WalletOfferRow).where(
            col(WalletOfferRow.credential_id).in_(
                select(Credential.id).where(Credential.recipient_id == learner.id)
            )
        )
    )
    # recipient_id would be cleared by ON DELETE SET NULL; recipient (their e-mail or DID) and the
    # staff's note on why a badge was revoked are ours to clear.
    await session.execute(
        update(Credential)
        .where(Credential.recipient_id == learner.id)  # type: ignore[arg-type]
        .values(recipient=None, recipient_id=None, status_reason=None)
    )
    # Their share links (and the log of openings, by cascade) go too: the links must stop working.
    await session.execute(delete(ShareLink).where(ShareLink.person_id == learner.id))  # type: ignore[arg-type]
    # Invitations they accepted cascade with the person; pending ones still hold their e-mail.
    await session.execute(delete(Invitation).where(Invitation.email == learner.email))  # type: ignore[arg-type]
    await forget_learner_in_jobs(session, learner.email)
    await session.delete(learner)
    targets: list[uuid.UUID | None] = [*sorted(set(organisations), key=str)] or [None]
    for organisation_id in targets:
        record_event(
            session,
            actor=principal,  # the subject is the learner's id; never their e-mail
            action="record.delete",
            subject_type="person",
            subject_id=learner.id,
            organisation_id=organisation_id,
            detail={"by": access.as_},
            at=now,
        )
    await session.commit()


async def _refuse_last_admin(session: AsyncSession, person_id: uuid.UUID) -> None:
    admin_of = (
        await session.execute(
            select(Membership.organisation_id).where(
                Membership.person_id == person_id, Membership.role == "admin"
            )
        )
    ).scalars()
    for organisation_id in admin_of:
        others = await session.execute(
            select(Membership.id).where(
                Membership.organisation_id == organisation_id,
                Membership.role == "admin",
                Membership.person_id != person_id,
            )
        )
        if others.first() is None:
            raise InvalidStateError(
                "this person is the last admin of an organisation: add another admin first"
            )
