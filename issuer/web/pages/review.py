"""The review queue and one submission, for teachers, admins and supervisors (issue #6, "Teacher / supervisor").

The services decide who sees what: a supervisor's queue, submissions and decisions are limited to their
grants by :mod:`issuer.services.submissions`, exactly as in the API.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from issuer.db.models import BadgeVersion
from issuer.errors import InvalidStateError, IssuerError
from issuer.services.catalogue import definition_of, offered_badges
from issuer.services.invitations import grants_of
from issuer.services.submissions import (
    MAX_BULK_IDS,
    approve_many,
    read_evidence_file,
    review_queue,
    review_submission,
    view_submission,
)
from issuer.web.auth import org_roles
from issuer.web.deps import Db, HeldRoles, Now, Org, Svc, User
from issuer.web.downloads import evidence_file_response
from issuer.web.pages.forms import Form, read_form
from issuer.web.pages.refusals import form_status
from issuer.web.pages.render import page, redirect, translator

__all__ = ["QUEUE_STATES", "ReviewPages", "state_words"]

REVIEWERS: Final = ("teacher", "admin", "supervisor")
QUEUE_PAGE: Final = 50
QUEUE_STATES: Final = ("submitted", "returned", "approved", "declined", "withdrawn")


def N_(message: str) -> str:  # noqa: N802 - gettext's marker: extracted now, translated when shown
    return message


_STATE_WORDS: Final = {
    "submitted": N_("Waiting for review"),
    "returned": N_("Returned for more work"),
    "approved": N_("Approved"),
    "declined": N_("Declined"),
    "withdrawn": N_("Withdrawn"),
}


def state_words(translations: Any) -> dict[str, str]:
    """Each submission state in the reader's language."""
    return {state: translations.gettext(words) for state, words in _STATE_WORDS.items()}


async def _badge_names(db: Db, services: Svc, organisation: Org) -> list[tuple[str, str]]:
    offered = await offered_badges(db, services.catalog, organisation_id=organisation.id)
    return sorted(((definition.slug, definition.name) for definition, _ in offered), key=lambda b: b[1])


def _seen(value: str) -> datetime | None:
    """The ``updatedAt`` the reviewer saw (a hidden field); None when missing or unreadable."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


class ReviewPages(Controller):
    path = "/orgs/{slug:str}"
    include_in_schema = False

    async def _queue(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        *,
        status: int = 200,
        error: str | None = None,
        outcomes: list[dict[str, Any]] | None = None,
    ) -> Response[str]:
        query = request.query_params
        chosen_state = query.get("state") or "submitted"
        if chosen_state not in QUEUE_STATES:
            chosen_state = "submitted"
        badge = (query.get("badge") or "").strip()[:100]
        student = (query.get("student") or "").strip()[:200]
        try:
            offset = max(0, int(query.get("offset") or 0))
        except ValueError:
            offset = 0
        views, total = await review_queue(
            db,
            organisation=organisation,
            principal=principal,
            roles=roles,
            state=chosen_state,
            badge_slug=badge or None,
            student_text=student or None,
            limit=QUEUE_PAGE,
            offset=offset,
        )
        badges = await _badge_names(db, services, organisation)
        grants = []
        if not roles & {"teacher", "admin"} and principal.person_id is not None:
            grants = await grants_of(
                db, services.catalog, principal.person_id, organisation_id=organisation.id
            )
        t = translator(request)
        context = {
            "organisation": organisation,
            "views": views,
            "total": total,
            "offset": offset,
            "page_size": QUEUE_PAGE,
            "filters": {"state": chosen_state, "badge": badge, "student": student},
            "badges": badges,
            "badge_names": dict(badges),
            "states": state_words(t),
            "grants": grants,
            "is_staff": bool(roles & {"teacher", "admin"}),
            "error": error,
            "outcomes": outcomes,
            "max_bulk": MAX_BULK_IDS,
        }
        return await page(request, "staff/queue.html", context, status=status)

    @get("/queue", opt=org_roles(*REVIEWERS, page=True))
    async def queue(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
    ) -> Response[str]:
        """Filters (badge, student name or e-mail, state) are a GET form; oldest first, 50 a page."""
        return await self._queue(request, db, services, principal, organisation, roles)

    @post("/queue/approve", opt=org_roles(*REVIEWERS, page=True))
    async def approve_selected(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        """Each selected submission is approved on its own; all approved → back to the queue with a
        message, else the queue with one line per submission saying what became of it."""
        form = await read_form(request)
        t = translator(request)
        ids: list[uuid.UUID] = []
        for raw in form.getall("ids"):
            try:
                ids.append(uuid.UUID(raw))
            except ValueError:
                continue
        level_text = form.text("level")
        error = None
        if not ids:
            error = t.gettext("Select at least one submission to approve.")
        elif len(ids) > MAX_BULK_IDS:
            error = t.gettext("Select at most %(count)d submissions at a time.") % {"count": MAX_BULK_IDS}
        elif level_text and not level_text.isdigit():
            error = t.gettext("Choose a level from the list.")
        if error:
            return await self._queue(
                request, db, services, principal, organisation, roles, status=422, error=error
            )
        outcomes = await approve_many(
            services,
            organisation=organisation,
            principal=principal,
            roles=roles,
            submission_ids=ids,
            level=int(level_text) if level_text else None,
            comment=form.text("comment"),
            now=now,
        )
        approved = sum(1 for outcome in outcomes if outcome.error is None)
        if approved == len(outcomes):
            message = t.ngettext(
                "%(count)d submission approved: its badge was signed and issued.",
                "%(count)d submissions approved: their badges were signed and issued.",
                approved,
            ) % {"count": approved}
            return redirect(f"/orgs/{organisation.slug}/queue", flash=message)
        lines = [
            {
                "id": outcome.submission_id,
                "ok": outcome.error is None,
                "detail": "" if outcome.error is None else outcome.error.detail,
            }
            for outcome in outcomes
        ]
        return await self._queue(request, db, services, principal, organisation, roles, outcomes=lines)

    async def _submission(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: datetime,
        submission_id: uuid.UUID,
        *,
        status: int = 200,
        error: str | None = None,
        error_for: str | None = None,
        typed: Form | None = None,
    ) -> Response[str]:
        view = await view_submission(
            db,
            organisation=organisation,
            principal=principal,
            roles=roles,
            submission_id=submission_id,
            now=now,
        )
        badge = await db.get_one(BadgeVersion, view.submission.badge_version_id)
        definition = definition_of(badge)
        t = translator(request)
        context = {
            "organisation": organisation,
            "view": view,
            "submission": view.submission,
            "definition": definition,
            "states": state_words(t),
            "decisions": {
                "approve": t.gettext("Approved"),
                "return": t.gettext("Returned for more work"),
                "decline": t.gettext("Declined"),
            },
            "seen": view.submission.updated_at.isoformat(),
            "error": error,
            "error_for": error_for,
            "typed": typed or {},
            "own": view.submission.student_id == principal.person_id,
        }
        return await page(request, "staff/submission.html", context, status=status)

    @get("/submissions/{submission_id:uuid}", opt=org_roles(*REVIEWERS, page=True))
    async def submission(
        self,
        request: Request[Any, Any, Any],
        submission_id: FromPath[uuid.UUID],
        db: Db,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[str]:
        """The evidence (narrative as sanitized Markdown, links, files to download), the level claimed,
        the history, and the decision forms while it waits for review. The read is audited."""
        return await self._submission(request, db, principal, organisation, roles, now, submission_id)

    @get("/submissions/{submission_id:uuid}/files/{file_id:uuid}", opt=org_roles(*REVIEWERS, page=True))
    async def evidence_file(
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
        """An attachment of the type recorded at upload, after its bytes are hashed again."""
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

    @post("/submissions/{submission_id:uuid}/review", opt=org_roles(*REVIEWERS, page=True))
    async def decide(
        self,
        request: Request[Any, Any, Any],
        submission_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        """Approve (level, comment), return or decline (comment). The form carries the ``updatedAt`` the
        reviewer saw: a submission changed since is refused, and shown again as it is now."""
        form = await read_form(request)
        t = translator(request)
        decision = form.text("decision")
        comment = form.text("comment")
        level_text = form.text("level")
        seen = _seen(form.text("seen"))
        error = None
        if decision not in ("approve", "return", "decline"):
            error, decision = t.gettext("Choose approve, return or decline."), ""
        elif decision != "approve" and not comment:
            error = t.gettext("Say why in the comment: the student reads it.")
        elif decision == "approve" and not level_text.isdigit():
            error = t.gettext("Choose a level from the list.")
        elif seen is None:
            error = t.gettext("This form is out of date: look at the submission again, then decide.")
        if error:
            return await self._submission(
                request,
                db,
                principal,
                organisation,
                roles,
                now,
                submission_id,
                status=422,
                error=error,
                error_for=decision,
                typed=form,
            )
        try:
            await review_submission(
                db,
                services,
                organisation=organisation,
                principal=principal,
                roles=roles,
                submission_id=submission_id,
                decision=decision,
                level=int(level_text) if decision == "approve" else None,
                comment=comment,
                now=now,
                expected_updated_at=seen,
            )
        except InvalidStateError:
            await db.rollback()
            message = t.gettext(
                "Not saved: this submission changed since you opened it (a resubmission, new files or "
                "another reviewer's decision). Here it is as it is now: look at it again, then decide."
            )
            return await self._submission(
                request, db, principal, organisation, roles, now, submission_id, status=409, error=message
            )
        except IssuerError as refused:
            await db.rollback()
            shown = form_status(refused)
            if shown is None:
                raise  # not theirs to decide, or the keys are unavailable: the error page
            return await self._submission(
                request,
                db,
                principal,
                organisation,
                roles,
                now,
                submission_id,
                status=shown,
                error=t.gettext("Not saved: %(reason)s") % {"reason": refused.detail},
                error_for=decision,
                typed=form,
            )
        flash = {
            "approve": t.gettext("Approved at level %(level)s: the badge was signed and issued.")
            % {"level": level_text},
            "return": t.gettext("Returned to the student with your comment."),
            "decline": t.gettext("Declined, with your comment for the student."),
        }[decision]
        return redirect(f"/orgs/{organisation.slug}/submissions/{submission_id}", flash=flash)
