"""Revoking, suspending and reinstating an issued badge through its organisation's Bitstring Status Lists.

https://www.w3.org/TR/vc-bitstring-status-list/

One operation is one transaction: the credential's state, the bit in the list of the right purpose and
that list's re-signed credential change together or not at all. Two changes on the same list must not
lose a bit, so the list row is locked (``SELECT … FOR UPDATE`` on PostgreSQL) before its bits are read;
on SQLite the first statement is a write, which takes the database's single writer lock first.

Who may do what (``CHANGE_ROLES``): a teacher may suspend and reinstate (both reversible), only an admin
revokes (final). Only a badge signed with a suspension entry (``Credential.suspendable``) can be suspended. The reason stays on the credential row, visible to the organisation's staff only: it
is never in a status list or a credential, and the audit log records only whether one was given.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

from sqlalchemy import update
from sqlmodel import col, func, select

from issuer.db.models import CREDENTIAL_STATES, Credential, Person, StatusList
from issuer.errors import ForbiddenError, InvalidRequestError, InvalidStateError, NotFoundError
from issuer.services.audit import record_event
from issuer.services.search import contains_pattern
from issuer.services.status_lists import sign_status_list
from verifier.status import BitstringStatusList

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.db import Organisation
    from issuer.roles import Principal
    from issuer.services.context import Services

__all__ = [
    "CHANGE_ROLES",
    "MAX_REASON",
    "StatusChange",
    "change_status",
    "get_credential",
    "list_credentials",
    "write_status_bits",
]

StatusChange = Literal["revoke", "suspend", "reinstate"]

CHANGE_ROLES: Final[Mapping[str, frozenset[str]]] = {
    "revoke": frozenset({"admin"}),
    "suspend": frozenset({"admin", "teacher"}),
    "reinstate": frozenset({"admin", "teacher"}),
}
"""The organisation roles allowed each change (the web routes declare the same)."""

MAX_REASON: Final = 1000

# change -> (states it applies to, state it leads to)
_TRANSITIONS: Final[Mapping[str, tuple[frozenset[str], str]]] = {
    "revoke": (frozenset({"active", "suspended"}), "revoked"),
    "suspend": (frozenset({"active"}), "suspended"),
    "reinstate": (frozenset({"suspended"}), "active"),
}

# state -> the bits it sets, per purpose: a revoked badge shows only REVOKED (its suspension bit is cleared).
_BITS: Final[Mapping[str, Mapping[str, int]]] = {
    "active": {"revocation": 0, "suspension": 0},
    "suspended": {"revocation": 0, "suspension": 1},
    "revoked": {"revocation": 1, "suspension": 0},
}


def credential_key(raw: str) -> str:
    """A credential id as stored (``urn:uuid:…``); the bare UUID is accepted too."""
    raw = raw.strip()
    return raw if raw.startswith("urn:") else f"urn:uuid:{raw}"


async def get_credential(session: AsyncSession, organisation: Organisation, credential_id: str) -> Credential:
    """One of the organisation's credentials.

    Raises:
        NotFoundError: no such credential in this organisation (another organisation's is not found either).
    """
    key = credential_key(credential_id)
    result = await session.execute(
        select(Credential).where(Credential.id == key, Credential.organisation_id == organisation.id)
    )
    credential = result.scalar_one_or_none()
    if credential is None:
        raise NotFoundError(f"{organisation.slug} has no credential {key[:80]!r}")
    return credential


async def list_credentials(
    session: AsyncSession,
    organisation: Organisation,
    *,
    badge: str | None = None,
    student: uuid.UUID | None = None,
    state: str | None = None,
    student_text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Credential], int]:
    """The organisation's credentials, newest first, filtered; returns the page and the total count.

    ``student_text`` keeps the credentials of learners whose name or e-mail address contains it (any case).

    Raises:
        InvalidRequestError: an unknown state, or a limit or offset out of range.
    """
    if state is not None and state not in CREDENTIAL_STATES:
        raise InvalidRequestError(f"state must be one of {', '.join(CREDENTIAL_STATES)}, not {state[:40]!r}")
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidRequestError("limit must be 1 to 500 and offset 0 or more")
    conditions: list[Any] = [Credential.organisation_id == organisation.id]
    if badge is not None:
        conditions.append(Credential.badge_slug == badge)
    if student is not None:
        conditions.append(Credential.recipient_id == student)
    if state is not None:
        conditions.append(Credential.state == state)
    if student_text and student_text.strip():
        pattern = contains_pattern(student_text.strip())
        learners = select(Person.id).where(
            func.lower(col(Person.display_name)).like(pattern, escape="\\")
            | func.lower(col(Person.email)).like(pattern, escape="\\")
        )
        conditions.append(col(Credential.recipient_id).in_(learners))
    total = (
        await session.execute(select(func.count()).select_from(Credential).where(*conditions))
    ).scalar_one()
    page = await session.execute(
        select(Credential)
        .where(*conditions)
        .order_by(Credential.issued_at.desc(), Credential.id)  # type: ignore[attr-defined]
        .limit(limit)
        .offset(offset)
    )
    return list(page.scalars()), int(total)


def _checked_reason(change: StatusChange, reason: str | None) -> str | None:
    reason = reason.strip() if reason else None
    if change != "reinstate" and not reason:
        raise InvalidRequestError(f"give a reason to {change} a badge (kept private, never published)")
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidRequestError(f"the reason is longer than {MAX_REASON} characters")
    return reason


class HoldsStatusSlot(Protocol):
    """Anything signed with a status entry: a badge, an endorsement, a transcript."""

    list_number: int
    status_index: int


async def write_status_bits(
    session: AsyncSession,
    services: Services,
    organisation: Organisation,
    credential: HoldsStatusSlot,
    *,
    before: str,
    after: str,
    now: datetime,
) -> None:
    """Set the bits of a credential's slot for state ``after`` (``active``, ``suspended``, ``revoked``)
    and re-sign each list that changed, in the caller's transaction.

    Raises:
        InvalidStateError: the slot's list pair is missing (corruption).
    """
    changed = {purpose: value for purpose, value in _BITS[after].items() if _BITS[before][purpose] != value}
    # Locked in one order (by purpose), as count_allocation does, so two transactions cannot deadlock.
    rows = (
        await session.execute(
            select(StatusList)
            .where(
                StatusList.organisation_id == organisation.id,
                StatusList.number == credential.list_number,
                StatusList.purpose.in_(sorted(changed)),  # type: ignore[attr-defined]
            )
            .order_by(StatusList.purpose)
            .with_for_update()
            .execution_options(populate_existing=True)  # the bits as committed, not a stale copy
        )
    ).scalars()
    found = 0
    for row in rows:
        found += 1
        bits = BitstringStatusList.from_bytes(row.bits)
        bits.set(credential.status_index, changed[row.purpose])
        row.bits = bits.to_bytes()
        row.credential = await asyncio.to_thread(
            sign_status_list,
            services,
            organisation,
            purpose=row.purpose,
            number=row.number,
            bits=row.bits,
            now=now,
        )
        row.updated_at = now
    if found != len(changed):  # the schema makes lists in pairs: a missing one is corruption
        raise InvalidStateError(f"status list {credential.list_number} of {organisation.slug} is missing")


async def change_status(
    session: AsyncSession,
    services: Services,
    *,
    organisation: Organisation,
    credential_id: str,
    change: StatusChange,
    reason: str | None,
    actor: Principal | None,
    roles: frozenset[str],
    now: datetime,
) -> Credential:
    """Revoke, suspend or reinstate one credential, re-sign its status list(s) and commit.

    A revoked credential releases its award key, so the learner can be awarded the badge again.

    Args:
        roles: the roles the actor holds in the organisation (checked against :data:`CHANGE_ROLES`).

    Raises:
        ForbiddenError: the roles do not allow this change.
        NotFoundError: no such credential in this organisation.
        InvalidStateError: the change does not apply (revoked is final; suspending a suspended badge).
        InvalidRequestError: a revocation or suspension without a reason, or too long a reason.
    """
    if not roles & CHANGE_ROLES[change]:
        raise ForbiddenError(
            f"to {change} a badge needs the role {' or '.join(sorted(CHANGE_ROLES[change]))}"
        )
    reason = _checked_reason(change, reason)
    credential = await get_credential(session, organisation, credential_id)
    allowed_from, after = _TRANSITIONS[change]
    before = credential.state
    if before not in allowed_from:
        final = " (revocation is final)" if before == "revoked" else ""
        raise InvalidStateError(f"cannot {change} a {before} badge{final}")
    if change == "suspend" and not credential.suspendable:
        raise InvalidStateError(
            "this badge carries a revocation entry only (Open Badges 3.0 allows one status entry), so "
            "verifiers cannot see a suspension: revoke it instead, or have an admin turn suspension on "
            "for badges issued from now on"
        )
    # A write conditioned on the state read: a concurrent change of the same credential makes it match
    # nothing (and on SQLite it takes the writer lock before the list's bits are read).
    values: dict[str, object] = {"state": after, "status_reason": reason, "status_changed_at": now}
    if after == "revoked":
        values["award_key"] = None
    result = await session.execute(
        update(Credential)
        .where(Credential.id == credential.id, Credential.state == before)  # type: ignore[arg-type]
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.rollback()
        raise InvalidStateError(f"the badge changed meanwhile: it is no longer {before}")
    await write_status_bits(session, services, organisation, credential, before=before, after=after, now=now)
    record_event(
        session,
        actor=actor,
        action=f"credential.{change}",
        subject_type="credential",
        subject_id=credential.id,
        organisation_id=organisation.id,
        # The reason itself stays on the credential row: it can name a learner's conduct.
        detail={
            "from": before,
            "to": after,
            "badge": credential.badge_slug,
            "reasonGiven": reason is not None,
        },
        at=now,
    )
    await session.commit()
    await session.refresh(credential)
    return credential
