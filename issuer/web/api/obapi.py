"""The 1EdTech Open Badges 3.0 REST API, Host role: ``/ims/ob/v3p0`` (OB 3.0 §6, the OpenAPI file in
``../shared/spec/openapi/``).

A learner's backpack elsewhere, with the learner's consent (an OAuth 2.0 access token, ``/oauth/…``),
reads their badges (``GET /credentials``), pushes badges earned elsewhere in (``POST /credentials``: each
is verified before it is kept, ``issuer.services.imports``) and reads or renames their profile. Errors
are ``Imsx_StatusInfo`` objects (``issuer.web.errors``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import QueryParameter
from sqlmodel import col, select

from issuer.db.models import Credential, Person, as_utc
from issuer.errors import AuthenticationRequiredError, InvalidRequestError, UploadTooLargeError
from issuer.issuance import check_text
from issuer.services.imports import MAX_IMPORT_BYTES, import_credential, list_imports
from issuer.services.oauth import OB_SCOPES
from issuer.web.auth import ob_scope, public
from issuer.web.deps import Db, Now, Svc, User
from issuer.web.errors import OB_API_PATH, imsx_status

__all__ = ["ObApiController", "service_description"]

CREDENTIAL_READ, CREDENTIAL_UPSERT, PROFILE_READ, PROFILE_UPDATE = OB_SCOPES
DEFAULT_PAGE: Final = 50
MAX_PAGE: Final = 500
_JSON_TYPES: Final = frozenset({"application/json", "application/ld+json", "application/vc+ld+json"})
_JWS_TYPES: Final = frozenset({"text/plain", "application/vc+jwt", "application/jwt"})
#: The Profile members a PUT may carry: only the name is the learner's to change here.
_PROFILE_KEYS: Final = frozenset({"@context", "id", "type", "name", "email"})


def service_description(base_url: str, *, terms_url: str, privacy_url: str) -> dict[str, Any]:
    """The Service Description Document (OB 3.0 §6.3.1, ``ServiceDescriptionDocument``): the OpenAPI
    description profiled to what this service offers, with the OAuth 2.0 endpoints and registration URL."""
    api = base_url + OB_API_PATH
    scopes = {
        CREDENTIAL_READ: "Permission to read AchievementCredentials for the authenticated entity.",
        CREDENTIAL_UPSERT: "Permission to create or update AchievementCredentials for the authenticated entity.",
        PROFILE_READ: "Permission to read the profile for the authenticated entity.",
        PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
    }
    return {
        "openapi": "3.0.1",
        "info": {
            "title": "Mastery Badges",
            "description": "Open Badges 3.0 API (Host): a learner's badges and profile",
            "version": "3.0",
            "termsOfService": terms_url or base_url,
            "x-imssf-privacyPolicyUrl": privacy_url or base_url,
        },
        "servers": [{"url": api, "description": "this service"}],
        "paths": {
            "/credentials": {
                "get": {"operationId": "getCredentials", "security": [{"OAuth2ACG": [CREDENTIAL_READ]}]},
                "post": {"operationId": "upsertCredential", "security": [{"OAuth2ACG": [CREDENTIAL_UPSERT]}]},
            },
            "/profile": {
                "get": {"operationId": "getProfile", "security": [{"OAuth2ACG": [PROFILE_READ]}]},
                "put": {"operationId": "putProfile", "security": [{"OAuth2ACG": [PROFILE_UPDATE]}]},
            },
            "/discovery": {"get": {"operationId": "getServiceDescription", "security": []}},
        },
        "components": {
            "securitySchemes": {
                "OAuth2ACG": {
                    "type": "oauth2",
                    "description": "OAuth 2.0 Authorization Code Grant with PKCE (S256)",
                    "x-imssf-registrationUrl": f"{base_url}/oauth/register",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": f"{base_url}/oauth/authorize",
                            "tokenUrl": f"{base_url}/oauth/token",
                            "refreshUrl": f"{base_url}/oauth/token",
                            "x-imssf-revocationUrl": f"{base_url}/oauth/revoke",
                            "scopes": scopes,
                        }
                    },
                }
            }
        },
    }


def learner_profile(person: Person) -> dict[str, Any]:
    """The learner's OB 3.0 ``Profile``: their DID when they registered one, else a stable URN."""
    return {
        "id": person.did or f"urn:uuid:{person.id}",
        "type": ["Profile"],
        "name": person.display_name,
        "email": person.email,
    }


async def _person(db: Db, principal: User) -> Person:
    person = await db.get(Person, principal.person_id) if principal.person_id else None
    if person is None:  # the learner deleted their account: their tokens went with it
        raise AuthenticationRequiredError("the access token's learner no longer exists")
    return person


def _page_links(url: str, *, limit: int, offset: int, total: int, since: str | None) -> str:
    """RFC 8288 ``Link`` header with first, last, next and prev pages (OB 3.0 §6.2.4 paging)."""

    def link(rel: str, page_offset: int) -> str:
        query = {"limit": limit, "offset": page_offset} | ({"since": since} if since else {})
        return f'<{url}?{urlencode(query)}>; rel="{rel}"'

    last = max(0, (total - 1) // limit * limit)
    links = [link("first", 0), link("last", last)]
    if offset + limit < total:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    return ", ".join(links)


class ObApiController(Controller):
    path = OB_API_PATH
    tags = ["Open Badges 3.0 API"]  # noqa: RUF012 - litestar's own attribute type

    @get("/discovery", opt=public(), summary="Service description (OB 3.0 getServiceDescription)")
    async def discovery(self, state: State) -> dict[str, Any]:
        """Where to register, authorize and get tokens, and the scopes (public, no token)."""
        settings = state.settings
        return service_description(
            settings.base_url, terms_url=settings.terms_url, privacy_url=settings.privacy_url
        )

    @get(
        "/credentials",
        opt=ob_scope(CREDENTIAL_READ),
        summary="The learner's badges (OB 3.0 getCredentials)",
    )
    async def credentials(
        self,
        db: Db,
        services: Svc,
        principal: User,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
        since: Annotated[datetime | None, QueryParameter()] = None,
    ) -> Response[dict[str, Any]]:
        """Badges issued here to the learner and badges they imported, newest first. Data Integrity
        credentials are in ``credential``, VC-JWTs in ``compactJwsString``; ``X-Total-Count`` and ``Link``
        page through them. ``since``: issued after that moment (UTC when no offset is given)."""
        person = await _person(db, principal)
        after = as_utc(since) if since is not None else None
        statement = select(Credential.issued_at, Credential.id, Credential.ldp, Credential.jwt).where(
            Credential.recipient_id == person.id
        )
        if after is not None:
            statement = statement.where(col(Credential.issued_at) > after)
        # (issued at, id, JSON-LD text, VC-JWT text): issued here and imported, one list to page through.
        rows: list[tuple[datetime, str, str | None, str | None]] = [
            (issued_at, credential_id, ldp, jwt)
            for issued_at, credential_id, ldp, jwt in (await db.execute(statement)).all()
        ]
        for imported in await list_imports(db, person.id, since=after):
            ldp = imported.text if imported.format == "ldp" else None
            jwt = imported.text if imported.format == "jwt" else None
            rows.append((imported.issued_at, imported.credential_id, ldp, jwt))
        rows.sort(key=lambda row: (-row[0].timestamp(), row[1]))
        page = rows[offset : offset + limit]
        body: dict[str, Any] = {
            "credential": [json.loads(ldp) for _, _, ldp, _ in page if ldp],
            "compactJwsString": [jwt for _, _, ldp, jwt in page if jwt and not ldp],
        }
        url = services.settings.base_url + OB_API_PATH + "/credentials"
        headers = {
            "X-Total-Count": str(len(rows)),
            "Link": _page_links(
                url, limit=limit, offset=offset, total=len(rows), since=since.isoformat() if since else None
            ),
        }
        return Response(body, headers=headers)

    @post(
        "/credentials",
        opt=ob_scope(CREDENTIAL_UPSERT),
        summary="Add or replace a badge earned elsewhere (OB 3.0 upsertCredential)",
        status_code=201,
    )
    async def upsert(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, principal: User, now: Now
    ) -> Response[Any]:
        """JSON-LD (``application/json``) or a VC-JWT (``text/plain``). The badge must verify and be the
        learner's; it is kept exactly as sent. 201 when new, 200 when it replaced the same credential id;
        the body is the credential as sent."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in _JSON_TYPES | _JWS_TYPES:
            return imsx_status(415, "send the credential as application/json, or a VC-JWT as text/plain")
        raw = await request.body()
        if len(raw) > MAX_IMPORT_BYTES:
            raise UploadTooLargeError(f"a credential is at most {MAX_IMPORT_BYTES:,} bytes")
        if media_type in _JWS_TYPES and raw.strip().startswith(b"{"):
            raise InvalidRequestError("text/plain is for a compact VC-JWT; send JSON-LD as application/json")
        person = await _person(db, principal)
        outcome = await import_credential(
            db, services, person, raw, now=now, source="ob-api", actor=principal
        )
        status = 201 if outcome.created else 200
        text = outcome.credential.text
        if outcome.credential.format == "jwt":
            return Response(text, status_code=status, media_type="text/plain")
        return Response(json.loads(text), status_code=status, media_type="application/json")

    @get("/profile", opt=ob_scope(PROFILE_READ), summary="The learner's profile (OB 3.0 getProfile)")
    async def profile(self, db: Db, principal: User) -> dict[str, Any]:
        """The learner's name and e-mail address as a ``Profile``."""
        return learner_profile(await _person(db, principal))

    @put("/profile", opt=ob_scope(PROFILE_UPDATE), summary="Change the learner's name (OB 3.0 putProfile)")
    async def put_profile(self, request: Request[Any, Any, Any], db: Db, principal: User) -> dict[str, Any]:
        """A ``Profile`` whose ``name`` becomes the learner's display name. ``id`` and ``email`` must be
        the ones GET returns (the sign-in address is not changed through a backpack); other Profile
        members are refused by name, as nothing else is kept."""
        try:
            profile = json.loads(await request.body())
        except ValueError as err:
            raise InvalidRequestError("the body is not JSON: send a Profile object") from err
        if not isinstance(profile, dict):
            raise InvalidRequestError("send a Profile object")
        person = await _person(db, principal)
        current = learner_profile(person)
        unknown = sorted(set(profile) - _PROFILE_KEYS)
        if unknown:
            raise InvalidRequestError(
                f"{', '.join(unknown)[:200]}: not kept here; send only id, type, name, email"
            )
        for key in ("id", "email"):
            if key in profile and profile[key] != current[key]:
                raise InvalidRequestError(f"{key}: cannot be changed here (it is {current[key]!r})")
        kind = profile.get("type")
        if kind not in ("Profile", ["Profile"]) and not (isinstance(kind, list) and "Profile" in kind):
            raise InvalidRequestError("type: must include Profile")
        name = profile.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise InvalidRequestError("name: a name of 1-200 characters")
        person.display_name = check_text(name.strip(), "name")
        await db.commit()
        return learner_profile(person)
