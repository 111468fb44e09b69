"""Direct awards, and bulk awards from a CSV file as a resumable job.

Both issue through :func:`issuer.services.issuing.issue_credential`, which keys every award with
:func:`issuer.issuance.award_key` over the student's *person id* (never the e-mail address, so a key
cannot confirm a guessed address). A direct award and a CSV row for the same student, badge version and
level are therefore one award: whichever comes second is refused (``ALREADY_ISSUED``) or skipped.
(:mod:`issuer.bulk_csv` compares the cells as written only to find repeats inside one file.)

Teachers and admins attest in the role :func:`issuer.issuance.attesting_role` gives (the same rule as
approvals): an admin as ``admin`` when the badge allows it, else as ``teacher``.

A bulk job: :func:`create_job` reads the whole file (a file that cannot be read is refused and nothing is
stored), and stores the job, its text and the rows refused on reading. :func:`run_job` then works through
the accepted rows in batches of :data:`BATCH_SIZE`, one transaction per batch (the credentials, their
status slots, each row's outcome and the job's counters together), so a crash loses at most the batch in
flight. Resuming is running it again: rows already recorded are passed over, and a row whose award key
exists is ``skipped``, never issued twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import sqlite3
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, func, or_, true, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, select

from issuer.bulk_csv import AwardRow, RejectedRow, read_award_csv, rejected_rows_csv
from issuer.db.models import (
    AwardJob,
    AwardJobRow,
    BadgeVersion,
    Membership,
    Organisation,
    Person,
    SupervisorGrant,
)
from issuer.errors import (
    AlreadyIssuedError,
    BadgeNotFoundError,
    ForbiddenError,
    InvalidAwardError,
    InvalidRequestError,
    IssuerError,
    NotFoundError,
)
from issuer.issuance import EvidenceItem, attesting_role, award_key, check_text
from issuer.roles import Principal
from issuer.services.audit import record_event
from issuer.services.catalogue import offered_badge, offered_badges
from issuer.services.issuing import AttesterInfo, find_award, issue_credential
from issuer.services.people import normalize_email
from issuer.services.search import contains_pattern
from issuer.services.status_lists import StatusSlotTaken, count_allocation

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.db.models import Credential
    from issuer.definitions import BadgeCatalog, BadgeDefinition
    from issuer.services.context import Services
    from issuer.settings import Settings

__all__ = [
    "BATCH_SIZE",
    "CsvRunOutcome",
    "DirectAward",
    "JobProgress",
    "award_directly",
    "create_job",
    "find_student",
    "forget_learner_in_jobs",
    "get_job",
    "job_progress",
    "rejected_report",
    "rejected_rows",
    "run_csv_job",
    "run_job",
    "staff_role",
    "unfinished_job_for_file",
    "unfinished_jobs",
]

_log = logging.getLogger(__name__)

BATCH_SIZE: Final = 100
DELETED_LEARNER: Final = "[deleted learner]"
UNEXPECTED_FAILURE: Final = (
    "the job stopped on an unexpected error; the rows dealt with so far are kept. "
    "The service log has the details: ask an administrator"
)
UNFINISHED: Final = ("pending", "running")
_BATCH_ATTEMPTS: Final = 5  # a batch that collides with a concurrent award is redone, seeing it


def _database_busy(err: OperationalError) -> bool:
    """SQLite's "database is locked": another connection held the write lock (worth redoing)."""
    return isinstance(err.orig, sqlite3.OperationalError) and "locked" in str(err.orig)


@dataclass(frozen=True)
class DirectAward:
    """One award asked for by a teacher, an admin or a supervisor.

    Attributes:
        student: the student's person id or e-mail address (a student of the organisation).
        badge: the badge slug.
        level: the mastery level, 1-4.
        comment: the attester's comment (the credential's narrative).
        evidence_url: an http(s) link to the evidence.
    """

    student: str
    badge: str
    level: int
    comment: str | None = None
    evidence_url: str | None = None


@dataclass(frozen=True)
class JobProgress:
    """A job's state and counters, as the API and the CLI show them."""

    id: uuid.UUID
    state: str
    filename: str
    total: int
    issued: int
    skipped: int
    rejected: int
    failed: int
    message: str

    @property
    def done(self) -> int:
        return self.issued + self.skipped + self.rejected + self.failed

    @property
    def progress(self) -> float:
        """The share of rows dealt with, 0.0 to 1.0 (1.0 for an empty file)."""
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)


def job_progress(job: AwardJob) -> JobProgress:
    return JobProgress(
        id=job.id,
        state=job.state,
        filename=job.filename,
        total=job.total,
        issued=job.issued,
        skipped=job.skipped,
        rejected=job.rejected,
        failed=job.failed,
        message=job.message,
    )


# --- students and attesters ---------------------------------------------------------------------------


async def _student_of(session: AsyncSession, organisation_id: uuid.UUID, where: object) -> Person | None:
    result = await session.execute(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)  # type: ignore[arg-type]
        .where(
            Membership.organisation_id == organisation_id,
            Membership.role == "student",
            where,  # type: ignore[arg-type]
        )
        .limit(1)
    )
    return result.scalar_one_or_none()


async def find_student(session: AsyncSession, organisation: Organisation, reference: str) -> Person:
    """The student of ``organisation`` named by a person id, an e-mail address or a DID.

    Raises:
        InvalidRequestError: no student of this organisation is known by that reference.
    """
    reference = reference.strip()
    shown = reference[:120]
    if reference.startswith("did:"):
        person = await _student_of(session, organisation.id, Person.did == reference)
    else:
        try:
            person_id = uuid.UUID(reference)
        except ValueError:
            if "@" not in reference:
                raise InvalidRequestError(
                    f"student {shown!r}: give the student's id, e-mail address or DID"
                ) from None
            email = normalize_email(reference)
            person = await _student_of(session, organisation.id, Person.email == email)
        else:
            person = await _student_of(session, organisation.id, Person.id == person_id)
    if person is None:
        raise InvalidRequestError(f"no student {shown!r} in {organisation.slug}")
    return person


def staff_role(roles: Iterable[str]) -> str | None:
    """The staff role a bulk job runs in: ``admin`` for an admin, else ``teacher``; None for neither.

    Each row then attests in :func:`issuer.issuance.attesting_role` of that role and its badge.
    """
    held = set(roles)
    return next((role for role in ("admin", "teacher") if role in held), None)


async def _roles_of(session: AsyncSession, organisation_id: uuid.UUID, person_id: uuid.UUID) -> set[str]:
    result = await session.execute(
        select(Membership.role).where(
            Membership.organisation_id == organisation_id, Membership.person_id == person_id
        )
    )
    return set(result.scalars())


async def _attester_role(
    session: AsyncSession,
    *,
    organisation: Organisation,
    principal: Principal,
    roles: frozenset[str],
    definition: BadgeDefinition,
    student: Person,
) -> str:
    """Which of the principal's roles attests this award; a supervisor only within their grant.

    Raises:
        ForbiddenError: a supervisor without a grant for this badge and student.
    """
    role = attesting_role(roles, allowed=definition.attester_roles)
    if role is not None:
        return role
    staff = staff_role(roles)
    if "supervisor" in roles and "supervisor" in definition.attester_roles:
        granted = await session.execute(
            select(SupervisorGrant.id).where(
                SupervisorGrant.organisation_id == organisation.id,
                SupervisorGrant.supervisor_id == principal.person_id,
                SupervisorGrant.student_id == student.id,
                SupervisorGrant.badge_slug == definition.slug,
            )
        )
        if granted.first() is None:
            raise ForbiddenError(
                f"your supervision covers no '{definition.slug}' award for {student.display_name}"
            )
        return "supervisor"
    if staff is not None:
        return staff  # issue_credential refuses it with the badge's allowed attester roles
    raise ForbiddenError(f"a supervisor may not attest '{definition.slug}'")


def _check_link(url: str) -> None:
    try:
        parts = urlsplit(url)
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # "http://[::1": a malformed IPv6 address, or a port that is not a number
        valid = False
    if not valid or any(c.isspace() for c in url):
        raise InvalidAwardError(f"evidenceUrl: {url[:200]!r} is not an http(s) URL")
    check_text(url, "evidenceUrl")


# --- direct award -------------------------------------------------------------------------------------


async def award_directly(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    principal: Principal,
    roles: frozenset[str],
    request: DirectAward,
    now: datetime,
) -> Credential:
    """Issue one badge to one student now, and commit.

    Raises:
        InvalidRequestError: the student is not a student of this organisation.
        BadgeNotFoundError: the organisation offers no such badge.
        InvalidAwardError: a level outside the rubric or below the required one, an attester role the
            badge does not allow, an evidence link that is not http(s).
        ForbiddenError: a supervisor outside their grant.
        AlreadyIssuedError: the student holds this badge version at this level already.
    """
    if request.evidence_url is not None:
        _check_link(request.evidence_url)  # before a status index is taken, so a refusal takes nothing
    if request.comment is not None:
        check_text(request.comment, "comment")
    student = await find_student(session, organisation, request.student)
    definition, version = await offered_badge(
        session, services.catalog, request.badge, organisation_id=organisation.id
    )
    role = await _attester_role(
        session,
        organisation=organisation,
        principal=principal,
        roles=roles,
        definition=definition,
        student=student,
    )
    evidence = (
        () if request.evidence_url is None else (EvidenceItem(name="Evidence", url=request.evidence_url),)
    )
    attester = AttesterInfo(
        person_id=principal.person_id,
        name=principal.display_name,
        role=role,
        organization=None if role == "supervisor" else organisation.name,
    )
    try:
        credential, slots = await issue_credential(
            session,
            services,
            organisation=organisation,
            badge=version,
            student=student,
            level=request.level,
            attester=attester,
            actor=principal,
            now=now,
            evidence=evidence,
            narrative=request.comment,
        )
        record_event(
            session,
            actor=principal,
            action="award.direct",
            subject_type="credential",
            subject_id=credential.id,
            organisation_id=organisation.id,
            detail={
                "badge": definition.lock_key,
                "level": request.level,
                "student": str(student.id),
                "role": role,
            },
            at=now,
        )
        await count_allocation(session, organisation, slots)
        await session.commit()
    except IntegrityError as err:  # the same award stored concurrently, between the check and now
        await session.rollback()
        raise AlreadyIssuedError(
            f"{student.display_name} already holds {definition.lock_key} at level {request.level}"
        ) from err
    return credential


# --- bulk award: the job ------------------------------------------------------------------------------


async def _badge_lookup(
    session: AsyncSession, catalog: BadgeCatalog, organisation_id: uuid.UUID
) -> Callable[[str], BadgeDefinition]:
    """Slug -> the definition the organisation offers: a published consortium badge, or its own badge
    (the newest version it added through the API); drafts are not offered."""
    own = {
        definition.slug: definition
        for definition, row in await offered_badges(session, catalog, organisation_id=organisation_id)
        if row.organisation_id is not None
    }

    def lookup(slug: str) -> BadgeDefinition:
        if slug in own and slug not in catalog:
            return own[slug]
        definition = catalog.get(slug)
        if definition.lock_key in catalog.unpublished:
            raise BadgeNotFoundError(f"badge {slug!r} is a draft: it is not offered yet")
        return definition

    return lookup


def _rejected_row(job_id: uuid.UUID, row: RejectedRow) -> AwardJobRow:
    return AwardJobRow(
        job_id=job_id,
        row_number=row.row_number,
        outcome="rejected",
        column=row.column or None,
        value=row.value,
        message=row.message,
    )


async def create_job(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    creator: Principal,
    attester_role: str,
    filename: str,
    data: bytes,
    enrol: bool,
    now: datetime,
) -> AwardJob:
    """Read a bulk-award CSV and store it as a job (``pending``, or ``done`` when no row can be awarded).

    Args:
        creator: who uploads; attests every award of the job, as ``attester_role`` (their staff role,
            see :func:`staff_role`) allows for each badge (:func:`issuer.issuance.attesting_role`).
        enrol: create the students the file names by e-mail who are not students here yet.

    Raises:
        InvalidCsvError: the file as a whole cannot be read; nothing is stored.
    """
    if creator.person_id is None:
        raise ForbiddenError("a bulk award is made by a person: name the teacher or admin")
    lookup = await _badge_lookup(session, services.catalog, organisation.id)
    sheet = await asyncio.to_thread(read_award_csv, data, catalog_lookup=lookup, attester_role=attester_role)
    job = AwardJob(
        organisation_id=organisation.id,
        created_by_id=creator.person_id,
        filename=(filename or "awards.csv")[:200],
        file_sha256=sheet.sha256,
        csv_text=data.decode("utf-8-sig"),  # read_award_csv accepted it: UTF-8 without NUL bytes
        state="pending" if sheet.rows else "done",
        total=sheet.total,
        rejected=len(sheet.rejected),
        enrol=enrol,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    await session.flush()
    session.add_all([_rejected_row(job.id, row) for row in sheet.rejected])
    record_event(
        session,
        actor=creator,
        action="award.job.create",
        subject_type="award_job",
        subject_id=job.id,
        organisation_id=organisation.id,
        detail={
            "file_sha256": sheet.sha256,
            "total": sheet.total,
            "rejected": len(sheet.rejected),
            "enrol": enrol,
        },
        at=now,
    )
    await session.commit()
    return job


async def get_job(session: AsyncSession, organisation: Organisation, job_id: uuid.UUID) -> AwardJob:
    """A job of this organisation.

    Raises:
        NotFoundError: no such job here (another organisation's job is not found either).
    """
    job = await session.get(AwardJob, job_id)
    if job is None or job.organisation_id != organisation.id:
        raise NotFoundError(f"no award job {job_id} in {organisation.slug}")
    return job


async def rejected_rows(
    session: AsyncSession, organisation: Organisation, job_id: uuid.UUID, *, limit: int | None = None
) -> list[RejectedRow]:
    """The rejected rows of a job, in file order (the first ``limit`` of them, if given)."""
    await get_job(session, organisation, job_id)
    result = await session.execute(
        select(AwardJobRow)
        .where(AwardJobRow.job_id == job_id, AwardJobRow.outcome == "rejected")
        .order_by(AwardJobRow.row_number)  # type: ignore[arg-type]
        .limit(limit)
    )
    return [RejectedRow(row.row_number, row.column or "", row.value, row.message) for row in result.scalars()]


async def rejected_report(session: AsyncSession, organisation: Organisation, job_id: uuid.UUID) -> str:
    """The rejected rows of a job as a CSV report (row, column, value, message)."""
    return rejected_rows_csv(await rejected_rows(session, organisation, job_id))


async def unfinished_jobs(services: Services) -> list[uuid.UUID]:
    """Jobs left ``pending`` or ``running`` (by a crash or a stop), oldest first: to resume at start-up."""
    async with services.sessions() as session:
        result = await session.execute(
            select(AwardJob.id)
            .where(AwardJob.state.in_(UNFINISHED))  # type: ignore[attr-defined]
            .order_by(AwardJob.created_at)  # type: ignore[arg-type]
        )
        return list(result.scalars())


async def unfinished_job_for_file(
    session: AsyncSession, organisation_id: uuid.UUID, file_sha256: str
) -> AwardJob | None:
    """The newest unfinished (or failed) job of the same file in this organisation, to continue it."""
    result = await session.execute(
        select(AwardJob)
        .where(
            AwardJob.organisation_id == organisation_id,
            AwardJob.file_sha256 == file_sha256,
            AwardJob.state.in_((*UNFINISHED, "failed")),  # type: ignore[attr-defined]
        )
        .order_by(AwardJob.created_at.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    return result.scalar_one_or_none()


class _BatchRace(Exception):  # noqa: N818 - internal control flow: redo the batch
    pass


class _RowRefused(Exception):  # noqa: N818 - internal control flow, becomes a rejected row
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass
class _JobContext:
    """What every batch of one run needs (re-read inside each batch's session where it is a row)."""

    job_id: uuid.UUID
    organisation_id: uuid.UUID
    creator_id: uuid.UUID
    attester_role: str
    enrol: bool
    versions: dict[str, BadgeVersion]


async def _student_for_row(
    session: AsyncSession,
    organisation: Organisation,
    student: str,
    *,
    enrol: bool,
    actor: Principal,
    now: datetime,
) -> Person:
    if student.startswith("did:"):
        person = await _student_of(session, organisation.id, Person.did == student)
        if person is None:
            raise _RowRefused(
                "student",
                f"no student with the DID {student[:120]} in {organisation.slug}"
                + (" (enrolling needs an e-mail address)" if enrol else ""),
            )
        return person
    person = await _student_of(session, organisation.id, Person.email == student)
    if person is not None:
        return person
    if not enrol:
        raise _RowRefused(
            "student",
            f"{student} is not a student of {organisation.slug}: add them first, or upload with enrol=true",
        )
    found = await session.execute(select(Person).where(Person.email == student))
    person = found.scalar_one_or_none()
    if person is None:
        person = Person(email=student, display_name=student.split("@", 1)[0][:200], created_at=now)
        session.add(person)
        await session.flush()
    session.add(
        Membership(organisation_id=organisation.id, person_id=person.id, role="student", created_at=now)
    )
    record_event(
        session,
        actor=actor,
        action="member.add",
        subject_type="person",
        subject_id=person.id,
        organisation_id=organisation.id,
        detail={"role": "student", "via": "award_job"},
        at=now,
    )
    await session.flush()
    return person


async def _award_row(
    session: AsyncSession,
    services: Services,
    context: _JobContext,
    row: AwardRow,
    *,
    organisation: Organisation,
    creator: Person,
    actor: Principal,
    slots: dict[int, int],
    now: datetime,
) -> tuple[str, str | None]:
    """Issue one row, or find it issued already: ``(outcome, credential id)``."""
    student = await _student_for_row(
        session, organisation, row.student, enrol=context.enrol, actor=actor, now=now
    )
    version = context.versions.get(row.badge)
    if version is None:
        try:
            _, version = await offered_badge(
                session, services.catalog, row.badge, organisation_id=organisation.id
            )
        except BadgeNotFoundError as err:
            raise _RowRefused("badge", err.detail) from None
        context.versions[row.badge] = version
    existing = await find_award(
        session, organisation.id, award_key(row.definition, level=row.level, student=str(student.id))
    )
    if existing is not None:
        return "skipped", existing.id
    evidence = (
        ()
        if row.evidence_url is None
        else (EvidenceItem(name=row.evidence_name or "Evidence", url=row.evidence_url),)
    )
    try:
        credential, taken = await issue_credential(
            session,
            services,
            organisation=organisation,
            badge=version,
            student=student,
            level=row.level,
            attester=AttesterInfo(
                person_id=creator.id,
                name=creator.display_name,
                role=row.attester_role,
                organization=organisation.name,
            ),
            actor=actor,
            now=now,
            evidence=evidence,
            narrative=row.comment,
        )
    except InvalidAwardError as err:
        raise _RowRefused("level", err.detail) from None
    for number, count in taken.items():
        slots[number] = slots.get(number, 0) + count
    return "issued", credential.id


async def _run_batch(services: Services, context: _JobContext, batch: list[AwardRow]) -> None:
    """Issue one batch in one transaction: credentials, slots, row outcomes and job counters together."""
    now = services.clock()
    async with services.sessions() as session:
        job = await session.get(AwardJob, context.job_id)
        organisation = await session.get(Organisation, context.organisation_id)
        creator = await session.get(Person, context.creator_id)
        if job is None or organisation is None or creator is None:
            raise NotFoundError("the job, its organisation or its creator was deleted")
        # Write first, with a statement that always runs (a flush of an unchanged updated_at emits
        # nothing): pysqlite opens its transaction at the first write, and a SAVEPOINT outside one
        # starts a read transaction that fails at once ("database is locked") when it later writes
        # after another writer committed. This keeps the batch one write transaction on SQLite too.
        await session.execute(
            update(AwardJob).where(col(AwardJob.id) == context.job_id).values(updated_at=now)
        )
        recorded = set(
            (
                await session.execute(
                    select(AwardJobRow.row_number).where(
                        AwardJobRow.job_id == context.job_id,
                        AwardJobRow.row_number.in_([row.row_number for row in batch]),  # type: ignore[attr-defined]
                    )
                )
            ).scalars()
        )
        actor = Principal(
            person_id=creator.id,
            display_name=creator.display_name,
            roles={organisation.id: frozenset({context.attester_role})},
        )
        slots: dict[int, int] = {}
        counts = {"issued": 0, "skipped": 0, "rejected": 0}
        for row in batch:
            if row.row_number in recorded:
                continue  # a concurrent run of the same job recorded it
            outcome, column, message, credential_id = "rejected", None, "", None
            try:
                async with session.begin_nested():
                    outcome, credential_id = await _award_row(
                        session,
                        services,
                        context,
                        row,
                        organisation=organisation,
                        creator=creator,
                        actor=actor,
                        slots=slots,
                        now=now,
                    )
            except _RowRefused as refused:
                column, message = refused.column, refused.message
            except AlreadyIssuedError as err:
                # A concurrent award won the race after our check (issue_credential may have rolled the
                # whole session back): redo the batch, which then finds it and skips the row.
                raise _BatchRace from err
            except InvalidRequestError as err:
                column, message = "student", err.detail
            counts[outcome] += 1
            session.add(
                AwardJobRow(
                    job_id=context.job_id,
                    row_number=row.row_number,
                    outcome=outcome,
                    column=column,
                    value=row.student if outcome == "rejected" else "",
                    message=message,
                    credential_id=credential_id,
                )
            )
        job.issued += counts["issued"]
        job.skipped += counts["skipped"]
        job.rejected += counts["rejected"]
        job.updated_at = now
        await count_allocation(session, organisation, slots)
        await session.commit()


async def _finish(services: Services, job_id: uuid.UUID, *, state: str, message: str = "") -> AwardJob:
    now = services.clock()
    async with services.sessions() as session:
        job = await session.get(AwardJob, job_id)
        if job is None:
            raise NotFoundError(f"no award job {job_id}")
        job.state = state
        job.message = message
        job.updated_at = now
        record_event(
            session,
            actor=None,
            action=f"award.job.{'done' if state == 'done' else state}",
            subject_type="award_job",
            subject_id=job.id,
            organisation_id=job.organisation_id,
            detail={
                "issued": job.issued,
                "skipped": job.skipped,
                "rejected": job.rejected,
                "message": message,
            },
            at=now,
        )
        await session.commit()
        return job


async def run_job(
    services: Services,
    job_id: uuid.UUID,
    *,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
    on_batch: Callable[[JobProgress], None] | None = None,
) -> JobProgress:
    """Run (or resume) a job to its end: ``done``, or ``failed`` with a message when it cannot go on.

    Args:
        batch_size: rows per transaction.
        max_batches: stop after this many batches, leaving the job ``running`` (tests use it to stand
            for a crash; a later call resumes it).
        on_batch: called with the progress after each committed batch (the CLI's progress bar).

    Any unexpected error (a bug, the database refusing a value) ends the job ``failed`` with a message
    that names no internals (the traceback goes to the log), never leaves it ``running``: a failed job
    is not resumed at start-up, so one poisoned job cannot fail again at every start.

    Raises:
        NotFoundError: no such job.
    """
    async with services.sessions() as session:
        if await session.get(AwardJob, job_id) is None:
            raise NotFoundError(f"no award job {job_id}")
    try:
        return await _run_job(
            services, job_id, batch_size=batch_size, max_batches=max_batches, on_batch=on_batch
        )
    except IssuerError as err:  # e.g. the stored file can no longer be read: its message is for people
        return job_progress(await _finish(services, job_id, state="failed", message=err.detail))
    except Exception:  # noqa: BLE001 - whatever went wrong, the job must end failed, not stay running
        _log.exception("award job %s failed on an unexpected error", job_id)
        return job_progress(await _finish(services, job_id, state="failed", message=UNEXPECTED_FAILURE))


async def _run_job(
    services: Services,
    job_id: uuid.UUID,
    *,
    batch_size: int,
    max_batches: int | None,
    on_batch: Callable[[JobProgress], None] | None,
) -> JobProgress:
    now = services.clock()
    async with services.sessions() as session:
        job = await session.get(AwardJob, job_id)
        if job is None:
            raise NotFoundError(f"no award job {job_id}")
        if job.state == "done":
            return job_progress(job)
        role = None
        if job.created_by_id is not None:
            role = staff_role(await _roles_of(session, job.organisation_id, job.created_by_id))
        if role is None:
            await session.rollback()
            return job_progress(
                await _finish(
                    services,
                    job_id,
                    state="failed",
                    message="whoever uploaded the file is no longer a teacher or admin here",
                )
            )
        lookup = await _badge_lookup(session, services.catalog, job.organisation_id)
        sheet = await asyncio.to_thread(
            read_award_csv, job.csv_text.encode("utf-8"), catalog_lookup=lookup, attester_role=role
        )
        recorded = set(
            (
                await session.execute(select(AwardJobRow.row_number).where(AwardJobRow.job_id == job_id))
            ).scalars()
        )
        # Refused on reading now but not at upload: the catalogue changed in between.
        late = [row for row in sheet.rejected if row.row_number not in recorded]
        session.add_all([_rejected_row(job_id, row) for row in late])
        job.rejected += len(late)
        job.state = "running"
        job.updated_at = now
        context = _JobContext(
            job_id=job.id,
            organisation_id=job.organisation_id,
            creator_id=job.created_by_id,  # type: ignore[arg-type]  # checked through role above
            attester_role=role,
            enrol=job.enrol,
            versions={},
        )
        await session.commit()
        progress = job_progress(job)
    if on_batch is not None:
        on_batch(progress)
    pending = [row for row in sheet.rows if row.row_number not in recorded]
    for batches, start in enumerate(range(0, len(pending), max(1, batch_size))):
        if max_batches is not None and batches >= max_batches:
            return progress
        batch = pending[start : start + batch_size]
        try:
            for attempt in range(_BATCH_ATTEMPTS):
                try:
                    await _run_batch(services, context, batch)
                    break
                except (IntegrityError, _BatchRace):
                    # A concurrent award took one of these keys (or a concurrent run recorded a row):
                    # redo the batch, which now sees it and skips it.
                    if attempt == _BATCH_ATTEMPTS - 1:
                        raise
                except OperationalError as err:
                    # SQLite's one writer was busy for longer than busy_timeout: wait, then redo.
                    if not _database_busy(err) or attempt == _BATCH_ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(0.2 * (attempt + 1))
        except IssuerError as err:
            # Not the rows' fault (keys unavailable, the organisation deleted): stop, keep what is done.
            return job_progress(await _finish(services, job_id, state="failed", message=err.detail))
        except (StatusSlotTaken, IntegrityError, OperationalError, _BatchRace):
            # The database kept refusing the batch: its text names tables and values, so log it only.
            _log.exception("award job %s: a batch failed %d times", job_id, _BATCH_ATTEMPTS)
            return job_progress(
                await _finish(
                    services,
                    job_id,
                    state="failed",
                    message="the database kept refusing a batch of awards; the rows dealt with so far "
                    "are kept: run the job again later, or ask an administrator",
                )
            )
        async with services.sessions() as session:
            current = await session.get(AwardJob, job_id)
            if current is not None:
                progress = job_progress(current)
        if on_batch is not None:
            on_batch(progress)
    return job_progress(await _finish(services, job_id, state="done"))


async def forget_learner_in_jobs(session: AsyncSession, email: str) -> None:
    """Scrub a deleted learner's e-mail address from every bulk-award job; does not commit.

    The address is replaced, case-insensitively, by ``[deleted learner]`` in each job's CSV text and
    message and in its rows' values and messages. The caller (the learner's deletion) commits. A job's
    ``file_sha256`` stays: it identifies the uploaded file, and the address cannot be read back from it.
    """
    address = email.strip()
    if not address:
        return
    pattern = re.compile(re.escape(address), re.IGNORECASE)

    def found(column: Any) -> ColumnElement[bool]:
        # LIKE narrows the rows to read; it folds ASCII case only, so other addresses are matched here.
        if not address.isascii():
            return true()
        return func.lower(column).like(contains_pattern(address), escape="\\")

    jobs = await session.execute(
        select(AwardJob).where(or_(found(col(AwardJob.csv_text)), found(col(AwardJob.message))))
    )
    for job in jobs.scalars():
        job.csv_text = pattern.sub(DELETED_LEARNER, job.csv_text)
        job.message = pattern.sub(DELETED_LEARNER, job.message)
    rows = await session.execute(
        select(AwardJobRow).where(or_(found(col(AwardJobRow.value)), found(col(AwardJobRow.message))))
    )
    for row in rows.scalars():
        row.value = pattern.sub(DELETED_LEARNER, row.value)
        row.message = pattern.sub(DELETED_LEARNER, row.message)
    await session.flush()


@dataclass(frozen=True)
class CsvRunOutcome:
    """What ``badges issue --csv`` prints: the job's end state and its rejected-rows report, if any."""

    progress: JobProgress
    report: str | None


async def _attesting_person(
    session: AsyncSession, organisation: Organisation, as_email: str | None
) -> tuple[Person, str]:
    """The teacher or admin a command-line job runs as: ``--as``, else the organisation's first admin."""
    if as_email is not None:
        found = await session.execute(select(Person).where(Person.email == normalize_email(as_email)))
        person = found.scalar_one_or_none()
        role = None if person is None else staff_role(await _roles_of(session, organisation.id, person.id))
        if person is None or role is None:
            raise InvalidRequestError(
                f"--as {as_email[:120]!r} is not a teacher or admin of {organisation.slug}"
            )
        return person, role
    result = await session.execute(
        select(Person)
        .join(Membership, Membership.person_id == Person.id)  # type: ignore[arg-type]
        .where(Membership.organisation_id == organisation.id, Membership.role == "admin")
        .order_by(Membership.created_at)  # type: ignore[arg-type]
        .limit(1)
    )
    admin = result.scalar_one_or_none()
    if admin is None:
        raise InvalidRequestError(
            f"{organisation.slug} has no admin to attest the awards: name a teacher with --as EMAIL"
        )
    return admin, staff_role(await _roles_of(session, organisation.id, admin.id)) or "admin"


async def run_csv_job(
    settings: Settings,
    *,
    data: bytes,
    filename: str,
    org: str,
    enrol: bool,
    as_email: str | None,
    on_progress: Callable[[int, int], None] | None = None,
) -> CsvRunOutcome:
    """``badges issue --csv``: migrate, then create (or continue) the job for this file and run it here.

    The same file (by SHA-256) in the same organisation continues its unfinished job; after a finished
    one, a new job finds every award issued already and skips it.

    Raises:
        InvalidCsvError: the file cannot be read as a CSV.
        OrganisationNotFoundError: no organisation ``org``.
        InvalidRequestError: ``as_email`` is not a teacher or admin there, or there is no admin.
    """
    from issuer.db import get_organisation, upgrade
    from issuer.services.catalogue import record_catalogue
    from issuer.services.context import build_services

    await upgrade(settings.database_url)
    services = build_services(settings)
    try:
        now = services.clock()
        async with services.sessions() as session:
            await record_catalogue(session, services.catalog, now=now)
            organisation = await get_organisation(session, org)
            person, role = await _attesting_person(session, organisation, as_email)
            job = await unfinished_job_for_file(session, organisation.id, hashlib.sha256(data).hexdigest())
            if job is None:
                job = await create_job(
                    session,
                    services,
                    organisation=organisation,
                    creator=Principal(
                        person_id=person.id,
                        display_name=person.display_name,
                        roles={organisation.id: frozenset({role})},
                        via="cli",
                    ),
                    attester_role=role,
                    filename=filename,
                    data=data,
                    enrol=enrol,
                    now=now,
                )
            job_id = job.id

        def report(progress: JobProgress) -> None:
            if on_progress is not None:
                on_progress(progress.done, progress.total)

        progress = await run_job(services, job_id, on_batch=report)
        report(progress)
        text = None
        if progress.rejected:
            async with services.sessions() as session:
                text = await rejected_report(session, organisation, job_id)
        return CsvRunOutcome(progress=progress, report=text)
    finally:
        await services.engine.dispose()
