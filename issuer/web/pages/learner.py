"""The learner's pages: my badges (downloads, share links, LinkedIn, wallet), submitting evidence, my submissions.

Everything here acts on the signed-in person's own things only: another learner's badge, submission or
share link is "not found".
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote, urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from sqlmodel import select

from issuer.db.models import BadgeVersion, Organisation, Submission
from issuer.errors import IssuerError, NotFoundError
from issuer.evidence_store import accepted_kinds
from issuer.services.catalogue import definition_of, offered_badges
from issuer.services.record import download, read_record
from issuer.services.sharing import (
    MAX_SHARE_DAYS,
    MAX_TEXT_CHARS,
    badge_state,
    create_share_link,
    share_links_of,
    withdraw_share_link,
)
from issuer.services.submissions import (
    MAX_LINKS,
    MAX_NARRATIVE_CHARS,
    Upload,
    add_files,
    create_submission,
    my_submissions,
    resubmit,
    view_submission,
)
from issuer.services.wallet_offers import create_wallet_offer, offerable_credential
from issuer.web.auth import signed_in
from issuer.web.deps import Db, Now, Svc, User
from issuer.web.pages.forms import Form, read_form
from issuer.web.pages.qr import qr_svg, wallet_codes
from issuer.web.pages.render import page, redirect, translator

if TYPE_CHECKING:
    from datetime import datetime

    from litestar.datastructures import UploadFile
    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.roles import Principal
    from issuer.services.context import Services
    from issuer.services.record import RecordEntry

__all__ = ["LearnerPages", "share_url"]

LINKEDIN_ADD: Final = "https://www.linkedin.com/profile/add"


def share_url(services: Services, token: str) -> str:
    """The public address of a share link."""
    return f"{services.settings.base_url.rstrip('/')}/s/{token}"


def linkedin_url(entry: RecordEntry, certificate_url: str) -> str:
    """LinkedIn's "Add licence or certification" form, filled in (its documented ``profile/add`` parameters)."""
    issued = entry.credential.issued_at
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": f"{entry.badge_name} ({entry.level_name})",
        "organizationName": entry.issuer.name,
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "certUrl": certificate_url,
        "certId": entry.credential.id,
    }
    return f"{LINKEDIN_ADD}?{urlencode(query, quote_via=quote)}"


def _me(principal: Principal) -> uuid.UUID:
    if principal.person_id is None:
        raise NotFoundError("sign in as a person")
    return principal.person_id


def _uploads(files: list[UploadFile]) -> list[Upload]:
    return [Upload(filename=f.filename, declared_type=f.content_type, source=f.file) for f in files]


def _links(form: Form) -> list[str]:
    """The links field: one URL a line (blank lines ignored); the service checks each."""
    return [line.strip() for line in form.get("links", "").splitlines() if line.strip()]


async def _student_badges(
    session: AsyncSession, services: Services, principal: Principal
) -> list[tuple[Organisation, list[Any]]]:
    """The organisations where the principal is a student, each with the badges it offers (by name)."""
    organisation_ids = [org for org in principal.roles if "student" in principal.roles_in(org)]
    if not organisation_ids:
        return []
    organisations = (
        await session.execute(
            select(Organisation).where(Organisation.id.in_(organisation_ids)).order_by(Organisation.name)  # type: ignore[attr-defined]
        )
    ).scalars()
    offered = []
    for organisation in organisations:
        badges = await offered_badges(session, services.catalog, organisation_id=organisation.id)
        offered.append((organisation, sorted((d for d, _ in badges), key=lambda d: d.name)))
    return offered


class LearnerPages(Controller):
    include_in_schema = False

    # --- badges ------------------------------------------------------------------------------------

    @get("/me/badges", opt=signed_in(page=True))
    async def my_badges(
        self, request: Request[Any, Any, Any], db: Db, principal: User, now: Now
    ) -> Response[str]:
        entries = await read_record(db, principal, _me(principal), now=now)
        rows = [(entry, badge_state(entry.credential, now)) for entry in entries]
        return await page(request, "learner/badges.html", {"rows": rows})

    @get("/me/badges/{credential_id:str}", opt=signed_in(page=True))
    async def badge(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[str],
        db: Db,
        principal: User,
        now: Now,
    ) -> Response[str]:
        return await self._badge_page(request, db, principal, credential_id, now=now)

    async def _badge_page(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        principal: Principal,
        credential_id: str,
        *,
        now: datetime,
        error: str | None = None,
        typed: dict[str, Any] | None = None,
    ) -> Response[str]:
        [entry] = await read_record(db, principal, _me(principal), now=now, credential_id=credential_id)
        version = await db.get(BadgeVersion, entry.credential.badge_version_id)
        definition = definition_of(version) if version else None
        links = await share_links_of(db, principal, entry.credential.id, now=now)
        base = f"/me/badges/{quote(entry.credential.id, safe=':')}"
        viewer_name = principal.display_name
        context = {
            "entry": entry,
            "state": badge_state(entry.credential, now),
            "definition": definition,
            "links": links,
            "base": base,
            "error": error,
            "typed": typed
            or {
                "audience": "",
                "display_name": viewer_name,
                "until": "date",
                "expires": "",
                "evidence": False,
            },
            "max_days": MAX_SHARE_DAYS,
            "today": now.date().isoformat(),
        }
        return await page(request, "learner/badge.html", context, status=422 if error else 200)

    @get("/me/badges/{credential_id:str}/files/{file_format:str}", opt=signed_in(page=True))
    async def badge_file(
        self, credential_id: FromPath[str], file_format: FromPath[str], db: Db, principal: User, now: Now
    ) -> Response[bytes]:
        found = await download(db, principal, _me(principal), credential_id, file_format, now=now)
        return Response(
            found.content,
            media_type=found.media_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @post("/me/badges/{credential_id:str}/share", opt=signed_in(page=True))
    async def share(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[str],
        db: Db,
        services: Svc,
        principal: User,
        now: Now,
    ) -> Response[str]:
        """The new link is shown once, on the answer to this form: only its fingerprint is kept."""
        form = await read_form(request)
        t = translator(request)
        typed: dict[str, Any] = {
            "audience": form.text("audience"),
            "display_name": form.text("display_name"),
            "until": "withdrawn" if form.text("until") == "withdrawn" else "date",
            "expires": form.text("expires"),
            "evidence": form.text("evidence") == "yes",
        }
        error = None
        expires_on: date | None = None
        if not typed["audience"]:
            error = t.gettext("Say who the link is for, e.g. “Boise State admissions”.")
        elif not typed["display_name"]:
            error = t.gettext("Give the name the page should show.")
        elif max(len(typed["audience"]), len(typed["display_name"])) > MAX_TEXT_CHARS:
            error = t.gettext("Keep the audience and the name to 200 characters or fewer.")
        elif typed["until"] == "date":
            try:
                expires_on = date.fromisoformat(typed["expires"])
            except ValueError:
                error = t.gettext("Choose the last day the link works, or “until I withdraw it”.")
            else:
                if expires_on < now.date():
                    error = t.gettext("The last day cannot be in the past.")
                elif expires_on > now.date() + timedelta(days=MAX_SHARE_DAYS):
                    error = t.gettext("A link works for at most %(days)d days: choose an earlier day.") % {
                        "days": MAX_SHARE_DAYS
                    }
        if error is not None:
            return await self._badge_page(
                request, db, principal, credential_id, now=now, error=error, typed=typed
            )
        try:
            token, link = await create_share_link(
                db,
                principal,
                credential_id=credential_id,
                audience=typed["audience"],
                display_name=typed["display_name"],
                expires_on=expires_on,
                show_evidence=typed["evidence"],
                now=now,
            )
        except IssuerError as err:
            if isinstance(err, NotFoundError):
                raise
            return await self._badge_page(
                request, db, principal, credential_id, now=now, error=err.detail, typed=typed
            )
        [entry] = await read_record(db, principal, _me(principal), now=now, credential_id=credential_id)
        url = share_url(services, token)
        context = {
            "entry": entry,
            "link": link,
            "url": url,
            "qr": qr_svg(url, label=t.gettext("QR code of the share link")),
            "linkedin": linkedin_url(entry, url),
            "base": f"/me/badges/{quote(entry.credential.id, safe=':')}",
        }
        return await page(request, "learner/share_created.html", context, status=201)

    @post("/me/badges/{credential_id:str}/wallet", opt=signed_in(page=True))
    async def wallet_offer(
        self,
        request: Request[Any, Any, Any],
        credential_id: FromPath[str],
        db: Db,
        services: Svc,
        principal: User,
        now: Now,
    ) -> Response[str]:
        """A one-time wallet offer (OpenID4VCI QR code, DCC wallet link), shown once: the links are bearer
        secrets until a wallet uses them, so the answer is not cached and not shown again."""
        form = await read_form(request)
        t = translator(request)
        credential = await offerable_credential(db, principal, credential_id)
        offer = await create_wallet_offer(
            db, services, credential, created_by=principal, want_tx_code=form.text("pin") == "yes", now=now
        )
        [entry] = await read_record(db, principal, _me(principal), now=now, credential_id=credential_id)
        context = {
            "entry": entry,
            "offer": offer,
            **wallet_codes(offer, t),
            "base": f"/me/badges/{quote(entry.credential.id, safe=':')}",
        }
        return await page(
            request, "learner/wallet_offer.html", context, status=201, headers={"Cache-Control": "no-store"}
        )

    @post("/me/share-links/{link_id:uuid}/withdraw", opt=signed_in(page=True))
    async def withdraw_link(
        self, request: Request[Any, Any, Any], link_id: FromPath[uuid.UUID], db: Db, principal: User, now: Now
    ) -> Response[Any]:
        link = await withdraw_share_link(db, principal, link_id, now=now)
        t = translator(request)
        return redirect(
            f"/me/badges/{quote(link.credential_id, safe=':')}",
            flash=t.gettext("The link for %(audience)s was withdrawn: it no longer opens.")
            % {"audience": link.audience},
        )

    # --- submissions ---------------------------------------------------------------------------------

    @get("/me/submit", opt=signed_in(page=True))
    async def submit_form(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, principal: User
    ) -> Response[str]:
        return await self._submit_page(request, db, services, principal, typed={})

    async def _submit_page(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        services: Services,
        principal: Principal,
        *,
        typed: dict[str, str],
        errors: list[str] | None = None,
    ) -> Response[str]:
        limits = services.evidence.limits
        context = {
            "schools": await _student_badges(db, services, principal),
            "typed": {"badge": "", "level": "", "narrative": "", "links": "", **typed},
            "errors": errors or [],
            "max_files": limits.max_files_per_submission,
            "max_file_mib": limits.max_file_bytes // (1024 * 1024),
            "max_total_mib": limits.max_submission_bytes // (1024 * 1024),
            "kinds": accepted_kinds(limits.accepted_types),
            "max_links": MAX_LINKS,
            "max_narrative": MAX_NARRATIVE_CHARS,
        }
        return await page(request, "learner/submit.html", context, status=422 if errors else 200)

    @post("/me/submit", opt=signed_in(page=True))
    async def submit(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, principal: User, now: Now
    ) -> Response[Any]:
        form = await read_form(request)
        t = translator(request)
        typed = {name: form.get(name, "") for name in ("badge", "level", "narrative", "links")}
        slug, _, badge_slug = form.text("badge").partition("/")
        schools = {org.slug: org for org, _ in await _student_badges(db, services, principal)}
        errors = []
        if slug not in schools or not badge_slug:
            errors.append(t.gettext("Choose the badge you are asking for."))
        if form.text("level") not in ("1", "2", "3", "4"):
            errors.append(t.gettext("Choose the level you claim, 1 to 4."))
        if not errors:
            try:
                submission = await create_submission(
                    db,
                    services,
                    organisation=schools[slug],
                    principal=principal,
                    badge_slug=badge_slug,
                    level=int(form.text("level")),
                    narrative=form.get("narrative", ""),
                    links=_links(form),
                    supervisor_id=None,
                    uploads=_uploads(form.files.get("files", [])),
                    now=now,
                )
            except IssuerError as err:
                errors.append(err.detail)
        if errors:
            if form.files.get("files"):
                errors.append(
                    t.gettext("For your safety, files are not kept after a problem: choose them again.")
                )
            return await self._submit_page(request, db, services, principal, typed=typed, errors=errors)
        return redirect(
            f"/me/submissions/{submission.id}", flash=t.gettext("Your evidence was sent for review.")
        )

    @get("/me/submissions", opt=signed_in(page=True))
    async def submissions(self, request: Request[Any, Any, Any], db: Db, principal: User) -> Response[str]:
        views = await my_submissions(db, principal)
        names = await _badge_names(db, [view.submission for view in views])
        return await page(request, "learner/submissions.html", {"views": views, "names": names})

    @get("/me/submissions/{submission_id:uuid}", opt=signed_in(page=True))
    async def submission(
        self,
        request: Request[Any, Any, Any],
        submission_id: FromPath[uuid.UUID],
        db: Db,
        principal: User,
        now: Now,
    ) -> Response[str]:
        return await self._submission_page(request, db, principal, submission_id, now=now)

    async def _submission_page(
        self,
        request: Request[Any, Any, Any],
        db: AsyncSession,
        principal: Principal,
        submission_id: uuid.UUID,
        *,
        now: datetime,
        errors: list[str] | None = None,
        typed: dict[str, str] | None = None,
    ) -> Response[str]:
        submission, organisation = await _own_submission(db, principal, submission_id)
        view = await view_submission(
            db,
            organisation=organisation,
            principal=principal,
            roles=principal.roles_in(organisation.id),
            submission_id=submission.id,
            now=now,
        )
        version = await db.get(BadgeVersion, submission.badge_version_id)
        definition = definition_of(version) if version else None
        context = {
            "view": view,
            "organisation": organisation,
            "definition": definition,
            "errors": errors or [],
            "typed": typed
            or {"narrative": view.submission.narrative, "links": "\n".join(view.submission.links)},
        }
        return await page(request, "learner/submission.html", context, status=422 if errors else 200)

    @post("/me/submissions/{submission_id:uuid}/resubmit", opt=signed_in(page=True))
    async def resubmit(
        self,
        request: Request[Any, Any, Any],
        submission_id: FromPath[uuid.UUID],
        db: Db,
        services: Svc,
        principal: User,
        now: Now,
    ) -> Response[Any]:
        """New files first, then the submission goes back to review with the narrative and links as edited."""
        form = await read_form(request)
        t = translator(request)
        _, organisation = await _own_submission(db, principal, submission_id)
        try:
            uploads = _uploads(form.files.get("files", []))
            if uploads:
                await add_files(
                    db,
                    services,
                    organisation=organisation,
                    principal=principal,
                    submission_id=submission_id,
                    uploads=uploads,
                    now=now,
                )
            await resubmit(
                db,
                organisation=organisation,
                principal=principal,
                submission_id=submission_id,
                narrative=form.get("narrative", ""),
                links=_links(form),
                now=now,
            )
        except IssuerError as err:
            if isinstance(err, NotFoundError):
                raise
            typed = {"narrative": form.get("narrative", ""), "links": form.get("links", "")}
            return await self._submission_page(
                request, db, principal, submission_id, now=now, errors=[err.detail], typed=typed
            )
        return redirect(
            f"/me/submissions/{submission_id}", flash=t.gettext("Your submission is back in review.")
        )


async def _own_submission(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID
) -> tuple[Submission, Organisation]:
    """The principal's own submission and its organisation; anyone else's is "not found"."""
    submission = await session.get(Submission, submission_id)
    if submission is None or submission.student_id != principal.person_id:
        raise NotFoundError("no such submission of yours")
    if not principal.may_act_in(submission.organisation_id):
        raise NotFoundError("no such submission of yours")
    organisation = await session.get(Organisation, submission.organisation_id)
    if organisation is None:
        raise NotFoundError("no such submission of yours")
    return submission, organisation


async def _badge_names(session: AsyncSession, submissions: list[Submission]) -> dict[uuid.UUID, str]:
    """The badge name of each submission, from the definition version it was made under."""
    ids = {submission.badge_version_id for submission in submissions}
    if not ids:
        return {}
    versions = (await session.execute(select(BadgeVersion).where(BadgeVersion.id.in_(ids)))).scalars()  # type: ignore[attr-defined]
    names = {version.id: definition_of(version).name for version in versions}
    return {
        submission.id: names.get(submission.badge_version_id, submission.badge_slug)
        for submission in submissions
    }
