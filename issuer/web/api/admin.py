"""Running an organisation: members, guardians, invitations, signing keys, issuing settings; and the
public side of invitation links (show, accept)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import Field

from issuer.db.models import Invitation, Membership, Organisation, Person
from issuer.services.invitations import (
    MAX_DAYS,
    Accepted,
    GrantView,
    accept_invitation,
    create_invitation,
    list_invitations,
    show_invitation,
    withdraw_invitation,
)
from issuer.services.members import add_guardian, enrol_member, remove_member
from issuer.services.org_settings import change_settings, key_records, rotate_key
from issuer.services.people import SESSION_TTL, list_members
from issuer.web.auth import SESSION_COOKIE, org_roles, public, sign_in_rate_limit
from issuer.web.deps import Db, HeldRoles, Now, Org, Svc, User
from issuer.web.schemas import Strict
from keys.store import KeyRecord

__all__ = ["InvitationController", "OrgAdminController", "grant_view"]

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="At most this many (1-500).")]
Offset = Annotated[int, QueryParameter(ge=0, description="Skip this many.")]


class NewMember(Strict):
    email: str = Field(max_length=254)
    display_name: str = Field(alias="displayName", min_length=1, max_length=200)
    role: Literal["admin", "teacher", "supervisor", "registrar", "student"]
    password: str | None = Field(default=None, max_length=1000, description="Only for a new account.")
    is_minor: bool = Field(default=False, alias="isMinor", description="Only for a new account.")


class NewGuardian(Strict):
    email: str = Field(max_length=254)
    display_name: str = Field(alias="displayName", min_length=1, max_length=200)
    password: str | None = Field(default=None, max_length=1000, description="Only for a new account.")


class NewInvitation(Strict):
    email: str = Field(max_length=254)
    display_name: str = Field(alias="displayName", min_length=1, max_length=200)
    role: Literal["supervisor", "teacher"] = "supervisor"
    badges: list[str] = Field(default_factory=list, max_length=50)
    students: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    expires_in_days: int = Field(default=14, alias="expiresInDays", ge=1, le=MAX_DAYS)


class Rotation(Strict):
    algorithm: Literal["EdDSA", "RS256", "ES256"]


class OrgSettings(Strict):
    proof_formats: Literal["ldp", "jwt", "both"] | None = Field(default=None, alias="proofFormats")
    jwt_algorithm: Literal["EdDSA", "RS256", "ES256"] | None = Field(default=None, alias="jwtAlgorithm")
    suspension: bool | None = None


def _member_view(person: Person, membership: Membership) -> dict[str, Any]:
    return {
        "membershipId": str(membership.id),
        "personId": str(person.id),
        "email": person.email,
        "displayName": person.display_name,
        "role": membership.role,
        "isMinor": person.is_minor,
        "since": membership.created_at,
    }


def _invitation_view(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": str(invitation.id),
        "email": invitation.email,
        "displayName": invitation.display_name,
        "role": invitation.role,
        "badges": invitation.badge_slugs,
        "students": invitation.student_ids,
        "createdAt": invitation.created_at,
        "expiresAt": invitation.expires_at,
        "acceptedAt": invitation.accepted_at,
        "withdrawnAt": invitation.withdrawn_at,
    }


def _key_view(record: KeyRecord) -> dict[str, Any]:
    # The public facts only; a revocation reason stays in the store.
    return {
        "keyId": record.key_id,
        "algorithm": record.algorithm,
        "status": record.status,
        "createdAt": record.created,
        "retiredAt": record.retired_at,
        "revokedAt": record.revoked_at,
        "publicJwk": dict(record.public_jwk),
    }


def _settings_view(organisation: Organisation) -> dict[str, Any]:
    return {
        "proofFormats": organisation.proof_formats,
        "jwtAlgorithm": organisation.jwt_algorithm,
        "suspension": organisation.suspension,
    }


def grant_view(grant: GrantView) -> dict[str, Any]:
    """A supervisor's grant as the API shows it."""
    return {
        "organisation": grant.organisation,
        "organisationName": grant.organisation_name,
        "badge": grant.badge,
        "badgeName": grant.badge_name,
        "student": {"id": str(grant.student_id), "displayName": grant.student_name},
    }


class OrgAdminController(Controller):
    path = "/api/orgs/{slug:str}"
    tags = ["organisation admin"]  # noqa: RUF012 - litestar's own attribute type

    @get("/members", opt=org_roles("admin", scope="org:admin"), summary="Everyone with a role here")
    async def members(
        self, db: Db, organisation: Org, limit: Limit = 100, offset: Offset = 0
    ) -> list[dict[str, Any]]:
        """By name; one page (``limit``, ``offset``)."""
        return [
            _member_view(p, m) for p, m in await list_members(db, organisation.id, limit=limit, offset=offset)
        ]

    @post(
        "/members",
        opt=org_roles("admin", "teacher", scope="org:admin"),
        summary="Give someone a role (teachers: students only)",
        status_code=201,
    )
    async def add_member(
        self,
        data: JSONBody[NewMember],
        db: Db,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> dict[str, Any]:
        """Creates the account when the e-mail is new (with the password, if given); an existing
        account keeps its password and name. A password set here signs in to this organisation only."""
        person, membership = await enrol_member(
            db,
            organisation=organisation,
            email=data.email,
            display_name=data.display_name,
            role=data.role,
            password=data.password,
            is_minor=data.is_minor,
            actor=principal,
            actor_roles=roles,
            now=now,
        )
        return _member_view(person, membership)

    @delete(
        "/members/{membership_id:uuid}",
        opt=org_roles("admin", scope="org:admin"),
        summary="Take a role away (never the last admin)",
        status_code=204,
    )
    async def remove_member(
        self, membership_id: FromPath[uuid.UUID], db: Db, principal: User, organisation: Org, now: Now
    ) -> None:
        await remove_member(
            db, organisation=organisation, membership_id=membership_id, actor=principal, now=now
        )

    @post(
        "/students/{person_id:uuid}/guardians",
        opt=org_roles("admin", scope="org:admin"),
        summary="Add a parent or guardian of a minor student",
        status_code=201,
    )
    async def add_guardian(
        self,
        person_id: FromPath[uuid.UUID],
        data: JSONBody[NewGuardian],
        db: Db,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> dict[str, Any]:
        guardian, guardianship = await add_guardian(
            db,
            organisation=organisation,
            student_id=person_id,
            email=data.email,
            display_name=data.display_name,
            password=data.password,
            actor=principal,
            now=now,
        )
        return {
            "id": str(guardianship.id),
            "guardian": {
                "id": str(guardian.id),
                "email": guardian.email,
                "displayName": guardian.display_name,
            },
            "student": str(person_id),
        }

    @get(
        "/invitations",
        opt=org_roles("admin", "teacher", scope="org:admin"),
        summary="The organisation's invitations (never their links)",
    )
    async def invitations(
        self, db: Db, organisation: Org, limit: Limit = 100, offset: Offset = 0
    ) -> list[dict[str, Any]]:
        """Newest first; one page (``limit``, ``offset``)."""
        return [
            _invitation_view(item)
            for item in await list_invitations(db, organisation.id, limit=limit, offset=offset)
        ]

    @post(
        "/invitations",
        opt=org_roles("admin", "teacher", scope="org:admin"),
        summary="Invite a supervisor (or, admins, a teacher) by a link shown once",
        status_code=201,
    )
    async def invite(
        self,
        data: JSONBody[NewInvitation],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> dict[str, Any]:
        """A supervisor may then attest each badge listed for each student listed (badges must allow
        supervisor attestation; students must be students here)."""
        token, invitation = await create_invitation(
            db,
            services.catalog,
            organisation=organisation,
            email=data.email,
            display_name=data.display_name,
            role=data.role,
            badges=data.badges,
            students=data.students,
            expires_in_days=data.expires_in_days,
            actor=principal,
            actor_roles=roles,
            now=now,
        )
        return {**_invitation_view(invitation), "link": f"{services.settings.base_url}/invitations/{token}"}

    @delete(
        "/invitations/{invitation_id:uuid}",
        opt=org_roles("admin", "teacher", scope="org:admin"),
        summary="Withdraw an invitation (and the grants it gave)",
        status_code=204,
    )
    async def withdraw(
        self,
        invitation_id: FromPath[uuid.UUID],
        db: Db,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> None:
        """Teachers withdraw the invitations they sent; admins any."""
        await withdraw_invitation(
            db,
            organisation=organisation,
            invitation_id=invitation_id,
            actor=principal,
            actor_roles=roles,
            now=now,
        )

    @get("/keys", opt=org_roles("admin", scope="org:admin"), summary="The organisation's keys (public facts)")
    async def keys(self, services: Svc, organisation: Org) -> list[dict[str, Any]]:
        return [_key_view(record) for record in key_records(services, organisation.slug)]

    @post(
        "/keys/rotate",
        opt=org_roles("admin", scope="org:admin"),
        summary="Rotate a signing key (the old one stays published)",
        status_code=201,
    )
    async def rotate(
        self, data: JSONBody[Rotation], db: Db, services: Svc, principal: User, organisation: Org, now: Now
    ) -> dict[str, Any]:
        """New badges are signed with the new key; earlier ones keep verifying with the retired key."""
        record = await rotate_key(
            db, services, organisation=organisation, algorithm=data.algorithm, actor=principal, now=now
        )
        return _key_view(record)

    @get("/settings", opt=org_roles("admin", scope="org:admin"), summary="What an approval signs")
    async def settings(self, organisation: Org) -> dict[str, Any]:
        return _settings_view(organisation)

    @patch("/settings", opt=org_roles("admin", scope="org:admin"), summary="Change what an approval signs")
    async def change_settings(
        self, data: JSONBody[OrgSettings], db: Db, services: Svc, principal: User, organisation: Org, now: Now
    ) -> dict[str, Any]:
        """``proofFormats``: ldp, jwt or both; ``jwtAlgorithm``: the key that signs VC-JWTs;
        ``suspension``: new badges also carry a suspension entry (a VC 2.0 array of two entries, which
        the Open Badges 3.0 schema refuses; off by default)."""
        row = await change_settings(
            db,
            services,
            organisation=organisation,
            proof_formats=data.proof_formats,
            jwt_algorithm=data.jwt_algorithm,
            suspension=data.suspension,
            actor=principal,
            now=now,
        )
        return _settings_view(row)


def _accepted_view(accepted: Accepted) -> dict[str, Any]:
    return {
        "person": {
            "id": str(accepted.person.id),
            "email": accepted.person.email,
            "displayName": accepted.person.display_name,
        },
        "organisation": {"slug": accepted.organisation.slug, "name": accepted.organisation.name},
        "role": accepted.role,
        "grants": [grant_view(grant) for grant in accepted.grants],
        "csrfToken": accepted.web_session.csrf_token,
        # The link's session acts in this organisation only; other roles need the person's own password.
        "signIn": "session",
        "sessionOrganisation": accepted.organisation.slug,
    }


class InvitationController(Controller):
    """``/api/invitations/{token}``: the link's token is the credential, so these routes are public."""

    path = "/api/invitations/{token:str}"
    tags = ["invitations"]  # noqa: RUF012 - litestar's own attribute type

    @get("/", opt=public(), summary="What an invitation offers (before accepting)")
    async def show(self, token: FromPath[str], db: Db, services: Svc, now: Now) -> dict[str, Any]:
        """Students appear by first name only: the link may be forwarded."""
        view = await show_invitation(db, services.catalog, token, now=now)
        return {
            "organisation": {"slug": view.organisation, "name": view.organisation_name},
            "role": view.role,
            "displayName": view.display_name,
            "badges": [{"slug": slug, "name": name} for slug, name in view.badges],
            "students": view.students,
            "expiresAt": view.expires_at,
            "accepted": view.accepted,
        }

    @post(
        "/accept",
        opt=public(),
        summary="Accept an invitation and sign in (to this organisation only)",
        status_code=200,
        middleware=[sign_in_rate_limit("invitation_rate")],
    )
    async def accept(self, token: FromPath[str], db: Db, services: Svc, now: Now) -> Response[dict[str, Any]]:
        """Creates the account if new (no password), the role and the grants, and opens a session that
        acts in the inviting organisation only, for new and existing accounts alike (the link was seen
        by that organisation's staff); opening the link again before it expires signs in again.
        Limited per client address a minute (429)."""
        accepted = await accept_invitation(db, services.catalog, token, now=now)
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=accepted.token,
            httponly=True,
            secure=services.settings.cookie_secure,
            samesite="lax",
            max_age=int(SESSION_TTL.total_seconds()),
            path="/",
        )
        return Response(_accepted_view(accepted), status_code=200, cookies=[cookie])
