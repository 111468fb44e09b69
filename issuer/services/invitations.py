"""Invitation links: how an external supervisor (an internship or apprenticeship mentor) joins.

A teacher or admin invites someone by e-mail for a role; for a supervisor the invitation names the
badges they may attest and the students placed with them (SkillStack's third pain: no account set-up).
The link's token is shown once; only its SHA-256 is stored.

Decisions (docs/service.md "Invitations"):
- Accepting creates the person if new (no password), the membership and one ``SupervisorGrant`` per
  badge x student, and signs them in. Opening the link again before it expires signs them in again
  (a supervisor has no password).
- The session a link opens is always restricted to the inviting organisation, for new and existing
  accounts alike: the inviting staff saw the link, and nobody proved they own the e-mail address, so
  the link must give no power in another organisation nor over the whole account (deleting it,
  reading other organisations' badges). Someone with other roles signs in with their own password
  for those. Every link sign-in is audited as ``auth.login`` with ``{"via": "invitation"}``.
- Withdrawing an invitation stops its link; if it was accepted, the grants it created are taken back
  (``SupervisorGrant.invitation_id``), and so is the teacher role it created. A supervisor role stays:
  it gives nothing without grants, and other invitations may have given grants under it.
- Teachers invite supervisors only; admins invite supervisors or teachers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Final

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from issuer.accounts import new_token, token_digest
from issuer.db.models import Invitation, Membership, Organisation, Person, SupervisorGrant, WebSession
from issuer.errors import (
    BadgeNotFoundError,
    ForbiddenError,
    InvalidRequestError,
    InvitationInvalidError,
    NotFoundError,
)
from issuer.services.audit import record_event
from issuer.services.catalogue import offered_badge
from issuer.services.members import is_member
from issuer.services.people import (
    check_password_rules,
    ensure_person,
    find_person,
    normalize_email,
    open_session_for,
)

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.definitions import BadgeCatalog
    from issuer.roles import Principal

__all__ = [
    "INVITABLE_ROLES",
    "Accepted",
    "GrantView",
    "InvitationView",
    "accept_invitation",
    "create_invitation",
    "grants_of",
    "list_invitations",
    "show_invitation",
    "withdraw_invitation",
]

INVITATION_PREFIX: Final = "mbi"
INVITABLE_ROLES: Final = {"teacher": frozenset({"supervisor"}), "admin": frozenset({"supervisor", "teacher"})}
MAX_DAYS: Final = 90
MAX_BADGES: Final = 50
MAX_STUDENTS: Final = 200
MAX_PAGE: Final = 500


@dataclass(frozen=True)
class GrantView:
    """One thing a supervisor may attest: a badge for a student, in an organisation."""

    organisation: str
    organisation_name: str
    badge: str
    badge_name: str
    student_id: uuid.UUID
    student_name: str


@dataclass(frozen=True)
class InvitationView:
    """What the invitation page shows before accepting (students by first name only)."""

    organisation: str
    organisation_name: str
    role: str
    display_name: str
    badges: list[tuple[str, str]]  # (slug, name)
    students: list[str]  # first names
    expires_at: datetime
    accepted: bool


@dataclass(frozen=True)
class Accepted:
    """An accepted invitation: the session opened (cookie token shown once, restricted to the
    organisation) and the grants."""

    person: Person
    token: str
    web_session: WebSession
    organisation: Organisation
    role: str
    grants: list[GrantView]
    created: bool = False  # this acceptance created the account (a name and password given were used)


async def create_invitation(
    session: AsyncSession,
    catalog: BadgeCatalog,
    *,
    organisation: Organisation,
    email: str,
    display_name: str,
    role: str,
    badges: list[str],
    students: list[uuid.UUID],
    expires_in_days: int,
    actor: Principal,
    actor_roles: frozenset[str],
    now: datetime,
) -> tuple[str, Invitation]:
    """Create an invitation and commit; returns its token (shown once). Audited as ``invitation.create``.

    Raises:
        ForbiddenError: a teacher inviting a teacher.
        InvalidRequestError: unknown role, bad e-mail or name, days outside 1-90; a badge that is not
            offered here or that supervisors may not attest; a person who is not a student here (each
            named); a supervisor invitation without badges or students, a teacher one with them.
    """
    allowed = frozenset().union(*(INVITABLE_ROLES.get(held, frozenset()) for held in actor_roles))
    if role not in INVITABLE_ROLES["admin"]:
        raise InvalidRequestError(f"role {role[:40]!r}: invite a supervisor or a teacher")
    if role not in allowed:
        raise ForbiddenError(f"only an admin of {organisation.slug} invites a {role}")
    if not 1 <= expires_in_days <= MAX_DAYS:
        raise InvalidRequestError(f"expiresInDays: between 1 and {MAX_DAYS}")
    if not display_name.strip() or len(display_name) > 200:
        raise InvalidRequestError("displayName: must be 1-200 characters")
    address = normalize_email(email)
    badge_slugs = sorted(set(badges))
    student_ids = sorted(set(students))
    if role == "supervisor":
        if not badge_slugs or not student_ids:
            raise InvalidRequestError("a supervisor invitation names at least one badge and one student")
        await _check_badges(session, catalog, organisation, badge_slugs)
        await _check_students(session, organisation, student_ids)
    elif badge_slugs or student_ids:
        raise InvalidRequestError("badges and students are for supervisor invitations only")
    token = new_token(INVITATION_PREFIX)
    invitation = Invitation(
        organisation_id=organisation.id,
        email=address,
        display_name=display_name.strip(),
        role=role,
        token_hash=token_digest(token),
        badge_slugs=badge_slugs,
        student_ids=[str(student) for student in student_ids],
        invited_by_id=actor.person_id,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days),
    )
    session.add(invitation)
    record_event(
        session,
        actor=actor,
        action="invitation.create",
        subject_type="invitation",
        subject_id=invitation.id,
        organisation_id=organisation.id,
        detail={"role": role, "badges": badge_slugs, "students": invitation.student_ids},
        at=now,
    )
    await session.commit()
    return token, invitation


async def _check_badges(
    session: AsyncSession, catalog: BadgeCatalog, organisation: Organisation, slugs: list[str]
) -> None:
    if len(slugs) > MAX_BADGES:
        raise InvalidRequestError(f"badges: at most {MAX_BADGES}")
    problems = []
    for slug in slugs:
        try:
            definition, _ = await offered_badge(session, catalog, slug, organisation_id=organisation.id)
        except BadgeNotFoundError:
            problems.append(f"{slug[:100]!r} is not offered by {organisation.slug}")
            continue
        if "supervisor" not in definition.attester_roles:
            problems.append(
                f"{slug!r} is attested by {', '.join(definition.attester_roles)} only, not by supervisors"
            )
    if problems:
        raise InvalidRequestError("badges: " + "; ".join(problems))


async def _check_students(
    session: AsyncSession, organisation: Organisation, student_ids: list[uuid.UUID]
) -> None:
    if len(student_ids) > MAX_STUDENTS:
        raise InvalidRequestError(f"students: at most {MAX_STUDENTS}")
    found = await session.execute(
        select(Membership.person_id).where(
            Membership.organisation_id == organisation.id,
            Membership.role == "student",
            Membership.person_id.in_(student_ids),  # type: ignore[attr-defined]
        )
    )
    missing = sorted(set(student_ids) - set(found.scalars()))
    if missing:
        raise InvalidRequestError(
            f"students: not students of {organisation.slug}: {', '.join(str(m) for m in missing)}"
        )


async def _valid_invitation(session: AsyncSession, token: str, *, now: datetime) -> Invitation:
    invitation = (
        await session.execute(select(Invitation).where(Invitation.token_hash == token_digest(token)))
    ).scalar_one_or_none()
    # One message for every case: the link itself says nothing about who was invited.
    if invitation is None or invitation.withdrawn_at is not None or invitation.expires_at <= now:
        raise InvitationInvalidError(
            "this invitation link is unknown, withdrawn or expired: ask for a new one"
        )
    return invitation


async def show_invitation(
    session: AsyncSession, catalog: BadgeCatalog, token: str, *, now: datetime
) -> InvitationView:
    """What the invitation offers, for the page shown before accepting.

    Raises:
        InvitationInvalidError: unknown, withdrawn or expired.
    """
    invitation = await _valid_invitation(session, token, now=now)
    organisation = await session.get(Organisation, invitation.organisation_id)
    if organisation is None:  # the organisation cascade deletes its invitations: not reachable
        raise InvitationInvalidError("this invitation's organisation no longer exists")
    names = await _names(session, [uuid.UUID(s) for s in invitation.student_ids])
    return InvitationView(
        organisation=organisation.slug,
        organisation_name=organisation.name,
        role=invitation.role,
        display_name=invitation.display_name,
        badges=[
            (slug, await _badge_name(session, catalog, slug, organisation.id))
            for slug in invitation.badge_slugs
        ],
        students=sorted(name.split()[0] for name in names.values() if name.split()),
        expires_at=invitation.expires_at,
        accepted=invitation.accepted_at is not None,
    )


async def accept_invitation(
    session: AsyncSession,
    catalog: BadgeCatalog,
    token: str,
    *,
    now: datetime,
    display_name: str | None = None,
    password: str | None = None,
) -> Accepted:
    """Accept (or, accepted already, re-open) an invitation: person, membership, grants, a session; commits.

    The session acts in the inviting organisation only (the module's docstring says why).
    ``display_name`` and ``password`` apply only when the acceptance creates the account: an existing
    account keeps its name and password. Such a password was chosen by whoever held the link, which the
    inviting staff saw, so signing in with it is restricted to the inviting organisation too.

    Raises:
        InvitationInvalidError: unknown, withdrawn or expired.
        InvalidRequestError: a name or password that breaks the rules (checked before anything is stored).
    """
    if display_name is not None and (not display_name.strip() or len(display_name) > 200):
        raise InvalidRequestError("display_name: must be 1-200 characters")
    if password is not None:
        check_password_rules(password)
    for attempt in range(2):
        try:
            return await _accept(
                session, catalog, token, now=now, display_name=display_name, password=password
            )
        except IntegrityError:
            # Two clicks on the same link at once: the loser retries and finds the winner's rows.
            await session.rollback()
            if attempt:
                raise
    raise AssertionError  # pragma: no cover - the loop returns or raises


async def _accept(
    session: AsyncSession,
    catalog: BadgeCatalog,
    token: str,
    *,
    now: datetime,
    display_name: str | None,
    password: str | None,
) -> Accepted:
    invitation = await _valid_invitation(session, token, now=now)
    organisation = await session.get(Organisation, invitation.organisation_id)
    if organisation is None:
        raise InvitationInvalidError("this invitation's organisation no longer exists")
    created = False
    if invitation.accepted_at is not None and invitation.person_id is not None:
        person = await session.get(Person, invitation.person_id)
        if person is None:
            raise InvitationInvalidError(
                "this invitation link is unknown, withdrawn or expired: ask for a new one"
            )
    elif (existing := await find_person(session, invitation.email)) is not None:
        person = existing
    else:
        created = True
        person = await ensure_person(
            session,
            email=invitation.email,
            display_name=(display_name or invitation.display_name).strip(),
            password=password,
            password_org_id=organisation.id if password is not None else None,
            now=now,
        )
    if invitation.accepted_at is None:
        await _join(session, invitation, person, now=now)
    record_event(
        session,
        actor=None,
        action="auth.login",
        subject_type="person",
        subject_id=person.id,
        organisation_id=organisation.id,
        detail={"via": "invitation", "invitation": str(invitation.id)},
        at=now,
    )
    cookie, web_session = await open_session_for(
        session, person=person, now=now, organisation_id=organisation.id
    )  # commits
    grants = [g for g in await grants_of(session, catalog, person.id) if g.organisation == organisation.slug]
    return Accepted(person, cookie, web_session, organisation, invitation.role, grants, created)


async def _join(session: AsyncSession, invitation: Invitation, person: Person, *, now: datetime) -> None:
    """The membership and grants of a first acceptance, added to the caller's transaction."""
    if not await is_member(session, invitation.organisation_id, person.id, role=invitation.role):
        session.add(
            Membership(
                organisation_id=invitation.organisation_id,
                person_id=person.id,
                role=invitation.role,
                invitation_id=invitation.id,
                created_at=now,
            )
        )
    existing = set(
        (
            await session.execute(
                select(SupervisorGrant.badge_slug, SupervisorGrant.student_id).where(
                    SupervisorGrant.organisation_id == invitation.organisation_id,
                    SupervisorGrant.supervisor_id == person.id,
                )
            )
        ).all()
    )
    # A student removed from the organisation since the invitation was sent gets no grant.
    still_students = set(
        (
            await session.execute(
                select(Membership.person_id).where(
                    Membership.organisation_id == invitation.organisation_id, Membership.role == "student"
                )
            )
        ).scalars()
    )
    for slug in invitation.badge_slugs:
        for student in invitation.student_ids:
            student_id = uuid.UUID(student)
            if (slug, student_id) in existing or student_id not in still_students:
                continue
            session.add(
                SupervisorGrant(
                    organisation_id=invitation.organisation_id,
                    supervisor_id=person.id,
                    student_id=student_id,
                    badge_slug=slug,
                    granted_by_id=invitation.invited_by_id,
                    invitation_id=invitation.id,
                    created_at=now,
                )
            )
    invitation.accepted_at = now
    invitation.person_id = person.id
    record_event(
        session,
        actor=None,
        action="invitation.accept",
        subject_type="invitation",
        subject_id=invitation.id,
        organisation_id=invitation.organisation_id,
        detail={"person": str(person.id), "role": invitation.role},
        at=now,
    )
    await session.flush()


async def withdraw_invitation(
    session: AsyncSession,
    *,
    organisation: Organisation,
    invitation_id: uuid.UUID,
    actor: Principal,
    actor_roles: frozenset[str],
    now: datetime,
) -> Invitation:
    """Stop an invitation's link and take back the grants (and teacher role) it created; commits
    (``invitation.withdraw``).

    Raises:
        NotFoundError: no such invitation here, or (for a teacher who is not an admin) not one they sent.
    """
    invitation = await session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.organisation_id != organisation.id
        or ("admin" not in actor_roles and invitation.invited_by_id != actor.person_id)
    ):
        raise NotFoundError("no such invitation in this organisation")
    if invitation.withdrawn_at is None:
        invitation.withdrawn_at = now
        # Only what this invitation created: a grant or role given another way stays.
        grants = await session.execute(
            delete(SupervisorGrant).where(SupervisorGrant.invitation_id == invitation.id)  # type: ignore[arg-type]
        )
        roles = await session.execute(
            delete(Membership).where(
                Membership.invitation_id == invitation.id,  # type: ignore[arg-type]
                Membership.role == "teacher",  # type: ignore[arg-type]
            )
        )
        record_event(
            session,
            actor=actor,
            action="invitation.withdraw",
            subject_type="invitation",
            subject_id=invitation.id,
            organisation_id=organisation.id,
            detail={"grantsRemoved": grants.rowcount, "roleRemoved": bool(roles.rowcount)},  # type: ignore[attr-defined]
            at=now,
        )
        await session.commit()
    return invitation


async def list_invitations(
    session: AsyncSession, organisation_id: uuid.UUID, *, limit: int = 100, offset: int = 0
) -> list[Invitation]:
    """The organisation's invitations, newest first; one page of at most 500."""
    result = await session.execute(
        select(Invitation)
        .where(Invitation.organisation_id == organisation_id)
        .order_by(col(Invitation.created_at).desc(), col(Invitation.id))
        .limit(max(1, min(limit, MAX_PAGE)))
        .offset(max(0, offset))
    )
    return list(result.scalars())


async def grants_of(
    session: AsyncSession,
    catalog: BadgeCatalog,
    supervisor_id: uuid.UUID,
    *,
    organisation_id: uuid.UUID | None = None,
) -> list[GrantView]:
    """What a supervisor may attest (everywhere, or in one organisation): badge x student, in order."""
    statement = (
        select(SupervisorGrant, Organisation, Person)
        .join(Organisation, Organisation.id == SupervisorGrant.organisation_id)  # type: ignore[arg-type]
        .join(Person, Person.id == SupervisorGrant.student_id)  # type: ignore[arg-type]
        .where(SupervisorGrant.supervisor_id == supervisor_id)
    )
    if organisation_id is not None:
        statement = statement.where(SupervisorGrant.organisation_id == organisation_id)
    result = await session.execute(
        statement.order_by(Organisation.slug, SupervisorGrant.badge_slug, Person.display_name)
    )
    names: dict[tuple[str, uuid.UUID], str] = {}  # one catalogue lookup per badge, not per grant
    views = []
    for grant, organisation, student in result.all():
        key = (grant.badge_slug, organisation.id)
        if key not in names:
            names[key] = await _badge_name(session, catalog, grant.badge_slug, organisation.id)
        views.append(
            GrantView(
                organisation=organisation.slug,
                organisation_name=organisation.name,
                badge=grant.badge_slug,
                badge_name=names[key],
                student_id=student.id,
                student_name=student.display_name,
            )
        )
    return views


async def _badge_name(
    session: AsyncSession, catalog: BadgeCatalog, slug: str, organisation_id: uuid.UUID
) -> str:
    try:
        definition, _ = await offered_badge(session, catalog, slug, organisation_id=organisation_id)
    except BadgeNotFoundError:
        return slug  # withdrawn from the catalogue since: the slug still says which
    return definition.name


async def _names(session: AsyncSession, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not person_ids:
        return {}
    result = await session.execute(
        select(Person.id, Person.display_name).where(Person.id.in_(person_ids))  # type: ignore[attr-defined]
    )
    return {row[0]: row[1] for row in result.all()}
