"""An organisation's members and the guardians of its minor students (admin operations, one transaction each).

Who may add whom: an admin adds anyone in any role; a teacher adds students only (a class list), never
staff. A password is set only for a new account: adding an existing person to an organisation never
changes their password, name or minor flag (else an admin of one school could take over an account
that belongs to another). A password an admin or teacher sets marks the account so that signing in
with it acts in their organisation only (``Person.password_org_id``, docs/service.md).

Guardians: the link is the linking organisation's word (``Guardianship.organisation_id``), so a
guardian's powers count only through the organisations that linked them; an admin cannot make
themself, or anyone on the organisation's staff, a guardian (else an admin could take over a student
of another school by enrolling them here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from issuer.db.models import Guardianship, Membership, Organisation, Person
from issuer.errors import ForbiddenError, InvalidRequestError, InvalidStateError, NotFoundError
from issuer.roles import ROLES
from issuer.services.audit import record_event
from issuer.services.people import add_member, ensure_person, find_person

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.roles import Principal

__all__ = [
    "TEACHER_ADDABLE_ROLES",
    "add_guardian",
    "enrol_member",
    "is_member",
    "list_guardians",
    "remove_member",
]

TEACHER_ADDABLE_ROLES: Final = frozenset({"student"})
# Who cannot also be a guardian in the same organisation: they could then act on a minor's whole record.
NOT_GUARDIANS: Final = frozenset({"admin", "teacher", "supervisor"})


async def is_member(
    session: AsyncSession, organisation_id: uuid.UUID, person_id: uuid.UUID, *, role: str
) -> bool:
    """Whether the person holds ``role`` in the organisation."""
    found = await session.execute(
        select(Membership.id).where(
            Membership.organisation_id == organisation_id,
            Membership.person_id == person_id,
            Membership.role == role,
        )
    )
    return found.first() is not None


async def _refuse_password_for_existing(session: AsyncSession, email: str, password: str | None) -> bool:
    """Whether the e-mail belongs to an existing account; a password for one is refused."""
    existing = await find_person(session, email)
    if existing is not None and password is not None:
        raise InvalidRequestError(
            f"{existing.email} has an account already: leave out password (their own stays unchanged)"
        )
    return existing is not None


async def enrol_member(
    session: AsyncSession,
    *,
    organisation: Organisation,
    email: str,
    display_name: str,
    role: str,
    actor: Principal,
    actor_roles: frozenset[str],
    now: datetime,
    password: str | None = None,
    is_minor: bool = False,
) -> tuple[Person, Membership]:
    """Give someone a role here (creating their account when new) and commit; audited as ``member.add``.

    Raises:
        ForbiddenError: a teacher (who is not also an admin) adding a role other than student.
        InvalidRequestError: unknown role, bad e-mail or password, a password for an existing account,
            or the role is held already.
    """
    if role not in ROLES:
        raise InvalidRequestError(f"role {role[:40]!r}: choose one of {', '.join(ROLES)}")
    if "admin" not in actor_roles and role not in TEACHER_ADDABLE_ROLES:
        raise ForbiddenError(
            f"teachers add students only; ask an admin of {organisation.slug} to add a {role}"
        )
    await _refuse_password_for_existing(session, email, password)
    return await add_member(
        session,
        organisation=organisation,
        email=email,
        display_name=display_name,
        role=role,
        now=now,
        actor=actor,
        password=password,
        is_minor=is_minor,
    )


async def remove_member(
    session: AsyncSession,
    *,
    organisation: Organisation,
    membership_id: uuid.UUID,
    actor: Principal,
    now: datetime,
) -> Membership:
    """Take one role away and commit; audited as ``member.remove``. The person's account stays.

    Raises:
        NotFoundError: no such membership in this organisation.
        InvalidStateError: it is the organisation's last admin.
    """
    membership = await session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        raise NotFoundError("no such membership in this organisation")
    if membership.role == "admin":
        # Lock the admin rows (PostgreSQL): two admins removing each other at once cannot both succeed.
        admins = await session.execute(
            select(Membership.id)
            .where(Membership.organisation_id == organisation.id, Membership.role == "admin")
            .with_for_update()
        )
        if len(admins.all()) <= 1:
            raise InvalidStateError(
                f"the last admin of {organisation.slug} cannot be removed: add another first"
            )
    await session.delete(membership)
    record_event(
        session,
        actor=actor,
        action="member.remove",
        subject_type="person",
        subject_id=membership.person_id,
        organisation_id=organisation.id,
        detail={"role": membership.role},
        at=now,
    )
    await session.commit()
    return membership


async def add_guardian(
    session: AsyncSession,
    *,
    organisation: Organisation,
    student_id: uuid.UUID,
    email: str,
    display_name: str,
    actor: Principal,
    now: datetime,
    password: str | None = None,
) -> tuple[Person, Guardianship]:
    """Record a parent or guardian of a minor student of this organisation and commit (``guardian.add``).

    The guardian gets no role in the organisation: while the student is a minor, they may read and
    download the badges this organisation issued, and ask to delete the record when every
    organisation of the student linked them.

    Raises:
        NotFoundError: the person is not a student of this organisation.
        ForbiddenError: the acting admin themself, or someone on this organisation's staff.
        InvalidRequestError: the student is not a minor; bad e-mail or password; a password for an
            existing account; the student themself; the guardianship exists already.
    """
    student = await session.get(Person, student_id)
    if student is None or not await is_member(session, organisation.id, student_id, role="student"):
        raise NotFoundError("no such student in this organisation")
    if not student.is_minor:
        raise InvalidRequestError("this student is not a minor: an adult student manages their own record")
    await _refuse_password_for_existing(session, email, password)
    guardian = await ensure_person(
        session,
        email=email,
        display_name=display_name,
        now=now,
        password=password,
        password_org_id=organisation.id,
    )
    if guardian.id == student.id:
        raise InvalidRequestError("a student cannot be their own guardian")
    if guardian.id == actor.person_id:
        raise ForbiddenError("you cannot make yourself a guardian: another admin must link you")
    staff = await session.execute(
        select(Membership.role).where(
            Membership.organisation_id == organisation.id,
            Membership.person_id == guardian.id,
            Membership.role.in_(NOT_GUARDIANS),  # type: ignore[attr-defined]
        )
    )
    if (role := staff.scalars().first()) is not None:
        raise ForbiddenError(
            f"{guardian.email} is a {role} of {organisation.slug}: staff cannot be guardians here"
        )
    guardianship = Guardianship(
        organisation_id=organisation.id, guardian_id=guardian.id, student_id=student.id, created_at=now
    )
    session.add(guardianship)
    record_event(
        session,
        actor=actor,
        action="guardian.add",
        subject_type="person",
        subject_id=student.id,
        organisation_id=organisation.id,
        detail={"guardian": str(guardian.id)},
        at=now,
    )
    try:
        await session.commit()
    except IntegrityError as err:
        await session.rollback()
        raise InvalidRequestError(
            f"this person is already a guardian of this student for {organisation.slug}"
        ) from err
    return guardian, guardianship


async def list_guardians(
    session: AsyncSession, student_id: uuid.UUID, *, organisation_id: uuid.UUID | None = None
) -> list[Person]:
    """The guardians of a student (linked by that organisation, if given), by name."""
    statement = (
        select(Person)
        .join(Guardianship, Guardianship.guardian_id == Person.id)  # type: ignore[arg-type]
        .where(Guardianship.student_id == student_id)
        .order_by(Person.display_name)
        .distinct()
    )
    if organisation_id is not None:
        statement = statement.where(Guardianship.organisation_id == organisation_id)
    result = await session.execute(statement)
    return list(result.scalars())
