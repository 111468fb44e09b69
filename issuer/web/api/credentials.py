"""An organisation's issued credentials: the register, one credential, revoke, suspend and reinstate."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import Field

from issuer.db.models import Credential
from issuer.services.audit import record_event
from issuer.services.revocation import (
    CHANGE_ROLES,
    MAX_REASON,
    StatusChange,
    change_status,
    get_credential,
    list_credentials,
)
from issuer.web.auth import org_roles
from issuer.web.deps import Db, HeldRoles, Now, Org, Svc, User
from issuer.web.schemas import Strict

__all__ = ["CredentialController"]

_PATH = "/{credential_id:str}"


class StatusReason(Strict):
    reason: str = Field(
        min_length=1,
        max_length=MAX_REASON,
        description="Why (kept private: never in the status list, the credential or the audit log).",
    )


class ReinstateReason(Strict):
    reason: str | None = Field(default=None, max_length=MAX_REASON)


def credential_view(credential: Credential, *, full: bool = False) -> dict[str, Any]:
    """The staff view of a credential; ``full`` adds the signed texts."""
    view: dict[str, Any] = {
        "id": credential.id,
        "badge": credential.badge_slug,
        "badgeVersionId": str(credential.badge_version_id),
        "level": credential.level,
        "student": None if credential.recipient_id is None else str(credential.recipient_id),
        "attester": None if credential.attester_id is None else str(credential.attester_id),
        "submission": None if credential.submission_id is None else str(credential.submission_id),
        "formats": [name for name in ("ldp", "jwt") if getattr(credential, name) is not None],
        "state": credential.state,
        "statusReason": credential.status_reason,
        "statusChangedAt": credential.status_changed_at,
        "issuedAt": credential.issued_at,
    }
    if full:
        view["ldp"] = credential.ldp
        view["jwt"] = credential.jwt
    return view


async def _change(
    change: StatusChange,
    *,
    credential_id: str,
    reason: str | None,
    db: Db,
    services: Svc,
    principal: User,
    organisation: Org,
    roles: HeldRoles,
    now: Now,
) -> dict[str, Any]:
    credential = await change_status(
        db,
        services,
        organisation=organisation,
        credential_id=credential_id,
        change=change,
        reason=reason,
        actor=principal,
        roles=roles,
        now=now,
    )
    return credential_view(credential)


class CredentialController(Controller):
    path = "/api/orgs/{slug:str}/credentials"
    tags = ["credentials"]  # noqa: RUF012 - litestar's own attribute type

    @get(
        "/",
        opt=org_roles("admin", "teacher", scope="credentials:read"),
        summary="The organisation's issued credentials, newest first",
    )
    async def list_issued(
        self,
        db: Db,
        organisation: Org,
        badge: Annotated[str | None, QueryParameter(max_length=100)] = None,
        student: Annotated[uuid.UUID | None, QueryParameter()] = None,
        # "state" is a name litestar reserves for the app state: the query key is read under another name.
        credential_state: Annotated[str | None, QueryParameter(name="state", max_length=20)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> dict[str, Any]:
        """Filter by badge slug, student (person id) and state (active, suspended, revoked)."""
        items, total = await list_credentials(
            db, organisation, badge=badge, student=student, state=credential_state, limit=limit, offset=offset
        )
        return {
            "items": [credential_view(item) for item in items],
            "total": total,
            "limit": limit,
            "offset": offset,
        }

    @get(
        _PATH,
        opt=org_roles("admin", "teacher", scope="credentials:read"),
        summary="One credential, with its signed texts and private status reason",
    )
    async def read(
        self, credential_id: FromPath[str], db: Db, principal: User, organisation: Org, now: Now
    ) -> dict[str, Any]:
        """Reading a learner's credential is a read of their record: it goes to the audit log."""
        credential = await get_credential(db, organisation, credential_id)
        view = credential_view(credential, full=True)
        record_event(
            db,
            actor=principal,
            action="record.read",
            subject_type="credential",
            subject_id=credential.id,
            organisation_id=organisation.id,
            detail={"student": view["student"], "read": "credential"},
            at=now,
        )
        await db.commit()
        return view

    @post(
        f"{_PATH}/revoke",
        opt=org_roles(*CHANGE_ROLES["revoke"], scope="credentials:status"),
        summary="Revoke a credential (final; admins only)",
        status_code=200,
    )
    async def revoke(
        self,
        credential_id: FromPath[str],
        data: JSONBody[StatusReason],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> dict[str, Any]:
        """Sets its bit in the revocation list and re-signs the list; the award can be given again."""
        return await _change(
            "revoke",
            credential_id=credential_id,
            reason=data.reason,
            db=db,
            services=services,
            principal=principal,
            organisation=organisation,
            roles=roles,
            now=now,
        )

    @post(
        f"{_PATH}/suspend",
        opt=org_roles(*CHANGE_ROLES["suspend"], scope="credentials:status"),
        summary="Suspend a credential (reversible)",
        status_code=200,
    )
    async def suspend(
        self,
        credential_id: FromPath[str],
        data: JSONBody[StatusReason],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> dict[str, Any]:
        """Sets its bit in the suspension list and re-signs the list."""
        return await _change(
            "suspend",
            credential_id=credential_id,
            reason=data.reason,
            db=db,
            services=services,
            principal=principal,
            organisation=organisation,
            roles=roles,
            now=now,
        )

    @post(
        f"{_PATH}/reinstate",
        opt=org_roles(*CHANGE_ROLES["reinstate"], scope="credentials:status"),
        summary="Reinstate a suspended credential",
        status_code=200,
    )
    async def reinstate(
        self,
        credential_id: FromPath[str],
        data: JSONBody[ReinstateReason],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        roles: HeldRoles,
        now: Now,
    ) -> dict[str, Any]:
        """Clears its bit in the suspension list and re-signs the list; a revoked credential stays revoked."""
        return await _change(
            "reinstate",
            credential_id=credential_id,
            reason=data.reason,
            db=db,
            services=services,
            principal=principal,
            organisation=organisation,
            roles=roles,
            now=now,
        )
