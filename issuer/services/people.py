"""People, their roles, browser sessions and API tokens.

Org-restricted sign-ins (docs/service.md "Who may do what"): nobody proves they own an e-mail address
here, so a credential that one organisation's staff could know (a password they set, an invitation link
they were shown) opens a session limited to that organisation, like an API token limited to it.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from issuer.accounts import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    new_token,
    password_needs_rehash,
    token_digest,
    verify_password,
)
from issuer.db.models import ApiToken, Membership, Organisation, Person, WebSession, as_utc
from issuer.errors import (
    AuthenticationRequiredError,
    ForbiddenError,
    InvalidRequestError,
    InvalidStateError,
    NotFoundError,
)
from issuer.roles import ROLES, SCOPES, Principal
from issuer.services.audit import record_event

if TYPE_CHECKING:
    import uuid
    from collections.abc import Iterable, Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "SESSION_TTL",
    "add_member",
    "check_password_rules",
    "create_api_token",
    "display_names",
    "ensure_person",
    "find_person",
    "list_api_tokens",
    "list_members",
    "login",
    "logout",
    "normalize_email",
    "open_session_for",
    "principal_for",
    "resolve_api_token",
    "resolve_session",
    "revoke_api_token",
    "session_only",
]

SESSION_TTL: Final = timedelta(hours=12)
API_TOKEN_PREFIX: Final = "mbt"  # noqa: S105 - a prefix, not a secret
SESSION_PREFIX: Final = "mbs"
_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_PAGE: Final = 500


def normalize_email(email: str) -> str:
    """The e-mail address as stored: trimmed, lower-case.

    Raises:
        InvalidRequestError: not an e-mail address.
    """
    address = email.strip().lower()
    if len(address) > 254 or not _EMAIL.match(address):
        raise InvalidRequestError(f"email {email[:80]!r} is not an e-mail address")
    return address


def check_password_rules(password: str) -> None:
    """Long enough to resist guessing (NIST SP 800-63B: length, not composition rules).

    Raises:
        InvalidRequestError: shorter than 12 characters, or longer than 1,000.
    """
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > 1000:
        raise InvalidRequestError(f"password: use {MIN_PASSWORD_LENGTH} to 1,000 characters")


async def find_person(session: AsyncSession, email: str) -> Person | None:
    """The person with that e-mail address, if any."""
    result = await session.execute(select(Person).where(Person.email == normalize_email(email)))
    return result.scalar_one_or_none()


async def display_names(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Person id -> display name, for those of ``person_ids`` that exist."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    result = await session.execute(select(Person.id, Person.display_name).where(col(Person.id).in_(wanted)))
    return {row[0]: row[1] for row in result.all()}


async def ensure_person(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    now: datetime,
    password: str | None = None,
    password_org_id: uuid.UUID | None = None,
    is_minor: bool = False,
) -> Person:
    """The person with that e-mail, created (without committing) when new; a given password is set.

    ``password_org_id``: the organisation whose staff chose the password (None: the operator did);
    a sign-in with it is restricted to that organisation.

    Two requests creating the same new e-mail at once: the loser's insert fails on the unique e-mail
    inside a savepoint, and it carries on with the winner's row.
    """
    if not display_name.strip() or len(display_name) > 200:
        raise InvalidRequestError("display_name: must be 1-200 characters")
    if password is not None:
        check_password_rules(password)
    address = normalize_email(email)
    person = await find_person(session, address)
    if person is None:
        person = Person(email=address, display_name=display_name.strip(), is_minor=is_minor, created_at=now)
        try:
            async with session.begin_nested():
                session.add(person)
        except IntegrityError:
            person = await find_person(session, address)
            if person is None:  # the other transaction rolled back after all: let the caller retry
                raise InvalidStateError(f"{address} was being created at the same time: try again") from None
    if password is not None:
        # argon2 is CPU work (~0.2 s): off the event loop.
        person.password_hash = await asyncio.to_thread(hash_password, password)
        person.password_org_id = password_org_id
    await session.flush()
    return person


async def add_member(
    session: AsyncSession,
    *,
    organisation: Organisation,
    email: str,
    display_name: str,
    role: str,
    now: datetime,
    actor: Principal | None,
    password: str | None = None,
    is_minor: bool = False,
) -> tuple[Person, Membership]:
    """Give someone a role in an organisation (creating their account if new) and commit.

    A password given by a person (``actor`` signed in: the members API) restricts sign-ins with it to
    this organisation; one given by the operator (``actor`` None or via ``cli``) does not.

    Raises:
        InvalidRequestError: unknown role, bad e-mail, short password, or the role is held already.
    """
    if role not in ROLES:
        raise InvalidRequestError(f"role {role[:40]!r}: choose one of {', '.join(ROLES)}")
    by_staff = actor is not None and actor.via != "cli"
    person = await ensure_person(
        session,
        email=email,
        display_name=display_name,
        now=now,
        password=password,
        password_org_id=organisation.id if by_staff else None,
        is_minor=is_minor,
    )
    membership = Membership(organisation_id=organisation.id, person_id=person.id, role=role, created_at=now)
    session.add(membership)
    record_event(
        session,
        actor=actor,
        action="member.add",
        subject_type="person",
        subject_id=person.id,
        organisation_id=organisation.id,
        detail={"role": role},
        at=now,
    )
    who, where = person.email, organisation.slug  # a rollback expires the loaded objects
    try:
        await session.commit()
    except IntegrityError as err:
        await session.rollback()
        article = "an" if role[0] in "aeiou" else "a"
        raise InvalidRequestError(f"{who} is already {article} {role} of {where}") from err
    return person, membership


async def list_members(
    session: AsyncSession, organisation_id: uuid.UUID, *, limit: int = 100, offset: int = 0
) -> list[tuple[Person, Membership]]:
    """Everyone with a role in the organisation, by name; one page of at most 500."""
    result = await session.execute(
        select(Person, Membership)
        .join(Membership, Membership.person_id == Person.id)  # type: ignore[arg-type]
        .where(Membership.organisation_id == organisation_id)
        .order_by(Person.display_name, Membership.role, col(Membership.id))
        .limit(max(1, min(limit, MAX_PAGE)))
        .offset(max(0, offset))
    )
    return [(person, membership) for person, membership in result.all()]


async def principal_for(
    session: AsyncSession,
    person: Person,
    *,
    via: Literal["session", "token", "cli"],
    scopes: frozenset[str] | None = None,
    token_organisation: uuid.UUID | None = None,
) -> Principal:
    """The person with their roles, as loaded now (a removed role stops working at the next request)."""
    result = await session.execute(select(Membership).where(Membership.person_id == person.id))
    roles: dict[uuid.UUID, set[str]] = {}
    for membership in result.scalars():
        roles.setdefault(membership.organisation_id, set()).add(membership.role)
    return Principal(
        person_id=person.id,
        display_name=person.display_name,
        roles={org: frozenset(held) for org, held in roles.items()},
        scopes=scopes,
        token_organisation=token_organisation,
        via=via,
    )


async def login(
    session: AsyncSession, *, email: str, password: str, now: datetime
) -> tuple[str, WebSession, Person]:
    """Check an e-mail and password and open a session; returns the cookie token (shown once).

    The session is restricted to ``person.password_org_id`` when an organisation's staff set the password.

    Raises:
        AuthenticationRequiredError: the same message whether the e-mail or the password is wrong.
    """
    try:
        person = await find_person(session, email)
    except InvalidRequestError:
        person = None
    # argon2 is CPU work (~0.2 s): a worker thread keeps the event loop serving other requests.
    matches = await asyncio.to_thread(verify_password, person.password_hash if person else None, password)
    if not matches or person is None:
        raise AuthenticationRequiredError("wrong e-mail or password")
    if person.password_hash and password_needs_rehash(person.password_hash):
        person.password_hash = await asyncio.to_thread(hash_password, password)
    token = new_token(SESSION_PREFIX)
    web_session = WebSession(
        person_id=person.id,
        organisation_id=person.password_org_id,
        token_hash=token_digest(token),
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + SESSION_TTL,
    )
    session.add(web_session)
    record_event(
        session,
        actor=None,
        action="auth.login",
        subject_type="person",
        subject_id=person.id,
        organisation_id=person.password_org_id,
        detail={"via": "password"},
        at=now,
    )
    await session.commit()
    return token, web_session, person


async def open_session_for(
    session: AsyncSession, *, person: Person, now: datetime, organisation_id: uuid.UUID | None = None
) -> tuple[str, WebSession]:
    """A session for someone already identified another way (an invitation link); commits.

    ``organisation_id`` restricts it to that organisation (its principal has no role elsewhere).
    """
    token = new_token(SESSION_PREFIX)
    web_session = WebSession(
        person_id=person.id,
        organisation_id=organisation_id,
        token_hash=token_digest(token),
        csrf_token=secrets.token_urlsafe(24),
        created_at=now,
        expires_at=now + SESSION_TTL,
    )
    session.add(web_session)
    await session.commit()
    return token, web_session


async def resolve_session(
    session: AsyncSession, token: str, *, now: datetime
) -> tuple[Principal, WebSession] | None:
    """The principal of a session cookie, or None when unknown or expired."""
    result = await session.execute(
        select(WebSession, Person)
        .join(Person, Person.id == WebSession.person_id)  # type: ignore[arg-type]
        .where(WebSession.token_hash == token_digest(token))
    )
    row = result.one_or_none()
    if row is None or row[0].expires_at <= now:
        return None
    web_session, person = row
    principal = await principal_for(
        session, person, via="session", token_organisation=web_session.organisation_id
    )
    return principal, web_session


async def logout(session: AsyncSession, token: str) -> None:
    """End the session of that cookie (nothing happens for an unknown one)."""
    result = await session.execute(select(WebSession).where(WebSession.token_hash == token_digest(token)))
    web_session = result.scalar_one_or_none()
    if web_session is not None:
        await session.delete(web_session)
        await session.commit()


async def create_api_token(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    scopes: Sequence[str],
    now: datetime,
    organisation_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> tuple[str, ApiToken]:
    """A scoped token for the principal's scripts; returns the secret (shown once) and its record.

    A token cannot give more than its person has: it acts with the person's roles, within its scopes.
    A session restricted to one organisation makes tokens restricted to it.

    Raises:
        InvalidRequestError: unknown scope, no scope, empty name, expiry in the past.
        ForbiddenError: an API token asked for another token, or an organisation the person is not in.
    """
    person_id = session_only(principal)
    if principal.token_organisation is not None:
        if organisation_id not in (None, principal.token_organisation):
            raise ForbiddenError(
                "this session acts in one organisation only: sign in with your own password for others"
            )
        organisation_id = principal.token_organisation
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidRequestError(
            f"scopes: unknown {', '.join(unknown)}; choose from {', '.join(SCOPES)}"
            if unknown
            else f"scopes: give at least one of {', '.join(SCOPES)}"
        )
    if not name.strip() or len(name) > 100:
        raise InvalidRequestError("name: must be 1-100 characters")
    if expires_at is not None and as_utc(expires_at) <= now:
        raise InvalidRequestError("expires_at: must be in the future")
    if organisation_id is not None and not principal.roles_in(organisation_id):
        raise ForbiddenError("you hold no role in that organisation")
    token = new_token(API_TOKEN_PREFIX)
    record = ApiToken(
        person_id=person_id,
        organisation_id=organisation_id,
        name=name.strip(),
        token_hash=token_digest(token),
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(record)
    record_event(
        session,
        actor=principal,
        action="token.create",
        subject_type="api_token",
        subject_id=record.id,
        organisation_id=organisation_id,
        detail={"scopes": record.scopes},
        at=now,
    )
    await session.commit()
    return token, record


def session_only(principal: Principal) -> uuid.UUID:
    """The person of a browser session; token management is refused to API tokens.

    Raises:
        ForbiddenError: an API token (or the operator) is asking.
    """
    if principal.person_id is None or principal.via != "session":
        raise ForbiddenError("API tokens are managed from a signed-in session, not with an API token")
    return principal.person_id


async def resolve_api_token(session: AsyncSession, token: str, *, now: datetime) -> Principal | None:
    """The principal of a bearer token, or None when unknown, revoked or expired."""
    result = await session.execute(
        select(ApiToken, Person)
        .join(Person, Person.id == ApiToken.person_id)  # type: ignore[arg-type]
        .where(ApiToken.token_hash == token_digest(token))
    )
    row = result.one_or_none()
    if row is None:
        return None
    record, person = row
    if record.revoked_at is not None or (record.expires_at is not None and record.expires_at <= now):
        return None
    # One write a minute at most: "last used" is for the owner's list, not a request log.
    if record.last_used_at is None or now - record.last_used_at > timedelta(minutes=1):
        record.last_used_at = now
        await session.commit()
    return await principal_for(
        session,
        person,
        via="token",
        scopes=frozenset(record.scopes),
        token_organisation=record.organisation_id,
    )


async def list_api_tokens(session: AsyncSession, person_id: uuid.UUID) -> list[ApiToken]:
    """A person's tokens (never their secrets), newest first."""
    result = await session.execute(
        select(ApiToken).where(ApiToken.person_id == person_id).order_by(ApiToken.created_at.desc())  # type: ignore[attr-defined]
    )
    return list(result.scalars())


async def revoke_api_token(
    session: AsyncSession, principal: Principal, token_id: uuid.UUID, *, now: datetime
) -> ApiToken:
    """Withdraw one of the principal's own tokens and commit.

    Raises:
        ForbiddenError: asked with an API token.
        NotFoundError: no such token of this person.
    """
    person_id = session_only(principal)
    record = await session.get(ApiToken, token_id)
    if record is None or record.person_id != person_id:
        raise NotFoundError("no such API token")
    if record.revoked_at is None:
        record.revoked_at = now
        record_event(
            session,
            actor=principal,
            action="token.revoke",
            subject_type="api_token",
            subject_id=record.id,
            organisation_id=record.organisation_id,
            at=now,
        )
        await session.commit()
    return record
