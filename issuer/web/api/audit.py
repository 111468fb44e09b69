"""The audit log of an organisation, for its admins: newest first, filtered, paged with ``before``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import QueryParameter

from issuer.db.models import AuditEvent, as_utc
from issuer.services.audit import query_events
from issuer.web.auth import org_roles
from issuer.web.deps import Db, Org

__all__ = ["AuditController"]


def _event_view(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at,
        "action": event.action,
        "actor": None if event.actor_id is None else str(event.actor_id),
        "actorRole": event.actor_role,
        "subjectType": event.subject_type,
        "subject": event.subject_id,
        "detail": event.detail,
    }


class AuditController(Controller):
    path = "/api/orgs/{slug:str}/audit"
    tags = ["audit"]  # noqa: RUF012 - litestar's own attribute type

    @get("/", opt=org_roles("admin", scope="audit:read"), summary="Who did what, when (newest first)")
    async def events(
        self,
        db: Db,
        organisation: Org,
        action: Annotated[str | None, QueryParameter(max_length=60)] = None,
        actor: Annotated[uuid.UUID | None, QueryParameter()] = None,
        subject: Annotated[str | None, QueryParameter(max_length=80)] = None,
        since: Annotated[datetime | None, QueryParameter(description="From this time (inclusive).")] = None,
        until: Annotated[datetime | None, QueryParameter(description="Before this time.")] = None,
        before: Annotated[
            int | None, QueryParameter(ge=1, description="The last id of the previous page.")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        """``next`` is the ``before`` of the next page (null on the last one)."""
        items = await query_events(
            db,
            organisation_id=organisation.id,
            action=action,
            actor_id=actor,
            subject_id=subject,
            since=None if since is None else as_utc(since),
            until=None if until is None else as_utc(until),
            before_id=before,
            limit=limit,
        )
        return {
            "items": [_event_view(item) for item in items],
            "next": items[-1].id if len(items) == limit else None,
        }
