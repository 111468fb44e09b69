"""Who may call what: one guard on every route, reading the route's declared :class:`Access`.

Every route handler declares its access rule in ``opt={"access": ...}`` with :func:`public`,
:func:`signed_in` or :func:`org_roles`; a route without one is refused (fail closed), and
``tests/integration/issuer/test_authorization.py`` checks that every route has one.

The Open Badges 3.0 API's routes (:func:`ob_scope`) take only an OAuth 2.0 access token
(``Authorization: Bearer mboat_…``, issued by ``/oauth/token`` with the learner's consent), never a
session cookie or an API token: a backpack acts for one learner, within the scopes granted.

A browser authenticates with the ``mb_session`` cookie and must echo its session's CSRF token on unsafe
methods: in the ``X-CSRF-Token`` header (API calls) or, for an HTML form, in its ``csrf_token`` field; a
script sends ``Authorization: Bearer mbt_…``. Routes that render pages say so (``page=True``): their
errors become HTML pages and a missing sign-in a redirect to the sign-in page. Public routes
with an unsafe method (signing in, accepting an invitation) have no session to carry a CSRF token, so a
browser's ``Origin`` header must be the service's own there (login CSRF: another site signing a visitor
in as someone else). Sign-in, invitation acceptance and the public verifier are also rate-limited per
client address (:func:`rate_limit`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware

from issuer.db import Organisation, get_organisation
from issuer.errors import AuthenticationRequiredError, ForbiddenError
from issuer.roles import Principal
from issuer.services.context import Services
from issuer.services.oauth import resolve_access_token
from issuer.services.people import resolve_api_token, resolve_session

if TYPE_CHECKING:
    from litestar.middleware.base import DefineMiddleware
    from litestar.types import Receive, Scope, Send

__all__ = [
    "SESSION_COOKIE",
    "Access",
    "authorize",
    "ob_scope",
    "org_roles",
    "origin_of",
    "public",
    "rate_limit",
    "sign_in_rate_limit",
    "signed_in",
]

SESSION_COOKIE: Final = "mb_session"
CSRF_HEADER: Final = "x-csrf-token"
CSRF_FIELD: Final = "csrf_token"
_FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Access:
    """A route's rule.

    Attributes:
        public: anyone, signed in or not.
        roles: with ``org``: the roles (any of them) needed in the organisation named by the ``slug``
            path parameter; None: any signed-in person (the handler limits them to their own data).
        scope: the API token scope the route needs (sessions have every scope).
        oauth_scope: an Open Badges 3.0 API route: the OAuth 2.0 scope its access token needs.
        any_origin: a public route that takes unsafe requests from any site (wallet protocol endpoints:
            they use no cookie, so there is no sign-in to forge, and browser-based wallets send their
            own ``Origin``).
    """

    public: bool = False
    roles: frozenset[str] | None = None
    scope: str | None = None
    oauth_scope: str | None = None
    any_origin: bool = False


def public(*, any_origin: bool = False, page: bool = False) -> dict[str, Any]:
    """Open to anyone (published documents, health, sign-in); ``any_origin``: see :class:`Access`."""
    return {"access": Access(public=True, any_origin=any_origin), "page": page}


def signed_in(scope: str | None = None, *, page: bool = False) -> dict[str, Any]:
    """Any signed-in person, acting on their own things."""
    return {"access": Access(scope=scope), "page": page}


def ob_scope(scope: str) -> dict[str, Any]:
    """An Open Badges 3.0 API route: an OAuth 2.0 access token with ``scope`` (a learner's consent)."""
    return {"access": Access(oauth_scope=scope)}


def org_roles(*roles: str, scope: str | None = None, page: bool = False) -> dict[str, Any]:
    """One of ``roles`` in the organisation of the ``{slug}`` path parameter."""
    return {"access": Access(roles=frozenset(roles), scope=scope), "page": page}


@dataclass
class _SettingsRateLimitConfig(RateLimitConfig):
    #: The :class:`~issuer.settings.Settings` field holding the requests allowed per minute.
    setting: str = field(default="login_rate_per_minute")


class _SettingsRateLimit(RateLimitMiddleware):
    """litestar's rate limiter, with the limit read from the app's settings at each request: the route
    handlers (and their middleware) are declared before any :class:`~issuer.settings.Settings` exists."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        setting = self.config.setting if isinstance(self.config, _SettingsRateLimitConfig) else ""
        self.max_requests = int(getattr(scope["litestar_app"].state.settings, setting))
        await super().__call__(scope, receive, send)


def rate_limit(store: str, setting: str) -> DefineMiddleware:
    """Handler middleware: ``settings.<setting>`` requests per client IP a minute, then 429.

    Each ``store`` (a name in the app's stores) counts separately. The client address is the one the
    ASGI server reports: behind a proxy, run the server with its proxy-headers option.
    """
    config = _SettingsRateLimitConfig(
        rate_limit=("minute", 10),  # replaced by the settings' value per request
        store=store,
        middleware_class=_SettingsRateLimit,
        setting=setting,
    )
    return config.middleware


def sign_in_rate_limit(store: str) -> DefineMiddleware:
    """:func:`rate_limit` by ``settings.login_rate_per_minute`` (sign-ins, invitation links)."""
    return rate_limit(store, "login_rate_per_minute")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-case, without a default port (RFC 6454 serialisation)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # "http://[::1": a malformed IPv6 address; an origin nothing else has
        return "null"
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def _check_origin(connection: ASGIConnection[Any, Any, Any, Any], services: Services) -> None:
    origin = connection.headers.get("origin")
    if origin is None or connection.scope.get("method", "GET") in _SAFE_METHODS:
        return
    if origin_of(origin) != origin_of(services.settings.base_url):
        raise ForbiddenError("this request came from another site (Origin): use the service's own pages")


async def _authenticate(
    connection: ASGIConnection[Any, Any, Any, Any], services: Services
) -> Principal | None:
    now = services.clock()
    authorization = connection.headers.get("authorization", "")
    async with services.sessions() as session:
        if authorization:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise AuthenticationRequiredError("Authorization: use 'Bearer <API token>'")
            principal = await resolve_api_token(session, token.strip(), now=now)
            if principal is None:
                raise AuthenticationRequiredError("the API token is unknown, withdrawn or expired")
            return principal
        cookie = connection.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        found = await resolve_session(session, cookie, now=now)
        if found is None:
            raise AuthenticationRequiredError("the session has ended: sign in again")
        principal, web_session = found
        if connection.scope.get("method", "GET") not in _SAFE_METHODS:
            sent = await _sent_csrf_token(connection)
            if not hmac.compare_digest(sent.encode(), web_session.csrf_token.encode()):
                await _close_uploads(connection)
                raise ForbiddenError(
                    f"send the session's CSRF token in the {CSRF_HEADER} header (or a form's {CSRF_FIELD} field)"
                )
        return principal


async def _authenticate_oauth(
    connection: ASGIConnection[Any, Any, Any, Any], services: Services, scope: str
) -> Principal:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationRequiredError("send an OAuth 2.0 access token: Authorization: Bearer <token>")
    async with services.sessions() as session:
        principal = await resolve_access_token(session, token.strip(), now=services.clock())
    if principal is None:
        raise AuthenticationRequiredError("the access token is unknown, revoked or expired")
    if not principal.has_scope(scope):
        raise ForbiddenError(f"the access token lacks the scope {scope}")
    return principal


async def _sent_csrf_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The header, else the field of a submitted form (litestar keeps the parsed form in the scope, so the
    handler reads the same body again)."""
    header = connection.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    content_type = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type not in _FORM_TYPES:
        return ""
    form = await Request[Any, Any, Any](connection.scope, receive=connection.receive).form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


async def _close_uploads(connection: ASGIConnection[Any, Any, Any, Any]) -> None:
    """A refused form's uploaded files are closed here: no handler will read (and close) them."""
    content_type = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type == "multipart/form-data":
        await (await Request[Any, Any, Any](connection.scope, receive=connection.receive).form()).close()


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The guard of every route: authenticate, then check the route's :class:`Access`.

    Leaves ``principal`` (and, for organisation routes, ``organisation`` and ``roles``) in
    ``connection.state`` for the handlers' dependencies.

    Raises:
        AuthenticationRequiredError: 401, no (valid) session or token.
        ForbiddenError: 403, missing role, scope or CSRF token; or the route declares no rule.
        OrganisationNotFoundError: 404, the organisation in the path does not exist.
    """
    access = handler.opt.get("access")
    if not isinstance(access, Access):
        raise ForbiddenError("this endpoint declares no access rule")
    services: Services = connection.app.state.services
    if access.public:
        if not access.any_origin:
            _check_origin(connection, services)
        return
    if access.oauth_scope is not None:
        connection.state.principal = await _authenticate_oauth(connection, services, access.oauth_scope)
        return
    principal = await _authenticate(connection, services)
    if principal is None:
        raise AuthenticationRequiredError("sign in, or send an API token")
    if not principal.has_scope(access.scope):
        raise ForbiddenError(f"the API token lacks the scope {access.scope!r}")
    connection.state.principal = principal
    if access.roles is None:
        return
    slug = connection.path_params.get("slug")
    if not isinstance(slug, str):
        raise ForbiddenError("this endpoint names no organisation")
    async with services.sessions() as session:
        organisation: Organisation = await get_organisation(session, slug)
    held = principal.roles_in(organisation.id) & access.roles
    if not held:
        raise ForbiddenError(
            f"this needs the role {' or '.join(sorted(access.roles))} in {organisation.slug}"
        )
    connection.state.organisation = organisation
    connection.state.roles = held
