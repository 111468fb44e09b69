"""An organisation's endorsements of badge definitions (``/api/orgs/{slug}/endorsements``): admins
endorse another organisation's offered badge version, list and withdraw their endorsements."""

from __future__ import annotations

import json
from typing import Annotated, Any

from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import Field

from issuer.services.endorsements import (
    EndorsementEntry,
    create_endorsement,
    list_endorsements,
    withdraw_endorsement,
)
from issuer.transcripts import MAX_COMMENT
from issuer.web.auth import org_roles
from issuer.web.deps import Db, Now, Org, Svc, User
from issuer.web.schemas import Strict

__all__ = ["EndorsementController"]


class EndorsementRequest(Strict):
    issuer: str = Field(max_length=63, description="Slug of the organisation that offers the badge.")
    badge: str = Field(max_length=100, description="The badge's slug.")
    version: int = Field(ge=1, description="The badge definition version endorsed.")
    comment: str = Field(
        max_length=MAX_COMMENT,
        description="What is endorsed, e.g. 'Northwest College accepts this badge at level 3 or above "
        "for MATH 101, 3 credits'.",
    )


def endorsement_view(entry: EndorsementEntry, *, full: bool = True) -> dict[str, Any]:
    endorsement = entry.endorsement
    view: dict[str, Any] = {
        "id": endorsement.id,
        "badge": entry.badge.slug,
        "version": entry.badge.version,
        "issuer": entry.issuer.slug,
        "comment": endorsement.comment,
        "state": endorsement.state,
        "createdAt": endorsement.created_at,
        "withdrawnAt": endorsement.withdrawn_at,
    }
    if full:
        view["credential"] = json.loads(endorsement.ldp)
    return view


class EndorsementController(Controller):
    path = "/api/orgs/{slug:str}/endorsements"
    tags = ["endorsements"]  # noqa: RUF012 - litestar's own attribute type

    @post(
        "/",
        opt=org_roles("admin", scope="org:admin"),
        summary="Endorse a badge definition version offered by an organisation (signed EndorsementCredential)",
        status_code=201,
    )
    async def create(
        self,
        data: JSONBody[EndorsementRequest],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> dict[str, Any]:
        """Credentials of that version issued from now on embed it in ``achievement.endorsement``."""
        entry = await create_endorsement(
            db,
            services,
            endorser=organisation,
            issuer_slug=data.issuer,
            badge_slug=data.badge,
            version=data.version,
            comment=data.comment,
            actor=principal,
            now=now,
        )
        return endorsement_view(entry)

    @get(
        "/",
        opt=org_roles("admin", scope="org:admin"),
        summary="The organisation's endorsements, newest first",
    )
    async def list_own(
        self,
        db: Db,
        organisation: Org,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> dict[str, Any]:
        items, total = await list_endorsements(db, organisation, limit=limit, offset=offset)
        return {
            "items": [endorsement_view(item, full=False) for item in items],
            "total": total,
            "limit": limit,
            "offset": offset,
        }

    @delete(
        "/{endorsement_id:str}",
        opt=org_roles("admin", scope="org:admin"),
        summary="Withdraw an endorsement: no longer embedded, and revoked in its status list",
        status_code=200,
    )
    async def withdraw(
        self,
        endorsement_id: FromPath[str],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
    ) -> dict[str, Any]:
        row = await withdraw_endorsement(
            db, services, endorser=organisation, endorsement_id=endorsement_id, actor=principal, now=now
        )
        return {"id": row.id, "state": row.state, "withdrawnAt": row.withdrawn_at}
