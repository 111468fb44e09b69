"""Direct awards and bulk-award jobs (a CSV file uploaded as multipart ``file``; runs in the background)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, JSONBody, MultipartBody
from pydantic import Field

from issuer.services.awards import (
    DirectAward,
    JobProgress,
    award_directly,
    get_job,
    job_progress,
    rejected_report,
)
from issuer.web.auth import org_roles
from issuer.web.deps import Db, HeldRoles, Now, Org, Svc, User
from issuer.web.jobs import start_award_job
from issuer.web.schemas import Strict

__all__ = ["AwardController"]


class AwardRequest(Strict):
    """A direct award."""

    student: str = Field(
        min_length=1, max_length=254, description="The student's person id or e-mail address."
    )
    badge: str = Field(min_length=1, max_length=100, description="The badge slug.")
    level: int = Field(description="Mastery level 1-4 (at least the badge's required level).")
    comment: str | None = Field(default=None, max_length=2000)
    evidence_url: str | None = Field(default=None, alias="evidenceUrl", max_length=2048)


@dataclass
class AwardCsvUpload:
    """``file``: the CSV (columns student, badge, level, optional comment, evidence_url, evidence_name);
    ``enrol``: ``true`` to create the students named by e-mail who are not students here yet."""

    file: UploadFile
    enrol: bool = False


def _progress_view(progress: JobProgress, slug: str) -> dict[str, Any]:
    return {
        "id": str(progress.id),
        "state": progress.state,
        "filename": progress.filename,
        "total": progress.total,
        "issued": progress.issued,
        "skipped": progress.skipped,
        "rejected": progress.rejected,
        "failed": progress.failed,
        "done": progress.done,
        "progress": round(progress.progress, 4),
        "message": progress.message,
        "rejectedReport": f"/api/orgs/{slug}/award-jobs/{progress.id}/rejected.csv",
    }


class AwardController(Controller):
    path = "/api/orgs/{slug:str}"
    tags = ["awards"]  # noqa: RUF012 - litestar's own attribute type

    @post(
        "/awards",
        opt=org_roles("teacher", "admin", "supervisor", scope="awards:write"),
        summary="Award a badge to a student now",
        status_code=201,
    )
    async def award(
        self,
        data: JSONBody[AwardRequest],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> dict[str, Any]:
        """Signs and stores the credential; 409 ``ALREADY_ISSUED`` when the student holds it already.

        A supervisor may award only the badges and students of their grant.
        """
        credential = await award_directly(
            db,
            services,
            organisation=organisation,
            principal=principal,
            roles=roles,
            request=DirectAward(
                student=data.student,
                badge=data.badge.lower(),
                level=data.level,
                comment=data.comment or None,
                evidence_url=data.evidence_url or None,
            ),
            now=now,
        )
        return {
            "id": credential.id,
            "badge": credential.badge_slug,
            "level": credential.level,
            "student": str(credential.recipient_id),
            "formats": [name for name in ("ldp", "jwt") if getattr(credential, name)],
            "issuedAt": credential.issued_at,
        }

    @post(
        "/award-jobs",
        opt=org_roles("teacher", "admin", scope="awards:write"),
        summary="Award badges in bulk from a CSV file (multipart: file, enrol)",
        status_code=202,
    )
    async def create_award_job(
        self,
        request: Request[Any, Any, Any],
        data: MultipartBody[AwardCsvUpload],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[dict[str, Any]]:
        """Reads the whole file first: a file that cannot be read is 422 ``INVALID_CSV`` and nothing is
        stored. Otherwise the job is stored and runs in the background; 202 with its status and Location.
        Rows with problems are reported one by one (``rejected.csv``); re-uploading the same file issues
        nothing twice (those rows are ``skipped``).
        """
        job = await start_award_job(
            request.app.state,
            db,
            services,
            organisation=organisation,
            principal=principal,
            roles=roles,
            filename=data.file.filename,
            data=await data.file.read(),
            enrol=data.enrol,
            now=now,
        )
        location = f"/api/orgs/{organisation.slug}/award-jobs/{job.id}"
        return Response(
            _progress_view(job_progress(job), organisation.slug),
            status_code=202,
            headers={"Location": location},
        )

    @get(
        "/award-jobs/{job_id:uuid}",
        opt=org_roles("teacher", "admin", scope="awards:write"),
        summary="A bulk-award job's state and counters",
    )
    async def award_job(self, job_id: FromPath[uuid.UUID], db: Db, organisation: Org) -> dict[str, Any]:
        return _progress_view(job_progress(await get_job(db, organisation, job_id)), organisation.slug)

    @get(
        "/award-jobs/{job_id:uuid}/rejected.csv",
        opt=org_roles("teacher", "admin", scope="awards:write"),
        summary="A bulk-award job's rejected rows (row, column, value, message) as CSV",
        media_type="text/csv; charset=utf-8",
    )
    async def rejected_rows(self, job_id: FromPath[uuid.UUID], db: Db, organisation: Org) -> Response[str]:
        report = await rejected_report(db, organisation, job_id)
        return Response(
            report,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="award-job-{job_id}-rejected.csv"'},
        )
