"""Signing in and out, who am I, and API tokens for scripts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody
from pydantic import Field
from sqlmodel import select

from issuer.db import Organisation, get_organisation
from issuer.db.models import ApiToken, Membership, Person
from issuer.errors import AuthenticationRequiredError
from issuer.services.people import (
    SESSION_TTL,
    create_api_token,
    list_api_tokens,
    login,
    logout,
    revoke_api_token,
    session_only,
)
from issuer.web.auth import SESSION_COOKIE, public, sign_in_rate_limit, signed_in
from issuer.web.deps import Db, Now, Svc, User
from issuer.web.schemas import Strict

__all__ = ["SessionController"]


class Credentials(Strict):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1000)


class TokenRequest(Strict):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=20)
    organisation: str | None = Field(default=None, description="Limit the token to this organisation (slug).")
    expires_at: datetime | None = None


async def _me(db: Db, person: Person, *, restricted_to: uuid.UUID | None) -> dict[str, Any]:
    """The person and their roles; a restricted session sees only its organisation's."""
    statement = (
        select(Organisation.slug, Organisation.name, Membership.role)
        .join(Membership, Membership.organisation_id == Organisation.id)  # type: ignore[arg-type]
        .where(Membership.person_id == person.id)
        .order_by(Organisation.slug, Membership.role)
    )
    if restricted_to is not None:
        statement = statement.where(Organisation.id == restricted_to)
    result = await db.execute(statement)
    return {
        "id": str(person.id),
        "email": person.email,
        "displayName": person.display_name,
        "did": person.did,
        "memberships": [
            {"organisation": slug, "name": name, "role": role} for slug, name, role in result.all()
        ],
        "sessionOrganisation": await _slug(db, restricted_to),
    }


async def _slug(db: Db, organisation_id: uuid.UUID | None) -> str | None:
    if organisation_id is None:
        return None
    organisation = await db.get(Organisation, organisation_id)
    return organisation.slug if organisation else None


def _token_view(record: ApiToken, slug: str | None) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "name": record.name,
        "scopes": record.scopes,
        "organisation": slug,
        "createdAt": record.created_at,
        "expiresAt": record.expires_at,
        "revokedAt": record.revoked_at,
        "lastUsedAt": record.last_used_at,
    }


class SessionController(Controller):
    path = "/api"
    tags = ["session"]  # noqa: RUF012 - litestar's own attribute type

    @post(
        "/session",
        opt=public(),
        summary="Sign in with e-mail and password",
        status_code=201,
        middleware=[sign_in_rate_limit("sign_in_rate")],
    )
    async def sign_in(
        self, data: JSONBody[Credentials], db: Db, services: Svc, now: Now
    ) -> Response[dict[str, Any]]:
        """Opens a browser session: an HttpOnly cookie, and the CSRF token to send on unsafe requests.
        A password an organisation's staff set opens a session acting in that organisation only
        (``person.sessionOrganisation``; null: unrestricted). Limited per client address a minute (429)."""
        token, web_session, person = await login(db, email=data.email, password=data.password, now=now)
        body = {
            "person": await _me(db, person, restricted_to=web_session.organisation_id),
            "csrfToken": web_session.csrf_token,
        }
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=token,
            httponly=True,
            secure=services.settings.cookie_secure,
            samesite="lax",
            max_age=int(SESSION_TTL.total_seconds()),
            path="/",
        )
        return Response(body, status_code=201, cookies=[cookie])

    @delete("/session", opt=public(), summary="Sign out", status_code=204)
    async def sign_out(self, request: Request[Any, Any, Any], db: Db) -> Response[None]:
        """Ends the session of the cookie sent, if any, and clears the cookie."""
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await logout(db, token)
        return Response(
            None, status_code=204, cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")]
        )

    @get("/me", opt=signed_in(), summary="The signed-in person and their roles")
    async def me(self, principal: User, db: Db) -> dict[str, Any]:
        person = await db.get(Person, principal.person_id)
        if person is None:  # deleted while the session was open
            raise AuthenticationRequiredError("this account no longer exists")
        return await _me(db, person, restricted_to=principal.token_organisation)

    @post("/tokens", opt=signed_in(), summary="Create a scoped API token (shown once)", status_code=201)
    async def create_token(
        self, data: JSONBody[TokenRequest], principal: User, db: Db, now: Now
    ) -> dict[str, Any]:
        """From a signed-in session only; a session restricted to one organisation makes tokens
        restricted to it."""
        organisation_id = None
        if data.organisation is not None:
            organisation_id = (await get_organisation(db, data.organisation)).id
        token, record = await create_api_token(
            db,
            principal,
            name=data.name,
            scopes=data.scopes,
            organisation_id=organisation_id,
            expires_at=data.expires_at,
            now=now,
        )
        slug = await _slug(db, record.organisation_id)
        return {**_token_view(record, slug), "token": token}

    @get("/tokens", opt=signed_in(), summary="My API tokens (without their secrets)")
    async def list_tokens(self, principal: User, db: Db) -> list[dict[str, Any]]:
        """From a signed-in session only (an API token cannot list or withdraw tokens)."""
        person_id = session_only(principal)
        slugs = dict((await db.execute(select(Organisation.id, Organisation.slug))).all())
        return [
            _token_view(record, slugs.get(record.organisation_id) if record.organisation_id else None)
            for record in await list_api_tokens(db, person_id)
        ]

    @delete(
        "/tokens/{token_id:uuid}", opt=signed_in(), summary="Withdraw one of my API tokens", status_code=204
    )
    async def revoke_token(self, token_id: FromPath[uuid.UUID], principal: User, db: Db, now: Now) -> None:
        await revoke_api_token(db, principal, token_id, now=now)
