"""The audit log: who did what, when. Append-only (the database refuses UPDATE and DELETE)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import select

from issuer.db.models import AuditEvent

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.roles import Principal

__all__ = ["query_events", "record_event"]


def record_event(
    session: AsyncSession,
    *,
    actor: Principal | None,
    action: str,
    subject_type: str,
    subject_id: str | uuid.UUID | None,
    at: datetime,
    organisation_id: uuid.UUID | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an event to the caller's transaction (it is written when the caller commits, or not at all).

    ``detail`` must hold no secret, password, token or evidence content: ids, levels, reasons' presence.
    """
    event = AuditEvent(
        organisation_id=organisation_id,
        actor_id=actor.person_id if actor else None,
        actor_role=actor.role_label if actor else "system",
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        detail=detail or {},
        at=at,
    )
    session.add(event)
    return event


async def query_events(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    action: str | None = None,
    actor_id: uuid.UUID | None = None,
    subject_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """An organisation's events, newest first, filtered; page with ``before_id`` (the last id seen)."""
    statement = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if action is not None:
        statement = statement.where(AuditEvent.action == action)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    if subject_id is not None:
        statement = statement.where(AuditEvent.subject_id == subject_id)
    if since is not None:
        statement = statement.where(AuditEvent.at >= since)
    if until is not None:
        statement = statement.where(AuditEvent.at < until)
    if before_id is not None:
        statement = statement.where(AuditEvent.id < before_id)  # type: ignore[operator]
    statement = statement.order_by(AuditEvent.id.desc()).limit(max(1, min(limit, 1000)))  # type: ignore[union-attr]
    return list((await session.execute(statement)).scalars())
