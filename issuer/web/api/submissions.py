"""Evidence submissions, the review queue and reviews (issue #5, workflow 1).

A new submission is ``multipart/form-data``: ``badge``, ``level``, ``narrative``, ``links`` (the field
repeated, one URL each, 0 to 10), ``supervisor`` (optional person id) and ``files`` (repeated, 0 to N).
Every other body is JSON. Evidence files are served as attachments, never inline, after checking that
their bytes still hash to the SHA-256 recorded at upload.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, JSONBody, MultipartBody, QueryParameter
from pydantic import ConfigDict, Field

from issuer.db.models import EvidenceFile, Review
from issuer.services.submissions import (
    MAX_BULK_IDS,
    MAX_LINKS,
    MAX_NARRATIVE_CHARS,
    BulkOutcome,
    SubmissionView,
    Upload,
    add_files,
    approve_many,
    create_submission,
    my_submissions,
    read_evidence_file,
    resubmit,
    review_queue,
    review_submission,
    view_submission,
    views_of,
    withdraw,
)
from issuer.web.auth import org_roles, signed_in
from issuer.web.deps import Db, HeldRoles, Now, Org, Svc, User
from issuer.web.downloads import evidence_file_response
from issuer.web.schemas import Strict

__all__ = ["MeSubmissionsController", "ReviewQueueController", "SubmissionController"]

QueueState = Literal["submitted", "returned", "approved", "declined", "withdrawn"]
READERS = ("student", "teacher", "admin", "supervisor")
REVIEWERS = ("teacher", "admin", "supervisor")


class SubmissionForm(Strict):
    """The multipart form of a new submission (``links`` and ``files`` repeat the field)."""

    # The narrative is stored (and signed into the badge) as typed, so nothing is trimmed here.
    model_config = ConfigDict(arbitrary_types_allowed=True, str_strip_whitespace=False)

    badge: str = Field(min_length=1, max_length=100, description="The badge's slug.")
    level: int = Field(description="The level claimed, 1 to 4 (a level of the badge's rubric).")
    narrative: str = Field(default="", description=f"At most {MAX_NARRATIVE_CHARS:,} characters.")
    links: list[str] = Field(
        default_factory=list, description=f"0 to {MAX_LINKS} http(s) URLs, one per field."
    )
    supervisor: uuid.UUID | None = Field(
        default=None, description="A supervisor with a grant for you and this badge (person id)."
    )
    files: list[UploadFile] = Field(default_factory=list, description="Evidence files, one per field.")


class FilesForm(Strict):
    """More files for a submission."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    files: list[UploadFile] = Field(default_factory=list)


class Resubmission(Strict):
    narrative: str | None = Field(default=None, description="Replaces the narrative when given.")
    links: list[str] | None = Field(default=None, description="Replaces the links when given.")


class Decision(Strict):
    decision: Literal["approve", "return", "decline"]
    level: int | None = Field(default=None, description="approve only; default: the level claimed.")
    comment: str = Field(default="", description="Required to return or decline.")
    expected_updated_at: datetime | None = Field(
        default=None,
        alias="expectedUpdatedAt",
        description="The submission's updatedAt as the reviewer saw it: 409 INVALID_STATE if it changed since.",
    )


class BulkApproval(Strict):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK_IDS)
    level: int | None = Field(default=None, description="Default: each submission's claimed level.")
    comment: str = ""


def _uploads(files: list[UploadFile]) -> list[Upload]:
    # The form parser has spooled each file (to disk past 1 MiB); the store reads it from there.
    return [Upload(filename=f.filename, declared_type=f.content_type, source=f.file) for f in files]


def _review(review: Review) -> dict[str, Any]:
    return {
        "decision": review.decision,
        "level": review.level,
        "comment": review.comment,
        "reviewerName": review.reviewer_name,
        "reviewerRole": review.reviewer_role,
        "at": review.created_at,
    }


def _file(file: EvidenceFile) -> dict[str, Any]:
    return {
        "id": str(file.id),
        "name": file.filename,
        "mediaType": file.media_type,
        "size": file.size,
        "sha256": file.sha256,
    }


def _view(view: SubmissionView) -> dict[str, Any]:
    submission = view.submission
    return {
        "id": str(submission.id),
        "organisation": view.organisation_slug,
        "student": {"id": str(submission.student_id), "name": view.student_name},
        "badge": submission.badge_slug,
        "claimedLevel": submission.claimed_level,
        "narrative": submission.narrative,
        "links": submission.links,
        "supervisor": str(submission.supervisor_id) if submission.supervisor_id else None,
        "state": submission.state,
        "credentialId": submission.credential_id,
        "createdAt": submission.created_at,
        "updatedAt": submission.updated_at,
        "reviews": [_review(review) for review in view.reviews],
        "files": [_file(file) for file in view.files],
    }


def _outcome(outcome: BulkOutcome) -> dict[str, Any]:
    if outcome.error is None:
        return {"id": str(outcome.submission_id), "ok": True, "credentialId": outcome.credential_id}
    return {
        "id": str(outcome.submission_id),
        "ok": False,
        "code": outcome.error.code,
        "detail": outcome.error.detail,
    }


class SubmissionController(Controller):
    path = "/api/orgs/{slug:str}/submissions"
    tags = ["submissions"]  # noqa: RUF012 - litestar's own attribute type

    @post(
        "/",
        opt=org_roles("student", scope="submissions:write"),
        summary="Submit evidence for a badge",
        status_code=201,
    )
    async def create(
        self,
        data: MultipartBody[SubmissionForm],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> dict[str, Any]:
        submission = await create_submission(
            db,
            services,
            organisation=organisation,
            principal=principal,
            badge_slug=data.badge,
            level=data.level,
            narrative=data.narrative,
            links=data.links,
            supervisor_id=data.supervisor,
            uploads=_uploads(data.files),
            now=now,
        )
        return await _fresh(db, submission.id)

    @get("/{submission_id:uuid}", opt=org_roles(*READERS), summary="One submission, its files and reviews")
    async def show(
        self,
        submission_id: FromPath[uuid.UUID],
        db: Db,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> dict[str, Any]:
        """The owner, the organisation's teachers and admins, or a supervisor whose grant covers it.

        A read by anyone but the student is recorded in the audit log (``record.read``).
        """
        view = await view_submission(
            db,
            organisation=organisation,
            principal=principal,
            roles=roles,
            submission_id=submission_id,
            now=now,
        )
        return _view(view)

    @post(
        "/{submission_id:uuid}/files",
        opt=org_roles("student", scope="submissions:write"),
        summary="Add evidence files to a returned submission (then resubmit it)",
        status_code=201,
    )
    async def add_files(
        self,
        submission_id: FromPath[uuid.UUID],
        data: MultipartBody[FilesForm],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> dict[str, Any]:
        await add_files(
            db,
            services,
            organisation=organisation,
            principal=principal,
            submission_id=submission_id,
            uploads=_uploads(data.files),
            now=now,
        )
        return await _fresh(db, submission_id)

    @post(
        "/{submission_id:uuid}/resubmit",
        opt=org_roles("student", scope="submissions:write"),
        summary="Send a returned submission back for review",
        status_code=200,
    )
    async def resubmit(
        self,
        submission_id: FromPath[uuid.UUID],
        data: JSONBody[Resubmission],
        db: Db,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> dict[str, Any]:
        await resubmit(
            db,
            organisation=organisation,
            principal=principal,
            submission_id=submission_id,
            narrative=data.narrative,
            links=data.links,
            now=now,
        )
        return await _fresh(db, submission_id)

    @post(
        "/{submission_id:uuid}/withdraw",
        opt=org_roles("student", scope="submissions:write"),
        summary="Withdraw a submission not yet decided",
        status_code=200,
    )
    async def withdraw(
        self, submission_id: FromPath[uuid.UUID], db: Db, principal: User, organisation: Org, now: Now
    ) -> dict[str, Any]:
        await withdraw(
            db, organisation=organisation, principal=principal, submission_id=submission_id, now=now
        )
        return await _fresh(db, submission_id)

    @get(
        "/{submission_id:uuid}/files/{file_id:uuid}",
        opt=org_roles(*READERS),
        summary="Download an evidence file (as an attachment)",
        media_type="application/octet-stream",
    )
    async def download(
        self,
        submission_id: FromPath[uuid.UUID],
        file_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[bytes]:
        """The stored bytes, after checking they still hash to the SHA-256 recorded at upload.

        Served as an attachment with ``X-Content-Type-Options: nosniff``, so a browser never renders it;
        a read by anyone but the student is recorded in the audit log (``record.read``).
        """
        row, content = await read_evidence_file(
            db,
            services,
            organisation=organisation,
            principal=principal,
            roles=roles,
            submission_id=submission_id,
            file_id=file_id,
            now=now,
        )
        return evidence_file_response(row, content)

    @post(
        "/{submission_id:uuid}/review",
        opt=org_roles(*REVIEWERS, scope="reviews:write"),
        summary="Approve (signing the badge), return or decline a submission",
        status_code=200,
    )
    async def review(
        self,
        submission_id: FromPath[uuid.UUID],
        data: JSONBody[Decision],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> dict[str, Any]:
        """Supervisors review only within their grants, and only badges supervisors may attest."""
        await review_submission(
            db,
            services,
            organisation=organisation,
            principal=principal,
            roles=roles,
            submission_id=submission_id,
            decision=data.decision,
            level=data.level,
            comment=data.comment,
            now=now,
            expected_updated_at=data.expected_updated_at,
        )
        return await _fresh(db, submission_id)


async def _fresh(db: Db, submission_id: uuid.UUID) -> dict[str, Any]:
    """The submission just written, for the response (its writer reads it: no ``record.read`` event)."""
    (view,) = await views_of(db, [submission_id])
    return _view(view)


class ReviewQueueController(Controller):
    path = "/api/orgs/{slug:str}/review-queue"
    tags = ["submissions"]  # noqa: RUF012 - litestar's own attribute type

    @get("/", opt=org_roles(*REVIEWERS, scope="reviews:write"), summary="Submissions to review, oldest first")
    async def queue(
        self,
        db: Db,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        # "state" is litestar's reserved name for the app state: the parameter is renamed, the query is not.
        submission_state: Annotated[QueueState, QueryParameter(name="state")] = "submitted",
        badge: FromQuery[str | None] = None,
        student: FromQuery[uuid.UUID | None] = None,
        limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> dict[str, Any]:
        """Teachers and admins see the whole organisation; a supervisor only their grants' students and badges."""
        views, total = await review_queue(
            db,
            organisation=organisation,
            principal=principal,
            roles=roles,
            state=submission_state,
            badge_slug=badge,
            student_id=student,
            limit=limit,
            offset=offset,
        )
        return {"items": [_view(view) for view in views], "total": total, "limit": limit, "offset": offset}

    @post(
        "/approve",
        opt=org_roles(*REVIEWERS, scope="reviews:write"),
        summary="Approve many submissions, each on its own",
        status_code=200,
    )
    async def approve(
        self,
        data: JSONBody[BulkApproval],
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> dict[str, Any]:
        """Each id is approved in its own transaction; the response says, per id, what became of it."""
        outcomes = await approve_many(
            services,
            organisation=organisation,
            principal=principal,
            roles=roles,
            submission_ids=data.ids,
            level=data.level,
            comment=data.comment,
            now=now,
        )
        return {
            "approved": sum(1 for outcome in outcomes if outcome.error is None),
            "results": [_outcome(outcome) for outcome in outcomes],
        }


class MeSubmissionsController(Controller):
    path = "/api/me/submissions"
    tags = ["submissions"]  # noqa: RUF012 - litestar's own attribute type

    @get("/", opt=signed_in(scope="submissions:write"), summary="My submissions in every organisation")
    async def mine(self, db: Db, principal: User) -> list[dict[str, Any]]:
        """State, reviews (decision, level, comment, reviewer), files and the credential id once approved."""
        return [_view(view) for view in await my_submissions(db, principal)]
