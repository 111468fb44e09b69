"""Share links: a learner shows one badge to one audience through a link of its own (``/s/<token>``).

The learner names the audience ("Boise State admissions"), chooses until when the link works (a date at
most a year ahead, or until they withdraw it), whether the page shows the evidence signed into the badge,
and the name it shows. The token is random and shown once; only its SHA-256 is stored (like API tokens),
so a copy of the database opens no link. Each view of the page is logged with its time only: no address,
no browser, nothing about the visitor.

A link expiring and a badge expiring are different things: an expired or withdrawn link stops showing the
page (410), while the badge itself stays valid in the learner's hands; a badge past its ``validUntil``
still has a working link, whose page then says the badge has expired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from sqlalchemy import func
from sqlmodel import col, select

from issuer.accounts import new_token, token_digest
from issuer.db.models import BadgeVersion, Credential, Organisation, ShareLink, ShareOpening
from issuer.errors import InvalidRequestError, InvalidStateError, NotFoundError, ShareLinkGoneError
from issuer.services.audit import record_event
from issuer.services.catalogue import definition_of
from issuer.services.record import credential_document, read_record, valid_until

if TYPE_CHECKING:
    import uuid

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.definitions import BadgeDefinition
    from issuer.roles import Principal

__all__ = [
    "MAX_SHARE_DAYS",
    "MAX_TEXT_CHARS",
    "SHARE_TOKEN_PREFIX",
    "BadgeState",
    "ShareLinkView",
    "SharedBadge",
    "badge_state",
    "create_share_link",
    "link_expiry",
    "open_share_link",
    "share_links_of",
    "withdraw_share_link",
]

SHARE_TOKEN_PREFIX: Final = "mbs"  # noqa: S105 - a prefix, like mbt_ of API tokens
MAX_SHARE_DAYS: Final = 365
MAX_TEXT_CHARS: Final = 200
OPENINGS_SHOWN: Final = 20

BadgeState = Literal["active", "revoked", "suspended", "expired"]


@dataclass(frozen=True)
class ShareLinkView:
    """A link as its owner sees it: whether it still works, and when it was opened (newest first)."""

    link: ShareLink
    openings: int
    recent: list[datetime] = field(default_factory=list)
    working: bool = True


@dataclass(frozen=True)
class SharedBadge:
    """What the public page of a share link shows."""

    link: ShareLink
    credential: Credential
    definition: BadgeDefinition
    issuer: Organisation
    state: BadgeState
    document: dict[str, Any]

    @property
    def valid_until(self) -> datetime | None:
        """When the badge itself expires (its signed ``validUntil``); None: it does not."""
        return valid_until(self.credential)

    @property
    def attester_name(self) -> str | None:
        source = self.document.get("credentialSubject", {}).get("source")
        name = source.get("name") if isinstance(source, dict) else None
        return name if isinstance(name, str) else None

    @property
    def narrative(self) -> str:
        """The learner's narrative signed into the badge ("" if none)."""
        text = self.document.get("credentialSubject", {}).get("narrative")
        return text if isinstance(text, str) else ""

    @property
    def evidence(self) -> list[dict[str, str]]:
        """The evidence entries signed into the badge: name, narrative and link (each may be "")."""
        items = self.document.get("evidence") or []
        shown = []
        for item in items:
            if not isinstance(item, dict):
                continue
            url = str(item.get("id") or "")
            # Issuance accepts only http(s) evidence links; checked again before it becomes an href.
            if not url.startswith(("https://", "http://")):
                url = ""
            shown.append(
                {
                    "name": str(item.get("name") or ""),
                    "narrative": str(item.get("narrative") or ""),
                    "url": url,
                }
            )
        return shown


def badge_state(credential: Credential, now: datetime) -> BadgeState:
    """The badge's state now: revoked or suspended (from the database), else expired past its ``validUntil``."""
    if credential.state in ("revoked", "suspended"):
        return credential.state  # type: ignore[return-value]
    until = valid_until(credential)
    return "expired" if until is not None and until <= now else "active"


def _text(value: str, name: str) -> str:
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > MAX_TEXT_CHARS:
        raise InvalidRequestError(f"{name}: 1 to {MAX_TEXT_CHARS} characters")
    return cleaned


def link_expiry(expires_on: date | None, *, now: datetime) -> datetime | None:
    """The end (UTC) of the chosen day, at most :data:`MAX_SHARE_DAYS` ahead; None: until withdrawn.

    Raises:
        InvalidRequestError: a day in the past, today's date is allowed (the link works until midnight UTC).
    """
    if expires_on is None:
        return None
    today = now.astimezone(UTC).date()
    if expires_on < today:
        raise InvalidRequestError("expires: choose today or a later day")
    if expires_on > today + timedelta(days=MAX_SHARE_DAYS):
        raise InvalidRequestError(f"expires: at most {MAX_SHARE_DAYS} days from today")
    return datetime.combine(expires_on + timedelta(days=1), time(0), tzinfo=UTC)


async def create_share_link(
    session: AsyncSession,
    principal: Principal,
    *,
    credential_id: str,
    audience: str,
    display_name: str,
    expires_on: date | None,
    show_evidence: bool,
    now: datetime,
) -> tuple[str, ShareLink]:
    """A new link to one of the principal's own badges; returns the token (shown once) and the row; commits.

    Raises:
        NotFoundError: not a badge of the principal's own record.
        InvalidRequestError: an empty or too long audience or name, an expiry in the past or over a year.
    """
    if principal.person_id is None:
        raise NotFoundError("no such badge in your record")
    [entry] = await read_record(session, principal, principal.person_id, now=now, credential_id=credential_id)
    link = ShareLink(
        person_id=principal.person_id,
        credential_id=entry.credential.id,
        token_hash="",
        audience=_text(audience, "audience"),
        display_name=_text(display_name, "name"),
        show_evidence=show_evidence,
        created_at=now,
        expires_at=link_expiry(expires_on, now=now),
    )
    token = new_token(SHARE_TOKEN_PREFIX)
    link.token_hash = token_digest(token)
    session.add(link)
    record_event(
        session,
        actor=principal,
        action="share.create",
        subject_type="share_link",
        subject_id=link.id,
        organisation_id=entry.credential.organisation_id,
        detail={
            "credential": entry.credential.id,
            "until": link.expires_at.isoformat() if link.expires_at else None,
        },
        at=now,
    )
    await session.commit()
    return token, link


def _working(link: ShareLink, now: datetime) -> bool:
    return link.withdrawn_at is None and (link.expires_at is None or link.expires_at > now)


async def share_links_of(
    session: AsyncSession, principal: Principal, credential_id: str, *, now: datetime
) -> list[ShareLinkView]:
    """The principal's links to one of their badges, newest first, with their openings."""
    if principal.person_id is None:
        return []
    links = list(
        (
            await session.execute(
                select(ShareLink)
                .where(ShareLink.person_id == principal.person_id, ShareLink.credential_id == credential_id)
                .order_by(col(ShareLink.created_at).desc(), col(ShareLink.id))
            )
        ).scalars()
    )
    if not links:
        return []
    ids = [link.id for link in links]
    counts = dict(
        (
            await session.execute(
                select(ShareOpening.share_link_id, func.count())
                .where(col(ShareOpening.share_link_id).in_(ids))
                .group_by(col(ShareOpening.share_link_id))
            )
        ).all()
    )
    views = []
    for link in links:
        recent = list(
            (
                await session.execute(
                    select(ShareOpening.opened_at)
                    .where(ShareOpening.share_link_id == link.id)
                    .order_by(col(ShareOpening.opened_at).desc())
                    .limit(OPENINGS_SHOWN)
                )
            ).scalars()
        )
        views.append(ShareLinkView(link, int(counts.get(link.id, 0)), recent, _working(link, now)))
    return views


async def withdraw_share_link(
    session: AsyncSession, principal: Principal, link_id: uuid.UUID, *, now: datetime
) -> ShareLink:
    """The owner ends a link now; commits.

    Raises:
        NotFoundError: no such link of the principal's (another learner's link is "not found").
        InvalidStateError: withdrawn already.
    """
    link = await session.get(ShareLink, link_id)
    if link is None or principal.person_id is None or link.person_id != principal.person_id:
        raise NotFoundError("no such share link of yours")
    if link.withdrawn_at is not None:
        raise InvalidStateError("this share link was withdrawn already")
    link.withdrawn_at = now
    credential = await session.get(Credential, link.credential_id)
    record_event(
        session,
        actor=principal,
        action="share.withdraw",
        subject_type="share_link",
        subject_id=link.id,
        organisation_id=credential.organisation_id if credential else None,
        detail={"credential": link.credential_id},
        at=now,
    )
    await session.commit()
    return link


async def open_share_link(
    session: AsyncSession, token: str, *, now: datetime, count: bool = False
) -> SharedBadge:
    """The badge behind a link, for anyone holding it; with ``count``, the view is logged (time only) and committed.

    Raises:
        NotFoundError: no such link.
        ShareLinkGoneError: withdrawn or expired (the message names neither the learner nor the badge).
    """
    if not token.startswith(SHARE_TOKEN_PREFIX + "_") or len(token) > 100:
        raise NotFoundError("no such share link")
    row = (
        await session.execute(
            select(ShareLink, Credential, BadgeVersion, Organisation)
            .join(Credential, Credential.id == ShareLink.credential_id)  # type: ignore[arg-type]
            .join(BadgeVersion, BadgeVersion.id == Credential.badge_version_id)  # type: ignore[arg-type]
            .join(Organisation, Organisation.id == Credential.organisation_id)  # type: ignore[arg-type]
            .where(ShareLink.token_hash == token_digest(token))
        )
    ).one_or_none()
    if row is None:
        raise NotFoundError("no such share link")
    link, credential, version, organisation = row
    if link.withdrawn_at is not None:
        raise ShareLinkGoneError("the person who shared this badge has withdrawn the link", withdrawn=True)
    if link.expires_at is not None and link.expires_at <= now:
        raise ShareLinkGoneError("this share link has expired", withdrawn=False)
    if count:
        session.add(ShareOpening(share_link_id=link.id, opened_at=now))
        await session.commit()
    return SharedBadge(
        link=link,
        credential=credential,
        definition=definition_of(version),
        issuer=organisation,
        state=badge_state(credential, now),
        document=credential_document(credential),
    )
