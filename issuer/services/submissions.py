"""Evidence submission -> review -> award (issue #5, workflow 1).

A student submits evidence (files, links, a narrative) for a badge at a claimed level; a teacher or admin
of the organisation, or a supervisor within their grant, approves it (signing the credential), returns
it for more work or declines it. Every operation is one transaction; files written to the evidence
store are deleted again when their transaction does not commit, so nothing is stored half-way.

State changes are conditional updates (``WHERE state = <the state read>``): two reviewers deciding the
same submission at once cannot both succeed, the second gets :class:`InvalidStateError`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import case, func, update
from sqlmodel import col, select

from issuer.db.models import (
    BadgeVersion,
    EvidenceFile,
    Organisation,
    Person,
    Review,
    Submission,
    SupervisorGrant,
    as_utc,
)
from issuer.errors import (
    ForbiddenError,
    InvalidRequestError,
    InvalidStateError,
    IssuerError,
    NotFoundError,
    UploadTooLargeError,
)
from issuer.issuance import EvidenceItem, attesting_role, check_text
from issuer.services.audit import record_event
from issuer.services.catalogue import definition_of, offered_badge
from issuer.services.issuing import AttesterInfo, issue_credential
from issuer.services.search import contains_pattern
from issuer.services.status_lists import count_allocation

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from _typeshed import SupportsRead
    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.definitions import BadgeDefinition
    from issuer.evidence_store import EvidenceStore, StoredFile
    from issuer.roles import Principal
    from issuer.services.context import Services

__all__ = [
    "MAX_BULK_IDS",
    "MAX_LINKS",
    "MAX_NARRATIVE_CHARS",
    "BulkOutcome",
    "SubmissionView",
    "Upload",
    "add_files",
    "approve_many",
    "create_submission",
    "my_submissions",
    "read_evidence_file",
    "resubmit",
    "review_queue",
    "review_submission",
    "view_submission",
    "views_of",
    "withdraw",
]

MAX_NARRATIVE_CHARS = 20_000
MAX_LINKS = 10
MAX_LINK_CHARS = 2_000
MAX_COMMENT_CHARS = 20_000
MAX_BULK_IDS = 200
MAX_QUEUE_PAGE = 200
REVIEWER_ROLES = frozenset({"teacher", "admin", "supervisor"})


@dataclass(frozen=True)
class Upload:
    """One uploaded file as the client sent it (its bytes are checked by the evidence store)."""

    filename: str
    declared_type: str
    source: SupportsRead[bytes] | bytes


@dataclass(frozen=True)
class SubmissionView:
    """A submission with what its readers see: its reviews, its files and the organisation's slug."""

    submission: Submission
    organisation_slug: str
    student_name: str
    reviews: list[Review] = field(default_factory=list)
    files: list[EvidenceFile] = field(default_factory=list)


@dataclass(frozen=True)
class BulkOutcome:
    """What became of one id of a bulk approval: a credential, or the error that stopped it."""

    submission_id: uuid.UUID
    credential_id: str | None = None
    error: IssuerError | None = None


# --- checks ---------------------------------------------------------------------------------------------


def _check_narrative(narrative: str) -> str:
    if len(narrative) > MAX_NARRATIVE_CHARS:
        raise InvalidRequestError(
            f"narrative: at most {MAX_NARRATIVE_CHARS:,} characters, this one has {len(narrative):,}"
        )
    return check_text(narrative, "narrative")


def _is_web_url(link: str) -> bool:
    try:
        parts = urlsplit(link)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # "http://[::1": a malformed IPv6 address, or a port that is not a number
        return False


def _check_links(links: Sequence[str]) -> list[str]:
    cleaned = [link.strip() for link in links if link.strip()]
    if len(cleaned) > MAX_LINKS:
        raise InvalidRequestError(f"links: at most {MAX_LINKS}, {len(cleaned)} were sent")
    for link in cleaned:
        check_text(link, "links")
        if len(link) > MAX_LINK_CHARS or any(c.isspace() for c in link) or not _is_web_url(link):
            raise InvalidRequestError(
                f"links: {link[:100]!r} is not an http(s) URL of at most 2,000 characters"
            )
    return cleaned


async def _grant_exists(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    *,
    supervisor_id: uuid.UUID,
    student_id: uuid.UUID,
    badge_slug: str,
) -> bool:
    result = await session.execute(
        select(SupervisorGrant.id).where(
            SupervisorGrant.organisation_id == organisation_id,
            SupervisorGrant.supervisor_id == supervisor_id,
            SupervisorGrant.student_id == student_id,
            SupervisorGrant.badge_slug == badge_slug,
        )
    )
    return result.first() is not None


async def _submission_in(
    session: AsyncSession, organisation: Organisation, submission_id: uuid.UUID
) -> Submission:
    """The submission, when it belongs to ``organisation`` (another organisation's is "not found")."""
    submission = await session.get(Submission, submission_id)
    if submission is None or submission.organisation_id != organisation.id:
        raise NotFoundError(f"no submission {submission_id} in {organisation.slug}")
    return submission


def _own(submission: Submission, principal: Principal) -> None:
    if submission.student_id != principal.person_id:
        # Another student's submission: do not tell that it exists.
        raise NotFoundError(f"no submission {submission.id} of yours")


async def _reader_kind(
    session: AsyncSession, submission: Submission, principal: Principal, roles: frozenset[str]
) -> str:
    """``owner`` or ``reviewer`` when ``principal`` may read the submission; raises otherwise.

    Raises:
        NotFoundError: a student of the organisation asking for another student's submission.
        ForbiddenError: a supervisor whose grants do not cover it, or an API token without the scope.
    """
    if submission.student_id == principal.person_id:
        if not principal.has_scope("submissions:write"):
            raise ForbiddenError("the API token lacks the scope 'submissions:write'")
        return "owner"
    supervisor_id = principal.person_id if "supervisor" in roles else None
    if not roles & {"teacher", "admin"}:
        if supervisor_id is None:  # a student of the organisation, asking for someone else's
            raise NotFoundError(f"no submission {submission.id} of yours")
        if not await _grant_exists(
            session,
            submission.organisation_id,
            supervisor_id=supervisor_id,
            student_id=submission.student_id,
            badge_slug=submission.badge_slug,
        ):
            raise ForbiddenError("your supervisor grants do not cover this student and badge")
    if not principal.has_scope("reviews:write"):
        raise ForbiddenError("the API token lacks the scope 'reviews:write'")
    return "reviewer"


async def _move(
    session: AsyncSession,
    submission: Submission,
    *,
    allowed_from: Iterable[str],
    to: str,
    now: datetime,
    values: dict[str, Any] | None = None,
) -> None:
    """Change the state, only if nobody changed the submission since it was read (same state, same
    ``updated_at``: a resubmission with new files between a reviewer's read and their decision makes the
    decision fail rather than sign evidence the reviewer never saw), and only from ``allowed_from``."""
    allowed = tuple(allowed_from)
    if submission.state not in allowed:
        raise InvalidStateError(f"the submission is {submission.state}; this needs it {' or '.join(allowed)}")
    changes = {"state": to, "updated_at": now, **(values or {})}
    result = await session.execute(
        update(Submission)
        .where(
            col(Submission.id) == submission.id,
            col(Submission.state) == submission.state,
            col(Submission.updated_at) == submission.updated_at,
        )
        .values(**changes)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidStateError("the submission was changed meanwhile: reload it and try again")
    for name, value in changes.items():
        setattr(submission, name, value)


# --- files ----------------------------------------------------------------------------------------------


async def _store_files(
    store: EvidenceStore, uploads: Sequence[Upload], existing_sizes: list[int], stored: list[StoredFile]
) -> None:
    """Save each upload (in a worker thread: disk I/O and hashing), appending to ``stored`` as it goes.

    The caller deletes what ``stored`` holds if anything later fails.
    """
    sizes = list(existing_sizes)
    for upload in uploads:
        room = store.limits.remaining_submission_bytes(sizes)
        saved = await asyncio.to_thread(
            store.save,
            upload.source,
            filename=upload.filename,
            declared_type=upload.declared_type,
            max_bytes=room,
        )
        stored.append(saved)
        sizes.append(saved.size)


async def _discard(store: EvidenceStore, stored: Sequence[StoredFile]) -> None:
    for saved in stored:
        await asyncio.to_thread(store.delete, saved.storage_key)


def _file_rows(submission_id: uuid.UUID, stored: Sequence[StoredFile], now: datetime) -> list[EvidenceFile]:
    return [
        EvidenceFile(
            submission_id=submission_id,
            filename=saved.filename,
            media_type=saved.media_type,
            size=saved.size,
            sha256=saved.sha256,
            storage_key=saved.storage_key,
            created_at=now,
        )
        for saved in stored
    ]


# --- the student's side ---------------------------------------------------------------------------------


async def create_submission(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    principal: Principal,
    badge_slug: str,
    level: int,
    narrative: str,
    links: Sequence[str],
    supervisor_id: uuid.UUID | None,
    uploads: Sequence[Upload],
    now: datetime,
) -> Submission:
    """A student's new submission, with its files; commits.

    Everything is checked before the first file is written; a refused file, or a failed insert, leaves
    no file and no row behind.

    Raises:
        BadgeNotFoundError: the organisation offers no such badge.
        InvalidAwardError: ``level`` is not a level of the badge's rubric.
        InvalidRequestError: narrative too long, a bad link, a supervisor who may not attest this.
        UploadTooLargeError, InvalidUploadError: a file over the limits or not of an accepted type.
    """
    if principal.person_id is None:
        raise ForbiddenError("only a person can submit evidence")
    definition, version = await offered_badge(
        session, services.catalog, badge_slug, organisation_id=organisation.id
    )
    definition.rubric_level(level)
    narrative = _check_narrative(narrative)
    cleaned_links = _check_links(links)
    if supervisor_id is not None:
        await _check_supervisor(
            session, organisation, definition, supervisor_id, principal.person_id, badge_slug
        )
    store = services.evidence
    if len(uploads) > store.limits.max_files_per_submission:
        raise _too_many(store, len(uploads))
    submission = Submission(
        organisation_id=organisation.id,
        student_id=principal.person_id,
        badge_version_id=version.id,
        badge_slug=definition.slug,
        claimed_level=level,
        narrative=narrative,
        links=cleaned_links,
        supervisor_id=supervisor_id,
        created_at=now,
        updated_at=now,
    )
    stored: list[StoredFile] = []
    committed = False
    try:
        await _store_files(store, uploads, [], stored)
        session.add(submission)
        await session.flush()
        session.add_all(_file_rows(submission.id, stored, now))
        record_event(
            session,
            actor=principal,
            action="submission.create",
            subject_type="submission",
            subject_id=submission.id,
            organisation_id=organisation.id,
            detail={
                "badge": definition.lock_key,
                "level": level,
                "files": len(stored),
                "links": len(cleaned_links),
            },
            at=now,
        )
        await session.commit()
        committed = True
    finally:
        if not committed:
            await session.rollback()
            await _discard(store, stored)
    return submission


def _too_many(store: EvidenceStore, count: int) -> UploadTooLargeError:
    # Checked before any file is written: a request over the count stores nothing.
    return UploadTooLargeError(
        f"a submission holds at most {store.limits.max_files_per_submission} files; {count} were sent"
    )


async def _check_supervisor(
    session: AsyncSession,
    organisation: Organisation,
    definition: BadgeDefinition,
    supervisor_id: uuid.UUID,
    student_id: uuid.UUID,
    badge_slug: str,
) -> None:
    if "supervisor" not in definition.attester_roles or not await _grant_exists(
        session, organisation.id, supervisor_id=supervisor_id, student_id=student_id, badge_slug=badge_slug
    ):
        raise InvalidRequestError(
            f"supervisor: {supervisor_id} is not a supervisor who may attest '{badge_slug}' for you here"
        )


async def add_files(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    principal: Principal,
    submission_id: uuid.UUID,
    uploads: Sequence[Upload],
    now: datetime,
) -> Submission:
    """More files for the owner's returned submission (then resubmit it); commits.

    Only a returned submission takes files: a reviewer decides on what they saw, so nothing may be
    added while it waits in the queue. Adding bumps ``updated_at``.

    Raises:
        NotFoundError: no such submission of the principal's in this organisation.
        InvalidStateError: not returned (submitted, decided or withdrawn).
        UploadTooLargeError, InvalidUploadError: as for :func:`create_submission`.
    """
    submission = await _submission_in(session, organisation, submission_id)
    _own(submission, principal)
    if submission.state != "returned":
        raise InvalidStateError(
            f"the submission is {submission.state}: files can be added only when it was returned to you"
        )
    if not uploads:
        raise InvalidRequestError("files: send at least one file")
    sizes = list(
        (
            await session.execute(
                select(EvidenceFile.size).where(EvidenceFile.submission_id == submission.id)
            )
        ).scalars()
    )
    store = services.evidence
    if len(sizes) + len(uploads) > store.limits.max_files_per_submission:
        raise _too_many(store, len(sizes) + len(uploads))
    stored: list[StoredFile] = []
    committed = False
    try:
        await _store_files(store, uploads, sizes, stored)
        # A conditional touch: a decision taken meanwhile makes this fail rather than add files to it.
        await _move(session, submission, allowed_from=("returned",), to="returned", now=now)
        session.add_all(_file_rows(submission.id, stored, now))
        record_event(
            session,
            actor=principal,
            action="submission.files_add",
            subject_type="submission",
            subject_id=submission.id,
            organisation_id=organisation.id,
            detail={"files": len(stored)},
            at=now,
        )
        await session.commit()
        committed = True
    finally:
        if not committed:
            await session.rollback()
            await _discard(store, stored)
    return submission


async def resubmit(
    session: AsyncSession,
    *,
    organisation: Organisation,
    principal: Principal,
    submission_id: uuid.UUID,
    narrative: str | None,
    links: Sequence[str] | None,
    now: datetime,
) -> Submission:
    """The owner sends a returned submission back for review (optionally with a new narrative/links); commits.

    Raises:
        NotFoundError, InvalidStateError (only from ``returned``), InvalidRequestError.
    """
    submission = await _submission_in(session, organisation, submission_id)
    _own(submission, principal)
    values: dict[str, Any] = {}
    if narrative is not None:
        values["narrative"] = _check_narrative(narrative)
    if links is not None:
        values["links"] = _check_links(links)
    await _move(session, submission, allowed_from=("returned",), to="submitted", now=now, values=values)
    record_event(
        session,
        actor=principal,
        action="submission.resubmit",
        subject_type="submission",
        subject_id=submission.id,
        organisation_id=organisation.id,
        detail={"changed": sorted(values)},
        at=now,
    )
    await session.commit()
    return submission


async def withdraw(
    session: AsyncSession,
    *,
    organisation: Organisation,
    principal: Principal,
    submission_id: uuid.UUID,
    now: datetime,
) -> Submission:
    """The owner withdraws a submission that is still submitted or returned; commits."""
    submission = await _submission_in(session, organisation, submission_id)
    _own(submission, principal)
    await _move(session, submission, allowed_from=("submitted", "returned"), to="withdrawn", now=now)
    record_event(
        session,
        actor=principal,
        action="submission.withdraw",
        subject_type="submission",
        subject_id=submission.id,
        organisation_id=organisation.id,
        at=now,
    )
    await session.commit()
    return submission


# --- reading ----------------------------------------------------------------------------------------------


async def _views(session: AsyncSession, submissions: Sequence[Submission]) -> list[SubmissionView]:
    """Views of several submissions with three queries, not three per submission."""
    ids = [submission.id for submission in submissions]
    if not ids:
        return []
    reviews: dict[uuid.UUID, list[Review]] = {}
    for review in (
        await session.execute(
            select(Review)
            .where(col(Review.submission_id).in_(ids))
            # Returns come before the one final decision (approve/decline ends a submission): the
            # history stays in order even when two reviews share a timestamp.
            .order_by(
                col(Review.created_at), case((col(Review.decision) == "return", 0), else_=1), col(Review.id)
            )
        )
    ).scalars():
        reviews.setdefault(review.submission_id, []).append(review)
    files: dict[uuid.UUID, list[EvidenceFile]] = {}
    for file in (
        await session.execute(
            select(EvidenceFile)
            .where(col(EvidenceFile.submission_id).in_(ids))
            .order_by(col(EvidenceFile.created_at), col(EvidenceFile.filename), col(EvidenceFile.id))
        )
    ).scalars():
        files.setdefault(file.submission_id, []).append(file)
    slugs = dict(
        (
            await session.execute(
                select(Organisation.id, Organisation.slug).where(
                    col(Organisation.id).in_({s.organisation_id for s in submissions})
                )
            )
        ).all()
    )
    names = dict(
        (
            await session.execute(
                select(Person.id, Person.display_name).where(
                    col(Person.id).in_({s.student_id for s in submissions})
                )
            )
        ).all()
    )
    return [
        SubmissionView(
            submission=submission,
            organisation_slug=slugs[submission.organisation_id],
            student_name=names.get(submission.student_id, ""),
            reviews=reviews.get(submission.id, []),
            files=files.get(submission.id, []),
        )
        for submission in submissions
    ]


async def views_of(session: AsyncSession, submission_ids: Sequence[uuid.UUID]) -> list[SubmissionView]:
    """Views of submissions by id, in that order (no access check: for the caller that just wrote them)."""
    rows = {
        row.id: row
        for row in (
            await session.execute(select(Submission).where(col(Submission.id).in_(submission_ids)))
        ).scalars()
    }
    return await _views(session, [rows[submission_id] for submission_id in submission_ids])


async def my_submissions(session: AsyncSession, principal: Principal) -> list[SubmissionView]:
    """The principal's own submissions in every organisation (or the one a restricted sign-in names), newest first."""
    if principal.person_id is None:
        return []
    statement = select(Submission).where(Submission.student_id == principal.person_id)
    if principal.token_organisation is not None:  # a sign-in limited to one organisation sees only its own
        statement = statement.where(Submission.organisation_id == principal.token_organisation)
    result = await session.execute(statement.order_by(col(Submission.created_at).desc(), col(Submission.id)))
    return await _views(session, list(result.scalars()))


async def view_submission(
    session: AsyncSession,
    *,
    organisation: Organisation,
    principal: Principal,
    roles: frozenset[str],
    submission_id: uuid.UUID,
    now: datetime,
) -> SubmissionView:
    """One submission for its owner, the organisation's teachers and admins, or a supervisor within grant.

    A read by anyone but the student is recorded in the audit log (``record.read``); commits.
    """
    submission = await _submission_in(session, organisation, submission_id)
    if await _reader_kind(session, submission, principal, roles) == "reviewer":
        _record_read(session, principal, submission, now=now, what="submission")
        await session.commit()
    (view,) = await _views(session, [submission])
    return view


def _record_read(
    session: AsyncSession,
    principal: Principal,
    submission: Submission,
    *,
    now: datetime,
    what: str,
    **detail: Any,
) -> None:
    record_event(
        session,
        actor=principal,
        action="record.read",
        subject_type="submission",
        subject_id=submission.id,
        organisation_id=submission.organisation_id,
        detail={"student": str(submission.student_id), "read": what, **detail},
        at=now,
    )


async def read_evidence_file(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    principal: Principal,
    roles: frozenset[str],
    submission_id: uuid.UUID,
    file_id: uuid.UUID,
    now: datetime,
) -> tuple[EvidenceFile, bytes]:
    """An evidence file's row and bytes, after checking the bytes still hash to the recorded SHA-256.

    Files are at most ``max_file_bytes`` (10 MiB), so they are read whole: hashed and sent from one read.

    Raises:
        NotFoundError: no such file in this submission (or no such submission here).
        ForbiddenError: as for :func:`view_submission`.
        InvalidStateError: the stored bytes no longer match their hash (damaged or altered on disk).
    """
    submission = await _submission_in(session, organisation, submission_id)
    kind = await _reader_kind(session, submission, principal, roles)
    row = await session.get(EvidenceFile, file_id)
    if row is None or row.submission_id != submission.id:
        raise NotFoundError(f"no file {file_id} in submission {submission.id}")
    content = await asyncio.to_thread(services.evidence.read_bytes, row.storage_key)
    if not hmac.compare_digest(hashlib.sha256(content).hexdigest(), row.sha256):
        raise InvalidStateError(
            f"the stored file '{row.filename}' no longer matches the SHA-256 recorded at upload; "
            "it was damaged or altered: ask for it to be uploaded again"
        )
    if kind == "reviewer":
        _record_read(session, principal, submission, now=now, what="file", file=str(row.id))
        await session.commit()
    return row, content


async def review_queue(
    session: AsyncSession,
    *,
    organisation: Organisation,
    principal: Principal,
    roles: frozenset[str],
    state: str = "submitted",
    badge_slug: str | None = None,
    student_id: uuid.UUID | None = None,
    student_text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SubmissionView], int]:
    """Submissions of the organisation to review, oldest first; a supervisor sees only their grants'.

    ``student_text`` keeps the students whose name or e-mail address contains it (any case).

    Returns:
        One page of views, and how many match in all.
    """
    if not 1 <= limit <= MAX_QUEUE_PAGE or offset < 0:
        raise InvalidRequestError(f"limit: 1 to {MAX_QUEUE_PAGE}; offset: 0 or more")
    statement = select(Submission).where(
        Submission.organisation_id == organisation.id, Submission.state == state
    )
    if badge_slug:
        statement = statement.where(Submission.badge_slug == badge_slug)
    if student_id is not None:
        statement = statement.where(Submission.student_id == student_id)
    if student_text and student_text.strip():
        pattern = contains_pattern(student_text.strip())
        statement = statement.join(Person, col(Person.id) == col(Submission.student_id)).where(
            func.lower(col(Person.display_name)).like(pattern, escape="\\")
            | func.lower(col(Person.email)).like(pattern, escape="\\")
        )
    if not roles & {"teacher", "admin"}:
        statement = statement.join(
            SupervisorGrant,
            (col(SupervisorGrant.organisation_id) == col(Submission.organisation_id))
            & (col(SupervisorGrant.student_id) == col(Submission.student_id))
            & (col(SupervisorGrant.badge_slug) == col(Submission.badge_slug))
            & (col(SupervisorGrant.supervisor_id) == principal.person_id),
        )
    total = (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()
    page = await session.execute(
        statement.order_by(col(Submission.created_at), col(Submission.id)).limit(limit).offset(offset)
    )
    return await _views(session, list(page.scalars())), int(total)


# --- reviewing ------------------------------------------------------------------------------------------


async def _reviewer_role(
    session: AsyncSession,
    submission: Submission,
    definition: BadgeDefinition,
    principal: Principal,
    roles: frozenset[str],
) -> str:
    """The role the reviewer attests in: see :func:`issuer.issuance.attesting_role` for teachers and admins
    (``admin`` when the badge allows it, else ``teacher``), or ``supervisor`` (within grant).

    Raises:
        ForbiddenError: not a reviewer here, or a supervisor outside their grants or for a badge that
            supervisors may not attest.
    """
    if submission.student_id == principal.person_id:
        raise ForbiddenError("nobody reviews their own submission")
    if roles & {"teacher", "admin"}:
        # No staff role allowed: return/decline still record one; an approval is refused when issuing.
        return attesting_role(roles, allowed=definition.attester_roles) or (
            "admin" if "admin" in roles else "teacher"
        )
    if "supervisor" not in roles or principal.person_id is None:
        raise ForbiddenError("only the organisation's teachers, admins and granted supervisors review")
    if not await _grant_exists(
        session,
        submission.organisation_id,
        supervisor_id=principal.person_id,
        student_id=submission.student_id,
        badge_slug=submission.badge_slug,
    ):
        raise ForbiddenError("your supervisor grants do not cover this student and badge")
    if "supervisor" not in definition.attester_roles:
        raise ForbiddenError(f"supervisors may not attest '{definition.slug}'")
    return "supervisor"


async def review_submission(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    principal: Principal,
    roles: frozenset[str],
    submission_id: uuid.UUID,
    decision: str,
    level: int | None,
    comment: str,
    now: datetime,
    expected_updated_at: datetime | None = None,
) -> Submission:
    """Approve, return or decline a submitted submission; commits (one transaction).

    ``approve`` signs and stores the credential (the level chosen, else the one claimed) with the
    reviewer as attester; the credential's evidence lists each link (with its URL) and each file by
    name, with ``sha256:<hex>`` as its narrative (files are private, so they have no URL). ``return``
    and ``decline`` need a comment. With ``expected_updated_at`` (the ``updatedAt`` the reviewer saw),
    a submission changed since then is refused.

    Raises:
        NotFoundError: no such submission here.
        ForbiddenError: see :func:`_reviewer_role`.
        InvalidStateError: the submission is not ``submitted`` (e.g. already declined), or it changed
            since ``expected_updated_at``.
        InvalidRequestError: an unknown decision, a missing comment, a level with return/decline.
        InvalidAwardError, AlreadyIssuedError, SigningUnavailableError: from issuing.
    """
    if decision not in ("approve", "return", "decline"):
        raise InvalidRequestError(f"decision: approve, return or decline, not {decision[:20]!r}")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InvalidRequestError(f"comment: at most {MAX_COMMENT_CHARS:,} characters")
    check_text(comment, "comment")
    if decision != "approve" and not comment:
        raise InvalidRequestError(f"comment: say why when you {decision} a submission")
    if decision != "approve" and level is not None:
        raise InvalidRequestError("level: only an approval sets a level")
    submission = await _submission_in(session, organisation, submission_id)
    badge = await session.get_one(BadgeVersion, submission.badge_version_id)
    definition = definition_of(badge)
    role = await _reviewer_role(session, submission, definition, principal, roles)
    if expected_updated_at is not None and as_utc(expected_updated_at) != submission.updated_at:
        raise InvalidStateError(
            "the submission was changed since you opened it (new files or a resubmission): reload it, "
            "look at it again and decide"
        )
    chosen = submission.claimed_level if level is None else level
    target = {"approve": "approved", "return": "returned", "decline": "declined"}[decision]
    await _move(session, submission, allowed_from=("submitted",), to=target, now=now)
    if decision == "approve":
        student = await session.get_one(Person, submission.student_id)
        files = (
            await session.execute(
                select(EvidenceFile)
                .where(EvidenceFile.submission_id == submission.id)
                .order_by(col(EvidenceFile.created_at), col(EvidenceFile.filename))
            )
        ).scalars()
        evidence = [EvidenceItem(name=link, url=link) for link in submission.links] + [
            EvidenceItem(name=file.filename, narrative=f"sha256:{file.sha256}") for file in files
        ]
        credential, slots = await issue_credential(
            session,
            services,
            organisation=organisation,
            badge=badge,
            student=student,
            level=chosen,
            attester=AttesterInfo(
                person_id=principal.person_id,
                name=principal.display_name,
                role=role,
                organization=None if role == "supervisor" else organisation.name,
            ),
            actor=principal,
            now=now,
            evidence=evidence,
            narrative=submission.narrative or None,
            submission_id=submission.id,
        )
        submission.credential_id = credential.id
        await session.execute(
            update(Submission)
            .where(col(Submission.id) == submission.id)
            .values(credential_id=credential.id)
            .execution_options(synchronize_session=False)
        )
    session.add(
        Review(
            submission_id=submission.id,
            reviewer_id=principal.person_id,
            reviewer_name=principal.display_name,
            reviewer_role=role,
            decision=decision,
            level=chosen if decision == "approve" else None,
            comment=comment,
            created_at=now,
        )
    )
    record_event(
        session,
        actor=principal,
        action="submission.review",
        subject_type="submission",
        subject_id=submission.id,
        organisation_id=organisation.id,
        detail={"decision": decision, "level": chosen if decision == "approve" else None, "as": role},
        at=now,
    )
    if decision == "approve":
        await count_allocation(session, organisation, slots)
    await session.commit()
    return submission


async def approve_many(
    services: Services,
    *,
    organisation: Organisation,
    principal: Principal,
    roles: frozenset[str],
    submission_ids: Sequence[uuid.UUID],
    level: int | None,
    comment: str,
    now: datetime,
) -> list[BulkOutcome]:
    """Approve each submission on its own (one transaction each): one failure stops only itself."""
    if not 1 <= len(submission_ids) <= MAX_BULK_IDS:
        raise InvalidRequestError(f"ids: 1 to {MAX_BULK_IDS} submission ids")
    outcomes = []
    for submission_id in dict.fromkeys(submission_ids):  # a repeated id is approved once
        async with services.sessions() as session:
            try:
                submission = await review_submission(
                    session,
                    services,
                    organisation=organisation,
                    principal=principal,
                    roles=roles,
                    submission_id=submission_id,
                    decision="approve",
                    level=level,
                    comment=comment,
                    now=now,
                )
            except IssuerError as error:
                await session.rollback()
                outcomes.append(BulkOutcome(submission_id, error=error))
            else:
                outcomes.append(BulkOutcome(submission_id, credential_id=submission.credential_id))
    return outcomes
