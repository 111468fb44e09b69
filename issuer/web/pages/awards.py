"""Awarding badges and looking after the issued ones, for teachers and admins (issue #6, "Teacher / supervisor").

Direct award, bulk award from a CSV file (a background job, as the API runs it: :mod:`issuer.web.jobs`),
the job's progress and rejected rows, and the register of issued badges with revoke, suspend and
reinstate behind a confirmation page.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Final

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from issuer.db.models import CREDENTIAL_STATES, Credential
from issuer.errors import IssuerError
from issuer.services.awards import (
    DirectAward,
    award_directly,
    get_job,
    job_progress,
    rejected_report,
    rejected_rows,
)
from issuer.services.catalogue import offered_badges
from issuer.services.people import display_names
from issuer.services.revocation import (
    CHANGE_ROLES,
    MAX_REASON,
    StatusChange,
    change_status,
    get_credential,
    list_credentials,
)
from issuer.services.sharing import badge_state
from issuer.services.wallet_offers import create_wallet_offer
from issuer.web.auth import org_roles
from issuer.web.deps import Db, HeldRoles, Now, Org, Svc, User
from issuer.web.jobs import start_award_job
from issuer.web.pages.forms import Form, read_form
from issuer.web.pages.qr import wallet_codes
from issuer.web.pages.refusals import form_status
from issuer.web.pages.render import page, redirect, translator

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["AwardPages", "CredentialPages"]

AWARDERS: Final = ("teacher", "admin", "supervisor")  # as the API: a supervisor within their grants
STAFF: Final = ("teacher", "admin")
CREDENTIALS_PAGE: Final = 50
REJECTED_SHOWN: Final = 200  # the page lists this many rejected rows; the CSV download has them all
RELOAD_SECONDS: Final = 2


def N_(message: str) -> str:  # noqa: N802 - gettext's marker: extracted now, translated when shown
    return message


_CREDENTIAL_STATES: Final = {"active": N_("Active"), "suspended": N_("Suspended"), "revoked": N_("Revoked")}
_JOB_STATES: Final = {
    "pending": N_("Waiting to start"),
    "running": N_("Running"),
    "done": N_("Finished"),
    "failed": N_("Stopped on an error"),
}


async def _badge_names(db: Db, services: Svc, organisation: Org) -> list[tuple[str, str]]:
    offered = await offered_badges(db, services.catalog, organisation_id=organisation.id)
    return sorted(((definition.slug, definition.name) for definition, _ in offered), key=lambda b: b[1])


class AwardPages(Controller):
    path = "/orgs/{slug:str}/award"
    include_in_schema = False

    async def _form(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        organisation: Org,
        *,
        typed: Form | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response[str]:
        context = {
            "organisation": organisation,
            "badges": await _badge_names(db, services, organisation),
            "typed": typed or {},
            "error": error,
        }
        return await page(request, "staff/award.html", context, status=status)

    @get("/", opt=org_roles(*AWARDERS, page=True))
    async def award_form(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, organisation: Org
    ) -> Response[str]:
        return await self._form(request, db, services, organisation)

    @post("/", opt=org_roles(*AWARDERS, page=True))
    async def award(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        """Signs and stores the badge now; a problem (not a student here, a level below the badge's
        required one, already held) shows the form again with what was typed."""
        form = await read_form(request)
        t = translator(request)
        student, badge, level = form.text("student"), form.text("badge"), form.text("level")
        error = None
        if not student:
            error = t.gettext("Name the student by e-mail address.")
        elif not badge:
            error = t.gettext("Choose a badge.")
        elif not level.isdigit():
            error = t.gettext("Choose a level from the list.")
        elif len(student) > 254:
            error = t.gettext("The student's e-mail address is at most 254 characters.")
        if error:
            return await self._form(request, db, services, organisation, typed=form, error=error, status=422)
        try:
            credential = await award_directly(
                db,
                services,
                organisation=organisation,
                principal=principal,
                roles=roles,
                request=DirectAward(
                    student=student,
                    badge=badge.lower(),
                    level=int(level),
                    comment=form.text("comment") or None,
                    evidence_url=form.text("evidence_url") or None,
                ),
                now=now,
            )
        except IssuerError as refused:
            await db.rollback()
            shown = form_status(refused)
            if shown is None:
                raise
            message = t.gettext("Not issued: %(reason)s") % {"reason": refused.detail}
            return await self._form(
                request, db, services, organisation, typed=form, error=message, status=shown
            )
        return redirect(
            f"/orgs/{organisation.slug}/award",
            flash=t.gettext("Issued: %(badge)s at level %(level)d.")
            % {"badge": credential.badge_slug, "level": credential.level},
        )

    @get("/bulk", opt=org_roles(*STAFF, page=True))
    async def bulk_form(self, request: Request[Any, Any, Any], organisation: Org) -> Response[str]:
        return await page(request, "staff/bulk.html", {"organisation": organisation, "error": None})

    @post("/bulk", opt=org_roles(*STAFF, page=True))
    async def bulk_upload(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        """A file that cannot be read at all is shown with the reason and nothing is stored; otherwise
        the job starts in the background and the progress page follows it."""
        form = await read_form(request)
        t = translator(request)
        uploads = form.files.get("file", [])
        error = None
        if not uploads:
            error = t.gettext("Choose a CSV file to upload.")
        else:
            try:
                job = await start_award_job(
                    request.app.state,
                    db,
                    services,
                    organisation=organisation,
                    principal=principal,
                    roles=roles,
                    filename=uploads[0].filename,
                    data=await uploads[0].read(),
                    enrol=form.text("enrol") == "true",
                    now=now,
                )
            except IssuerError as refused:
                await db.rollback()
                if form_status(refused) is None:
                    raise
                error = t.gettext("This file cannot be read: %(reason)s") % {"reason": refused.detail}
        if error:
            context = {"organisation": organisation, "error": error}
            return await page(request, "staff/bulk.html", context, status=422)
        return redirect(f"/orgs/{organisation.slug}/award/jobs/{job.id}")

    @get("/jobs/{job_id:uuid}", opt=org_roles(*STAFF, page=True))
    async def job(
        self, request: Request[Any, Any, Any], job_id: FromPath[uuid.UUID], db: Db, organisation: Org
    ) -> Response[str]:
        """Counters while it runs (the page reloads itself with JavaScript; a Refresh link without),
        then the rejected rows and their CSV report."""
        progress = job_progress(await get_job(db, organisation, job_id))
        t = translator(request)
        running = progress.state in ("pending", "running")
        rows = [] if running else await rejected_rows(db, organisation, job_id, limit=REJECTED_SHOWN)
        context = {
            "organisation": organisation,
            "job": progress,
            "percent": round(progress.progress * 100),
            "state_words": t.gettext(_JOB_STATES.get(progress.state, progress.state)),
            "running": running,
            "reload_seconds": RELOAD_SECONDS,
            "rows": rows,
            "shown_limit": REJECTED_SHOWN,
        }
        return await page(request, "staff/job.html", context)

    @get("/jobs/{job_id:uuid}/rejected.csv", opt=org_roles(*STAFF, page=True), media_type="text/csv")
    async def rejected_csv(self, job_id: FromPath[uuid.UUID], db: Db, organisation: Org) -> Response[str]:
        report = await rejected_report(db, organisation, job_id)
        return Response(
            report,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="award-job-{job_id}-rejected.csv"'},
        )


WALLET_ROLES: Final = ("admin", "teacher")  # as the API's staff wallet offers
_CONFIRM_WORDS: Final = {
    "revoke": (
        N_("Revoke this badge"),
        N_("Revoking is final: the badge stops verifying everywhere, and cannot be reinstated."),
        N_("Revoke the badge"),
    ),
    "suspend": (
        N_("Suspend this badge"),
        N_("While suspended, the badge does not verify; you can reinstate it later."),
        N_("Suspend the badge"),
    ),
    "reinstate": (
        N_("Reinstate this badge"),
        N_("The badge verifies again."),
        N_("Reinstate the badge"),
    ),
}
_DONE_WORDS: Final = {
    "revoke": N_("The badge was revoked."),
    "suspend": N_("The badge was suspended."),
    "reinstate": N_("The badge was reinstated."),
}


class CredentialPages(Controller):
    path = "/orgs/{slug:str}/credentials"
    include_in_schema = False

    @get("/", opt=org_roles(*STAFF, page=True))
    async def register(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[str]:
        """Newest first; search by student (name or e-mail), badge and state."""
        query = request.query_params
        badge = (query.get("badge") or "").strip()[:100]
        student = (query.get("student") or "").strip()[:200]
        chosen_state = query.get("state") or ""
        if chosen_state not in CREDENTIAL_STATES:
            chosen_state = ""
        try:
            offset = max(0, int(query.get("offset") or 0))
        except ValueError:
            offset = 0
        items, total = await list_credentials(
            db,
            organisation,
            badge=badge or None,
            state=chosen_state or None,
            student_text=student or None,
            limit=CREDENTIALS_PAGE,
            offset=offset,
        )
        names = await display_names(db, [item.recipient_id for item in items if item.recipient_id])
        badges = await _badge_names(db, services, organisation)
        t = translator(request)
        context = {
            "organisation": organisation,
            "items": items,
            "names": names,
            "total": total,
            "offset": offset,
            "page_size": CREDENTIALS_PAGE,
            "filters": {"badge": badge, "student": student, "state": chosen_state},
            "badges": badges,
            "badge_names": dict(badges),
            "states": {state: t.gettext(words) for state, words in _CREDENTIAL_STATES.items()},
            # Past its validUntil: still "active" in the register's state, but no wallet offer.
            "expired": {item.id for item in items if badge_state(item, now) == "expired"},
            "may": {
                **{change: bool(roles & allowed) for change, allowed in CHANGE_ROLES.items()},
                "wallet": bool(roles & set(WALLET_ROLES)),
            },
        }
        return await page(request, "staff/credentials.html", context)

    async def _confirm(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        organisation: Org,
        credential: Credential,
        change: StatusChange,
        *,
        error: str | None = None,
        reason: str = "",
        status: int = 200,
    ) -> Response[str]:
        t = translator(request)
        heading, consequence, button = _CONFIRM_WORDS[change]
        names = await display_names(db, [credential.recipient_id] if credential.recipient_id else [])
        badges = dict(await _badge_names(db, services, organisation))
        context = {
            "organisation": organisation,
            "credential": credential,
            "credential_key": credential.id.removeprefix("urn:uuid:"),
            "student_name": names.get(credential.recipient_id) if credential.recipient_id else None,
            "badge_name": badges.get(credential.badge_slug, credential.badge_slug),
            "change": change,
            "heading": t.gettext(heading),
            "consequence": t.gettext(consequence),
            "button": t.gettext(button),
            "reason_required": change != "reinstate",
            "max_reason": MAX_REASON,
            "error": error,
            "reason": reason,
            "state_words": t.gettext(_CREDENTIAL_STATES.get(credential.state, credential.state)),
        }
        return await page(request, "staff/confirm_status.html", context, status=status)

    async def _show(
        self,
        request: Request[Any, Any, Any],
        change: StatusChange,
        credential_id: uuid.UUID,
        db: Db,
        services: Svc,
        organisation: Org,
    ) -> Response[str]:
        credential = await get_credential(db, organisation, str(credential_id))
        return await self._confirm(request, db, services, organisation, credential, change)

    async def _apply(
        self,
        request: Request[Any, Any, Any],
        change: StatusChange,
        credential_id: uuid.UUID,
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        form = await read_form(request)
        t = translator(request)
        reason = form.text("reason")
        error = None
        if change != "reinstate" and not reason:
            error = t.gettext("Give a reason. It stays private: it is never published or put in the badge.")
        elif len(reason) > MAX_REASON:
            error = t.gettext("The reason is at most %(count)d characters.") % {"count": MAX_REASON}
        if error is None:
            try:
                await change_status(
                    db,
                    services,
                    organisation=organisation,
                    credential_id=str(credential_id),
                    change=change,
                    reason=reason or None,
                    actor=principal,
                    roles=roles,
                    now=now,
                )
            except IssuerError as refused:
                await db.rollback()
                if form_status(refused) is None:
                    raise
                error = t.gettext("Not changed: %(reason)s") % {"reason": refused.detail}
        if error is not None:
            credential = await get_credential(db, organisation, str(credential_id))
            return await self._confirm(
                request,
                db,
                services,
                organisation,
                credential,
                change,
                error=error,
                reason=reason,
                status=422,
            )
        return redirect(f"/orgs/{organisation.slug}/credentials", flash=t.gettext(_DONE_WORDS[change]))

    @get("/{credential_id:uuid}/wallet", opt=org_roles(*WALLET_ROLES, page=True))
    async def wallet_form(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        organisation: Org,
        now: Now,
    ) -> Response[str]:
        """For a student without a phone at hand, or a class pickup on a shared screen: a one-time wallet
        QR code made by the teacher (docs/wallets.md)."""
        credential = await get_credential(db, organisation, str(credential_id))
        return await page(
            request,
            "staff/wallet.html",
            await self._wallet_context(db, services, organisation, credential, now=now),
        )

    @post("/{credential_id:uuid}/wallet", opt=org_roles(*WALLET_ROLES, page=True))
    async def wallet_offer(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> Response[str]:
        """The offer, shown once (its links are bearer secrets until a wallet uses them): not cached."""
        form = await read_form(request)
        t = translator(request)
        credential = await get_credential(db, organisation, str(credential_id))
        context = await self._wallet_context(db, services, organisation, credential, now=now)
        # A revoked, suspended or expired badge is refused before anything is written: the 409 error
        # page says why (as on the learner's page).
        offer = await create_wallet_offer(
            db, services, credential, created_by=principal, want_tx_code=form.text("pin") == "yes", now=now
        )
        context.update(offer=offer, **wallet_codes(offer, t))
        return await page(
            request, "staff/wallet.html", context, status=201, headers={"Cache-Control": "no-store"}
        )

    async def _wallet_context(
        self, db: Db, services: Svc, organisation: Org, credential: Credential, *, now: datetime
    ) -> dict[str, Any]:
        names = await display_names(db, [credential.recipient_id] if credential.recipient_id else [])
        badges = dict(await _badge_names(db, services, organisation))
        return {
            "organisation": organisation,
            "credential": credential,
            "credential_key": credential.id.removeprefix("urn:uuid:"),
            "student_name": names.get(credential.recipient_id) if credential.recipient_id else None,
            "badge_name": badges.get(credential.badge_slug, credential.badge_slug),
            "state": badge_state(credential, now),  # expired counts too: it cannot go into a wallet
            "offer": None,
        }

    @get("/{credential_id:uuid}/revoke", opt=org_roles(*CHANGE_ROLES["revoke"], page=True))
    async def confirm_revoke(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        organisation: Org,
    ) -> Response[str]:
        return await self._show(request, "revoke", credential_id, db, services, organisation)

    @post("/{credential_id:uuid}/revoke", opt=org_roles(*CHANGE_ROLES["revoke"], page=True))
    async def revoke(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        return await self._apply(
            request, "revoke", credential_id, db, services, principal, organisation, roles, now
        )

    @get("/{credential_id:uuid}/suspend", opt=org_roles(*CHANGE_ROLES["suspend"], page=True))
    async def confirm_suspend(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        organisation: Org,
    ) -> Response[str]:
        return await self._show(request, "suspend", credential_id, db, services, organisation)

    @post("/{credential_id:uuid}/suspend", opt=org_roles(*CHANGE_ROLES["suspend"], page=True))
    async def suspend(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        return await self._apply(
            request, "suspend", credential_id, db, services, principal, organisation, roles, now
        )

    @get("/{credential_id:uuid}/reinstate", opt=org_roles(*CHANGE_ROLES["reinstate"], page=True))
    async def confirm_reinstate(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        organisation: Org,
    ) -> Response[str]:
        return await self._show(request, "reinstate", credential_id, db, services, organisation)

    @post("/{credential_id:uuid}/reinstate", opt=org_roles(*CHANGE_ROLES["reinstate"], page=True))
    async def reinstate(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        return await self._apply(
            request, "reinstate", credential_id, db, services, principal, organisation, roles, now
        )
