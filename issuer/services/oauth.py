"""OAuth 2.0 for the Open Badges 3.0 API: client registration, consent, codes with PKCE, tokens.

OB 3.0 §6.2 (https://www.imsglobal.org/spec/ob/v3p0/#api-security): the authorization code grant
(RFC 6749 §4.1) with PKCE S256 mandatory (RFC 7636), dynamic client registration without an initial
access token (RFC 7591), client authentication with HTTP Basic at the token endpoint, refresh tokens
(RFC 6749 §6) and revocation (RFC 7009). Only SHA-256 digests of client secrets, codes and tokens are
stored. Hand-written because no maintained Python library offers an OAuth 2.0 *server* for an async
SQLModel stack without bringing its own web framework and storage (authlib's server is tied to its
Flask/Django integrations); the checks below follow the RFC sections named beside them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from sqlmodel import select

from issuer.accounts import new_token, token_digest
from issuer.db.models import OAuthClient, OAuthCode, OAuthToken, Person
from issuer.errors import ClientRegistrationError, OAuthError
from issuer.roles import Principal
from issuer.services.audit import record_event

if TYPE_CHECKING:
    import uuid
    from collections.abc import Mapping
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "ACCESS_TOKEN_TTL",
    "CODE_TTL",
    "OB_SCOPES",
    "REFRESH_TOKEN_TTL",
    "AuthorizationRequest",
    "IssuedTokens",
    "NoRedirectError",
    "RedirectableError",
    "RegisteredClient",
    "authenticate_client",
    "check_authorization_request",
    "exchange_code",
    "find_client",
    "issue_code",
    "refresh_tokens",
    "register_client",
    "resolve_access_token",
    "revoke_token",
]

_SCOPE_BASE: Final = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
OB_SCOPES: Final[tuple[str, ...]] = tuple(
    _SCOPE_BASE + name
    for name in ("credential.readonly", "credential.upsert", "profile.readonly", "profile.update")
)

CODE_TTL: Final = timedelta(minutes=2)  # RFC 6749 §4.1.2: short-lived, 10 minutes at most
ACCESS_TOKEN_TTL: Final = timedelta(hours=1)
REFRESH_TOKEN_TTL: Final = timedelta(days=30)
CLIENT_ID_PREFIX: Final = "mbclient"
CLIENT_SECRET_PREFIX: Final = "mbcs"  # noqa: S105 - a prefix, not a secret
CODE_PREFIX: Final = "mbcode"
ACCESS_PREFIX: Final = "mboat"
REFRESH_PREFIX: Final = "mbort"
_PKCE: Final = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 §4.1 and §4.2
_LOOPBACK_NAMES: Final = frozenset({"localhost"})
_URI_FIELDS: Final = ("client_uri", "logo_uri", "tos_uri", "policy_uri")
_TEXT_FIELDS: Final = ("software_id", "software_version")


@dataclass(frozen=True)
class RegisteredClient:
    """A new client and its secret (shown once, in the registration response)."""

    client: OAuthClient
    secret: str


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked authorization request (RFC 6749 §4.1.1 with RFC 7636 §4.3)."""

    client: OAuthClient
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str
    state: str | None


@dataclass(frozen=True)
class IssuedTokens:
    """A token response (RFC 6749 §5.1): the secrets, shown once."""

    access_token: str
    refresh_token: str
    scopes: tuple[str, ...]
    expires_in: int

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": " ".join(self.scopes),
        }


def _is_https_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        return parts.scheme == "https" and bool(parts.hostname) and parts.port != 0
    except ValueError:  # a malformed IPv6 address, or a port that is not a number
        return False


def _redirect_uri_problem(uri: object) -> str | None:
    """Why a redirect URI is refused, or None: https, or http to a loopback host only (RFC 8252 §7.3)."""
    if not isinstance(uri, str) or len(uri) > 2000:
        return "each redirect URI is a string of at most 2,000 characters"
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:  # "https://[::1": a malformed IPv6 address, or a port that is not a number
        return f"{uri[:100]!r} is not a URL"
    if parts.fragment or "#" in uri:
        return f"{uri[:100]!r} has a fragment (RFC 6749 §3.1.2)"
    if parts.scheme == "https" and host:
        return None
    if parts.scheme == "http" and host:
        try:
            if host in _LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            pass
        return f"{uri[:100]!r}: http is allowed only to a loopback address; use https"
    return f"{uri[:100]!r} is not an absolute https URL"


def _scopes_from(value: object, *, field: str) -> tuple[str, ...]:
    if not isinstance(value, str) or not value.split():
        raise ClientRegistrationError(
            "invalid_client_metadata", f"{field}: give space-separated OB 3.0 scopes"
        )
    asked = tuple(dict.fromkeys(value.split()))
    unknown = [scope for scope in asked if scope not in OB_SCOPES]
    if unknown:
        raise ClientRegistrationError(
            "invalid_client_metadata",
            f"{field}: unknown scope {unknown[0][:120]!r}; the scopes are {', '.join(OB_SCOPES)}",
        )
    return asked


def _check_metadata(metadata: Mapping[str, Any]) -> tuple[str, list[str], tuple[str, ...], dict[str, Any]]:
    """The client name, redirect URIs, scopes and other details of a registration request.

    Raises:
        ClientRegistrationError: the first problem found, with the field named.
    """
    redirect_uris = metadata.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not redirect_uris or len(redirect_uris) > 10:
        raise ClientRegistrationError("invalid_redirect_uri", "redirect_uris: give 1 to 10 redirect URIs")
    for uri in redirect_uris:
        problem = _redirect_uri_problem(uri)
        if problem:
            raise ClientRegistrationError("invalid_redirect_uri", f"redirect_uris: {problem}")
    name = metadata.get("client_name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ClientRegistrationError("invalid_client_metadata", "client_name: a name of 1-200 characters")
    scopes = _scopes_from(metadata.get("scope"), field="scope")
    method = metadata.get("token_endpoint_auth_method", "client_secret_basic")
    if method != "client_secret_basic":
        raise ClientRegistrationError(
            "invalid_client_metadata",
            f"token_endpoint_auth_method: only client_secret_basic is supported, not {str(method)[:40]!r}",
        )
    grant_types = metadata.get("grant_types", ["authorization_code", "refresh_token"])
    if (
        not isinstance(grant_types, list)
        or "authorization_code" not in grant_types
        or not set(grant_types) <= {"authorization_code", "refresh_token"}
    ):
        raise ClientRegistrationError(
            "invalid_client_metadata",
            "grant_types: authorization_code (and optionally refresh_token) only",
        )
    response_types = metadata.get("response_types", ["code"])
    if response_types != ["code"]:
        raise ClientRegistrationError("invalid_client_metadata", 'response_types: only ["code"]')
    details: dict[str, Any] = {}
    for field in _URI_FIELDS:
        value = metadata.get(field)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 2000 or not _is_https_url(value):
            raise ClientRegistrationError("invalid_client_metadata", f"{field}: an https URL")
        details[field] = value
    for field in _TEXT_FIELDS:
        value = metadata.get(field)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > 200:
            raise ClientRegistrationError(
                "invalid_client_metadata", f"{field}: text of at most 200 characters"
            )
        details[field] = value
    contacts = metadata.get("contacts")
    if contacts is not None:
        if not isinstance(contacts, list) or not all(isinstance(c, str) and len(c) <= 254 for c in contacts):
            raise ClientRegistrationError("invalid_client_metadata", "contacts: a list of e-mail addresses")
        details["contacts"] = contacts[:10]
    details["grant_types"] = grant_types
    return name.strip(), list(redirect_uris), scopes, details


async def register_client(session: AsyncSession, metadata: object, *, now: datetime) -> RegisteredClient:
    """Register a client from its RFC 7591 metadata and commit; unknown metadata is ignored (§2).

    Raises:
        ClientRegistrationError: ``invalid_redirect_uri`` or ``invalid_client_metadata``, naming the field.
    """
    if not isinstance(metadata, dict):
        raise ClientRegistrationError("invalid_client_metadata", "the registration request is a JSON object")
    name, redirect_uris, scopes, details = _check_metadata(metadata)
    secret = new_token(CLIENT_SECRET_PREFIX)
    client = OAuthClient(
        client_id=f"{CLIENT_ID_PREFIX}_{secrets.token_urlsafe(18)}",
        secret_hash=token_digest(secret),
        client_name=name,
        redirect_uris=redirect_uris,
        scopes=list(scopes),
        details=details,
        created_at=now,
    )
    session.add(client)
    await session.commit()
    return RegisteredClient(client, secret)


async def find_client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    """The registered client with that public id, if any."""
    result = await session.execute(select(OAuthClient).where(OAuthClient.client_id == client_id[:64]))
    return result.scalar_one_or_none()


def _basic_credentials(authorization: str | None) -> tuple[str, str]:
    """client_id and secret from an HTTP Basic header (RFC 6749 §2.3.1: each form-urlencoded first)."""
    from urllib.parse import unquote_plus

    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise OAuthError("invalid_client", "authenticate the client with HTTP Basic (client_secret_basic)")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as err:
        raise OAuthError("invalid_client", "the Basic credentials are not base64 of id:secret") from err
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError("invalid_client", "the Basic credentials are not base64 of id:secret")
    return unquote_plus(client_id), unquote_plus(secret)


async def authenticate_client(session: AsyncSession, authorization: str | None) -> OAuthClient:
    """The client whose Basic credentials these are.

    Raises:
        OAuthError: ``invalid_client`` (the same message for an unknown id and a wrong secret).
    """
    client_id, secret = _basic_credentials(authorization)
    client = await find_client(session, client_id)
    expected = client.secret_hash if client else token_digest("no such client")
    if not hmac.compare_digest(token_digest(secret), expected) or client is None:
        raise OAuthError("invalid_client", "unknown client or wrong client secret")
    return client


def _requested_scopes(client: OAuthClient, scope: str | None) -> tuple[str, ...]:
    if scope is None or not scope.strip():
        return tuple(client.scopes)
    asked = tuple(dict.fromkeys(scope.split()))
    beyond = [item for item in asked if item not in client.scopes]
    if beyond:
        raise OAuthError("invalid_scope", f"scope {beyond[0][:120]!r} is not one this client registered")
    return asked


async def check_authorization_request(
    session: AsyncSession, params: Mapping[str, str]
) -> AuthorizationRequest:
    """Check an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).

    Raises:
        OAuthError: ``invalid_request`` with ``redirect`` False when the client or redirect URI is
            wrong (the learner is told; nothing is sent to an unverified address, RFC 6749 §4.1.2.1);
            otherwise the error to send back to the client's redirect URI (see :func:`redirect_error`).
    """
    client = await find_client(session, params.get("client_id", ""))
    if client is None:
        raise NoRedirectError(
            "invalid_request", "this application is not registered here (unknown client_id)"
        )
    # Required here (RFC 6749 makes it optional), so the token request is always held to the same URI.
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        raise NoRedirectError(
            "invalid_request", "redirect_uri: missing, or not one the application registered"
        )
    state = params.get("state")
    challenge = params.get("code_challenge", "")
    try:
        scopes = _requested_scopes(client, params.get("scope"))
    except OAuthError as err:
        raise RedirectableError(err.error, err.detail, redirect_uri=redirect_uri, state=state) from err
    problem: tuple[str, str] | None = None
    if params.get("response_type") != "code":
        problem = ("unsupported_response_type", "response_type must be code")
    elif params.get("code_challenge_method") != "S256":
        problem = ("invalid_request", "PKCE is required: code_challenge_method=S256")
    elif not _PKCE.fullmatch(challenge):
        problem = ("invalid_request", "code_challenge: 43-128 characters of A-Z a-z 0-9 - . _ ~")
    if problem is not None:
        raise RedirectableError(*problem, redirect_uri=redirect_uri, state=state)
    return AuthorizationRequest(client, redirect_uri, scopes, challenge, state)


class NoRedirectError(OAuthError):
    """An authorization request whose client or redirect URI cannot be trusted: shown, never redirected."""


class RedirectableError(OAuthError):
    """An authorization request refused after its redirect URI was checked: sent back to the client."""

    def __init__(self, error: str, detail: str, *, redirect_uri: str, state: str | None) -> None:
        super().__init__(error, detail)
        self.redirect_uri = redirect_uri
        self.state = state


async def issue_code(
    session: AsyncSession,
    request: AuthorizationRequest,
    person: Person,
    *,
    principal: Principal | None = None,
    now: datetime,
) -> str:
    """The learner approved: a single-use code bound to the client, redirect URI and PKCE challenge; commits.

    Audited as ``oauth.consent`` (the client's id and the scopes; no organisation: it is the learner's own).
    """
    code = new_token(CODE_PREFIX)
    record_event(
        session,
        actor=principal,
        action="oauth.consent",
        subject_type="person",
        subject_id=person.id,
        detail={"client": request.client.client_id, "scopes": list(request.scopes)},
        at=now,
    )
    session.add(
        OAuthCode(
            code_hash=token_digest(code),
            client_id=request.client.id,
            person_id=person.id,
            redirect_uri=request.redirect_uri,
            scopes=list(request.scopes),
            code_challenge=request.code_challenge,
            created_at=now,
            expires_at=now + CODE_TTL,
        )
    )
    await session.commit()
    return code


def _s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier))), no padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _new_tokens(
    client: OAuthClient, person_id: uuid.UUID, scopes: list[str], *, code_id: uuid.UUID | None, now: datetime
) -> tuple[OAuthToken, IssuedTokens]:
    access, refresh = new_token(ACCESS_PREFIX), new_token(REFRESH_PREFIX)
    record = OAuthToken(
        client_id=client.id,
        person_id=person_id,
        code_id=code_id,
        access_hash=token_digest(access),
        refresh_hash=token_digest(refresh),
        scopes=scopes,
        created_at=now,
        expires_at=now + ACCESS_TOKEN_TTL,
        refresh_expires_at=now + REFRESH_TOKEN_TTL,
    )
    return record, IssuedTokens(access, refresh, tuple(scopes), int(ACCESS_TOKEN_TTL.total_seconds()))


async def exchange_code(
    session: AsyncSession,
    client: OAuthClient,
    *,
    code: str,
    redirect_uri: str | None,
    code_verifier: str,
    now: datetime,
) -> IssuedTokens:
    """Trade a code for tokens (RFC 6749 §4.1.3, RFC 7636 §4.6); commits.

    A code is spent by its first presentation, even a failed one, so a stolen code is worth one guess
    of its verifier; presenting a spent code again revokes the tokens it gave (RFC 6749 §4.1.2).

    Raises:
        OAuthError: ``invalid_grant`` (unknown, expired, spent or another client's code, redirect URI
            or PKCE verifier wrong) or ``invalid_request`` (a malformed verifier).
    """
    result = await session.execute(
        select(OAuthCode).where(OAuthCode.code_hash == token_digest(code)).with_for_update()
    )
    grant = result.scalar_one_or_none()
    if grant is None or grant.client_id != client.id:
        raise OAuthError("invalid_grant", "unknown authorization code")
    if grant.used_at is not None:
        tokens = await session.execute(select(OAuthToken).where(OAuthToken.code_id == grant.id))
        for token in tokens.scalars():
            token.revoked_at = token.revoked_at or now
        await session.commit()
        raise OAuthError("invalid_grant", "this authorization code was used already: its tokens are revoked")
    grant.used_at = now
    await session.commit()
    if grant.expires_at <= now:
        raise OAuthError("invalid_grant", "the authorization code has expired: ask the learner again")
    if redirect_uri != grant.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the one in the authorization request")
    if not _PKCE.fullmatch(code_verifier):
        raise OAuthError("invalid_request", "code_verifier: 43-128 characters of A-Z a-z 0-9 - . _ ~")
    if not hmac.compare_digest(_s256(code_verifier), grant.code_challenge):
        raise OAuthError("invalid_grant", "the PKCE code_verifier does not match the code_challenge")
    record, issued = _new_tokens(client, grant.person_id, list(grant.scopes), code_id=grant.id, now=now)
    session.add(record)
    await session.commit()
    return issued


async def refresh_tokens(
    session: AsyncSession, client: OAuthClient, *, refresh_token: str, scope: str | None, now: datetime
) -> IssuedTokens:
    """New tokens for a refresh token (RFC 6749 §6), which is replaced (rotation); commits.

    Raises:
        OAuthError: ``invalid_grant`` (unknown, revoked, expired or another client's refresh token) or
            ``invalid_scope`` (more than first granted).
    """
    result = await session.execute(
        select(OAuthToken).where(OAuthToken.refresh_hash == token_digest(refresh_token)).with_for_update()
    )
    record = result.scalar_one_or_none()
    if (
        record is None
        or record.client_id != client.id
        or record.revoked_at is not None
        or record.refresh_expires_at is None
        or record.refresh_expires_at <= now
    ):
        raise OAuthError("invalid_grant", "unknown, revoked or expired refresh token")
    scopes = list(record.scopes)
    if scope is not None and scope.strip():
        asked = list(dict.fromkeys(scope.split()))
        if not set(asked) <= set(scopes):
            raise OAuthError("invalid_scope", "a refresh cannot add scopes the learner did not grant")
        scopes = asked
    record.revoked_at = now
    fresh, issued = _new_tokens(client, record.person_id, scopes, code_id=record.code_id, now=now)
    session.add(fresh)
    await session.commit()
    return issued


async def revoke_token(session: AsyncSession, client: OAuthClient, token: str, *, now: datetime) -> None:
    """RFC 7009 §2.1: revoke an access or refresh token of this client (both go); unknown ones are ignored."""
    digest = token_digest(token)
    result = await session.execute(
        select(OAuthToken).where(
            OAuthToken.client_id == client.id,
            (OAuthToken.access_hash == digest) | (OAuthToken.refresh_hash == digest),
        )
    )
    record = result.scalar_one_or_none()
    if record is not None and record.revoked_at is None:
        record.revoked_at = now
        await session.commit()


async def resolve_access_token(session: AsyncSession, token: str, *, now: datetime) -> Principal | None:
    """The learner an access token acts for, with the OB scopes granted; None when unknown, revoked or expired.

    The principal has no organisation roles: the OB API acts on the learner's own badges and profile.
    """
    result = await session.execute(
        select(OAuthToken, Person)
        .join(Person, Person.id == OAuthToken.person_id)  # type: ignore[arg-type]
        .where(OAuthToken.access_hash == token_digest(token))
    )
    row = result.one_or_none()
    if row is None:
        return None
    record, person = row
    if record.revoked_at is not None or record.expires_at <= now:
        return None
    return Principal(
        person_id=person.id, display_name=person.display_name, scopes=frozenset(record.scopes), via="token"
    )
