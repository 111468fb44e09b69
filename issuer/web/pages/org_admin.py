"""An organisation's admin pages: members, invitations, badge definitions in use, keys, status lists and
the audit log. Each page calls the same services as the JSON API (issuer/web/api/admin.py, audit.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from issuer.db.models import Membership
from issuer.errors import IssuerError
from issuer.services.audit import query_events
from issuer.services.catalogue import issued_counts, offered_badges
from issuer.services.invitations import MAX_DAYS, create_invitation, list_invitations, withdraw_invitation
from issuer.services.members import enrol_member, remove_member
from issuer.services.org_settings import ALGORITHMS, change_settings, key_records, rotate_key
from issuer.services.people import list_members
from issuer.services.status_lists import list_status_lists
from issuer.web.auth import org_roles
from issuer.web.deps import Db, HeldRoles, Now, Org, Svc, User
from issuer.web.pages.forms import read_form
from issuer.web.pages.render import page, redirect, translator

__all__ = ["OrgAdminPages"]

ADMIN: Final = org_roles("admin", page=True)
MEMBER_ROLES: Final = ("student", "teacher", "supervisor", "registrar", "admin")
AUDIT_PAGE: Final = 50
MEMBERS_PAGE: Final = 500
NO_STORE: Final = {"Cache-Control": "no-store"}


def _status(err: IssuerError) -> int:
    """The status the API answers for this error (imported here: issuer.web.errors imports the pages)."""
    from issuer.web.errors import STATUS_BY_CODE

    return STATUS_BY_CODE.get(err.code, 422)


def _parse_uuids(values: list[str]) -> list[uuid.UUID] | None:
    try:
        return [uuid.UUID(value) for value in values]
    except ValueError:
        return None


def _parse_day(value: str) -> date | None:
    """A yyyy-mm-dd form value; None when empty. Raises ValueError when it is not a date."""
    return date.fromisoformat(value) if value else None


class OrgAdminPages(Controller):
    path = "/orgs/{slug:str}/admin"
    include_in_schema = False

    # --- members -----------------------------------------------------------------------------------

    @get("/", opt=ADMIN)
    async def members(self, request: Request[Any, Any, Any], db: Db, organisation: Org) -> Response[str]:
        return await page(request, "admin/members.html", await _members_context(db, organisation))

    @post("/members", opt=ADMIN)
    async def add_member(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        """A new e-mail gets an account (with the password, if one is given: it signs in here only)."""
        form = await read_form(request)
        t = translator(request)
        typed = {
            "email": form.text("email"),
            "display_name": form.text("display_name"),
            "role": form.text("role"),
        }
        try:
            person, membership = await enrol_member(
                db,
                organisation=organisation,
                email=typed["email"],
                display_name=typed["display_name"],
                role=typed["role"],
                password=form.get("password") or None,
                is_minor=form.get("is_minor") == "yes",
                actor=principal,
                actor_roles=roles,
                now=now,
            )
        except IssuerError as err:
            await db.rollback()
            context = await _members_context(db, organisation)
            context.update(error=err.detail, typed=typed)
            return await page(request, "admin/members.html", context, status=_status(err))
        return redirect(
            f"/orgs/{organisation.slug}/admin",
            flash=t.gettext("%(name)s is now %(role)s here.")
            % {"name": person.display_name, "role": membership.role},
        )

    @post("/members/{membership_id:uuid}/remove", opt=ADMIN)
    async def remove_member(
        self,
        request: Request[Any, Any, Any],
        membership_id: FromPath[uuid.UUID],
        db: Db,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> Response[Any]:
        """Never the last admin (the service refuses, and the page says why)."""
        t = translator(request)
        try:
            await remove_member(
                db, organisation=organisation, membership_id=membership_id, actor=principal, now=now
            )
        except IssuerError as err:
            await db.rollback()
            context = await _members_context(db, organisation)
            context["error"] = err.detail
            return await page(request, "admin/members.html", context, status=_status(err))
        return redirect(f"/orgs/{organisation.slug}/admin", flash=t.gettext("The role was taken away."))

    # --- invitations -------------------------------------------------------------------------------

    @get("/invitations", opt=ADMIN)
    async def invitations(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, organisation: Org
    ) -> Response[str]:
        return await page(
            request, "admin/invitations.html", await _invitations_context(db, services, organisation)
        )

    @post("/invitations", opt=ADMIN)
    async def invite(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[str]:
        """The link is shown on this answer only (no redirect: it must not travel in a cookie or URL)."""
        form = await read_form(request)
        t = translator(request)
        email, display_name, days = form.text("email"), form.text("display_name"), form.text("days") or "14"
        badges, chosen = form.getall("badges"), form.getall("students")
        students = _parse_uuids(chosen)
        error = None
        if students is None:
            error = t.gettext("Choose students from the list.")
        elif not days.isdigit():
            error = t.gettext("The link's lifetime is a number of days, 1 to %(max)s.") % {"max": MAX_DAYS}
        else:
            try:
                token, invitation = await create_invitation(
                    db,
                    services.catalog,
                    organisation=organisation,
                    email=email,
                    display_name=display_name,
                    role="supervisor",
                    badges=badges,
                    students=students,
                    expires_in_days=int(days),
                    actor=principal,
                    actor_roles=roles,
                    now=now,
                )
            except IssuerError as err:
                await db.rollback()
                error = err.detail
        typed = {
            "email": email,
            "display_name": display_name,
            "badges": badges,
            "students": chosen,
            "days": days,
        }
        context = await _invitations_context(db, services, organisation)
        if error is not None:
            context.update(error=error, typed=typed)
            return await page(request, "admin/invitations.html", context, status=422)
        context["created"] = {
            "link": f"{services.settings.base_url}/invitations/{token}",
            "name": invitation.display_name,
            "expires": invitation.expires_at,
        }
        # The link is a credential: no copy in the browser's or a proxy's cache.
        return await page(request, "admin/invitations.html", context, status=201, headers=NO_STORE)

    @post("/invitations/{invitation_id:uuid}/withdraw", opt=ADMIN)
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        invitation_id: FromPath[uuid.UUID],
        db: Db,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> Response[Any]:
        t = translator(request)
        await withdraw_invitation(
            db,
            organisation=organisation,
            invitation_id=invitation_id,
            actor=principal,
            actor_roles=roles,
            now=now,
        )
        return redirect(
            f"/orgs/{organisation.slug}/admin/invitations",
            flash=t.gettext("The invitation was withdrawn, with the grants it gave."),
        )

    # --- badges, keys, status lists ----------------------------------------------------------------

    @get("/badges", opt=ADMIN)
    async def badges(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, organisation: Org
    ) -> Response[str]:
        offered = await offered_badges(db, services.catalog, organisation_id=organisation.id)
        counts = await issued_counts(db, organisation.id)
        rows = [
            {
                "name": definition.name,
                "slug": definition.slug,
                "version": row.version,
                "own": row.organisation_id is not None,
                "attesters": definition.attester_roles,
                "issued": counts.get(definition.slug, 0),
            }
            for definition, row in offered
        ]
        return await page(request, "admin/badges.html", {"organisation": organisation, "badges": rows})

    @get("/keys", opt=ADMIN)
    async def keys(self, request: Request[Any, Any, Any], services: Svc, organisation: Org) -> Response[str]:
        return await page(request, "admin/keys.html", _keys_context(services, organisation))

    @post("/keys/rotate", opt=ADMIN)
    async def rotate(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> Response[Any]:
        """Two steps: without ``confirm=yes`` the page asks first (and says what rotation does)."""
        form = await read_form(request)
        t = translator(request)
        algorithm = form.text("algorithm")
        context = _keys_context(services, organisation)
        if algorithm not in ALGORITHMS:
            context["error"] = t.gettext("Choose a key type from the list.")
            return await page(request, "admin/keys.html", context, status=422)
        if form.text("confirm") != "yes":
            context["confirm"] = algorithm
            return await page(request, "admin/keys.html", context)
        try:
            record = await rotate_key(
                db, services, organisation=organisation, algorithm=algorithm, actor=principal, now=now
            )
        except IssuerError as err:
            context["error"] = err.detail
            return await page(request, "admin/keys.html", context, status=_status(err))
        return redirect(
            f"/orgs/{organisation.slug}/admin/keys",
            flash=t.gettext("A new %(algorithm)s key signs from now on: %(key)s.")
            % {"algorithm": algorithm, "key": record.key_id},
        )

    @get("/status-lists", opt=ADMIN)
    async def status_lists(self, request: Request[Any, Any, Any], db: Db, organisation: Org) -> Response[str]:
        return await page(request, "admin/status_lists.html", await _status_lists_context(db, organisation))

    @post("/status-lists/suspension", opt=ADMIN)
    async def suspension(
        self,
        request: Request[Any, Any, Any],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> Response[Any]:
        """Whether badges issued from now on carry a suspension entry (``org.settings``)."""
        form = await read_form(request)
        t = translator(request)
        choice = form.text("suspension")
        if choice not in ("on", "off"):
            context = await _status_lists_context(db, organisation)
            context["error"] = t.gettext("Choose on or off.")
            return await page(request, "admin/status_lists.html", context, status=422)
        await change_settings(
            db, services, organisation=organisation, actor=principal, now=now, suspension=choice == "on"
        )
        done = (
            t.gettext("Suspension is on for badges issued from now on.")
            if choice == "on"
            else t.gettext("Suspension is off for badges issued from now on.")
        )
        return redirect(f"/orgs/{organisation.slug}/admin/status-lists", flash=done)

    # --- audit log ---------------------------------------------------------------------------------

    @get("/audit", opt=ADMIN)
    async def audit(self, request: Request[Any, Any, Any], db: Db, organisation: Org) -> Response[str]:
        """Filters: action, actor (e-mail of a member), subject, from and to (days, inclusive); pages
        with ``before`` (the last event id seen)."""
        t = translator(request)
        query = request.query_params
        filters = {
            name: (query.get(name) or "").strip()[:80]
            for name in ("action", "actor", "subject", "since", "until")
        }
        before_text = (query.get("before") or "").strip()
        members = await list_members(db, organisation.id, limit=MEMBERS_PAGE)
        names = {person.id: person.display_name for person, _ in members}
        error = None
        actor_id: uuid.UUID | None = None
        since = until = None
        if filters["actor"]:
            actor_id = next(
                (person.id for person, _ in members if person.email == filters["actor"].lower()), None
            )
            if actor_id is None:
                error = t.gettext("No member of this organisation has the e-mail %(email)s.") % {
                    "email": filters["actor"]
                }
        try:
            since_day, until_day = _parse_day(filters["since"]), _parse_day(filters["until"])
        except ValueError:
            error = t.gettext("Give dates as year-month-day, for example 2026-12-01.")
            since_day = until_day = None
        if since_day is not None:
            since = datetime.combine(since_day, time.min, tzinfo=UTC)
        if until_day is not None:
            until = datetime.combine(until_day + timedelta(days=1), time.min, tzinfo=UTC)
        before = int(before_text) if before_text.isdigit() and int(before_text) > 0 else None
        events = []
        if error is None:
            events = await query_events(
                db,
                organisation_id=organisation.id,
                action=filters["action"] or None,
                actor_id=actor_id,
                subject_id=filters["subject"] or None,
                since=since,
                until=until,
                before_id=before,
                limit=AUDIT_PAGE,
            )
        next_before = events[-1].id if len(events) == AUDIT_PAGE else None
        kept = urlencode({name: value for name, value in filters.items() if value})
        context = {
            "organisation": organisation,
            "events": events,
            "names": names,
            "filters": filters,
            "error": error,
            "next_before": next_before,
            "kept": kept,
        }
        return await page(request, "admin/audit.html", context, status=422 if error else 200)


async def _members_context(db: Db, organisation: Org) -> dict[str, Any]:
    members = await list_members(db, organisation.id, limit=MEMBERS_PAGE)
    return {
        "organisation": organisation,
        "members": members,
        "roles": MEMBER_ROLES,
        "error": None,
        "typed": {"email": "", "display_name": "", "role": "student"},
    }


async def _invitations_context(db: Db, services: Svc, organisation: Org) -> dict[str, Any]:
    offered = await offered_badges(db, services.catalog, organisation_id=organisation.id)
    attestable = [(d.slug, d.name) for d, _ in offered if "supervisor" in d.attester_roles]
    members = await list_members(db, organisation.id, limit=MEMBERS_PAGE)
    students = [(str(person.id), person.display_name) for person, m in members if _is_student(m)]
    return {
        "organisation": organisation,
        "invitations": await list_invitations(db, organisation.id, limit=100),
        "badges": attestable,
        "students": students,
        "max_days": MAX_DAYS,
        "error": None,
        "created": None,
        "typed": {"email": "", "display_name": "", "badges": [], "students": [], "days": "14"},
    }


def _is_student(membership: Membership) -> bool:
    return membership.role == "student"


async def _status_lists_context(db: Db, organisation: Org) -> dict[str, Any]:
    lists = await list_status_lists(db, organisation.id)
    return {"organisation": organisation, "lists": lists, "error": None}


def _keys_context(services: Svc, organisation: Org) -> dict[str, Any]:
    records = key_records(services, organisation.slug)
    return {
        "organisation": organisation,
        "keys": records,
        "rotatable": sorted({r.algorithm for r in records if r.status == "active"}),
        "confirm": None,
        "error": None,
    }
