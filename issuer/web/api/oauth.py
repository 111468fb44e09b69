"""OAuth 2.0 for the Open Badges 3.0 API: ``/oauth/register``, ``/oauth/authorize`` (the consent page),
``/oauth/sign-in``, ``/oauth/token`` and ``/oauth/revoke``. The rules are in ``issuer.services.oauth``.

The consent page is server-rendered (Jinja2) and works without JavaScript. It is a browser page, so it
carries its own CSRF token in a hidden form field (the session's token, compared in constant time), and
it refuses to be framed (clickjacking). A session restricted to one organisation (a password set by its
staff, an invitation link) cannot consent: a backpack would reach the learner's whole record.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from issuer.db.models import Person
from issuer.errors import AuthenticationRequiredError, OAuthError
from issuer.services.oauth import (
    SCOPE_WORDS,
    AuthorizationRequest,
    NoRedirectError,
    RedirectableError,
    authenticate_client,
    check_authorization_request,
    exchange_code,
    issue_code,
    refresh_tokens,
    register_client,
    revoke_token,
)
from issuer.services.people import SESSION_TTL, login, resolve_session
from issuer.web.auth import SESSION_COOKIE, public, sign_in_rate_limit
from issuer.web.deps import Db, Now, Svc

__all__ = ["OAuthController"]

_PAGES: Final = Environment(
    loader=PackageLoader("issuer.web", "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
)
_PAGE_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: The authorization request's parameters, carried through the sign-in and consent forms.
_REQUEST_FIELDS: Final = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _page(template: str, status: int = 200, **values: Any) -> Response[str]:
    html = _PAGES.get_template(template).render(**values)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


def _redirect(uri: str, params: dict[str, str | None]) -> Redirect:
    """Back to the client's (registered, checked) redirect URI with the answer in the query (RFC 6749 §4.1.2)."""
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return Redirect(uri + ("&" if urlsplit(uri).query else "?") + query, status_code=303)


async def _params(request: Request[Any, Any, Any]) -> dict[str, str]:
    if request.method == "GET":
        source: Any = request.query_params
    else:
        source = await request.form()
    return {name: str(source.get(name))[:2000] for name in _REQUEST_FIELDS if source.get(name) is not None}


async def _signed_in(request: Request[Any, Any, Any], db: Db, now: Any) -> tuple[Person, str, bool] | None:
    """The person of the session cookie, its CSRF token, and whether the session is org-restricted."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = await resolve_session(db, cookie, now=now)
    if found is None:
        return None
    principal, web_session = found
    person = await db.get(Person, principal.person_id) if principal.person_id else None
    if person is None:
        return None
    return person, web_session.csrf_token, web_session.organisation_id is not None


def _consent(checked: AuthorizationRequest, person: Person, csrf_token: str) -> Response[str]:
    client = checked.client
    fields = [
        ("response_type", "code"),
        ("client_id", client.client_id),
        ("redirect_uri", checked.redirect_uri),
        ("scope", " ".join(checked.scopes)),
        ("code_challenge", checked.code_challenge),
        ("code_challenge_method", "S256"),
    ]
    if checked.state is not None:
        fields.append(("state", checked.state))
    return _page(
        "oauth_consent.html",
        client_name=client.client_name,
        client_host=urlsplit(client.details.get("client_uri", "")).hostname,
        redirect_host=urlsplit(checked.redirect_uri).hostname,
        person_name=person.display_name,
        scope_words=[SCOPE_WORDS[scope] for scope in checked.scopes],
        csrf_token=csrf_token,
        fields=fields,
    )


class OAuthController(Controller):
    path = "/oauth"
    tags = ["OAuth 2.0 (Open Badges 3.0 API)"]  # noqa: RUF012 - litestar's own attribute type

    @post(
        "/register", opt=public(), summary="Register a client (RFC 7591, no initial token)", status_code=201
    )
    async def register(self, request: Request[Any, Any, Any], db: Db, now: Now) -> Response[dict[str, Any]]:
        """Client metadata in, ``client_id`` and ``client_secret`` (shown once) out. Malformed metadata is
        400 with ``invalid_redirect_uri`` or ``invalid_client_metadata`` (RFC 7591 §3.2.2)."""
        from issuer.errors import ClientRegistrationError

        try:
            metadata = json.loads(await request.body())
        except ValueError as err:
            raise ClientRegistrationError("invalid_client_metadata", "the body is not JSON") from err
        registered = await register_client(db, metadata, now=now)
        client = registered.client
        body = {
            "client_id": client.client_id,
            "client_secret": registered.secret,
            "client_id_issued_at": int(client.created_at.timestamp()),
            "client_secret_expires_at": 0,
            "client_name": client.client_name,
            "redirect_uris": client.redirect_uris,
            "scope": " ".join(client.scopes),
            "token_endpoint_auth_method": "client_secret_basic",
            "response_types": ["code"],
            **client.details,
        }
        return Response(body, status_code=201, headers=_NO_STORE)

    @get("/authorize", opt=public(), summary="Ask the learner's consent (authorization code with PKCE S256)")
    async def authorize(self, request: Request[Any, Any, Any], db: Db, now: Now) -> Response[Any]:
        """Signed in: the consent page naming the client and the scopes in plain words. Not signed in:
        a sign-in form first. A bad client or redirect URI is shown to the learner, never redirected to."""
        params = await _params(request)
        try:
            checked = await check_authorization_request(db, params)
        except NoRedirectError as err:
            return _page("oauth_error.html", 400, message=err.detail)
        except RedirectableError as err:
            return _redirect(
                err.redirect_uri, {"error": err.error, "error_description": err.detail, "state": err.state}
            )
        signed_in = await _signed_in(request, db, now)
        if signed_in is None:
            return _page(
                "oauth_sign_in.html",
                client_name=checked.client.client_name,
                next=urlencode(params),
                message=None,
            )
        person, csrf_token, restricted = signed_in
        if restricted:
            return _page(
                "oauth_error.html",
                403,
                message="You signed in with a link or password an organisation gave you: sign in with your "
                "own password to let an application use your badges.",
            )
        return _consent(checked, person, csrf_token)

    @post(
        "/sign-in",
        opt=public(),
        summary="Sign in on the way to the consent page",
        middleware=[sign_in_rate_limit("sign_in_rate")],
        status_code=303,
    )
    async def sign_in(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, now: Now
    ) -> Response[Any]:
        """A form (email, password, next): opens a session, then back to the consent page."""
        form = await request.form()
        next_query = str(form.get("next") or "")[:4000]
        try:
            token, _, _ = await login(
                db,
                email=str(form.get("email") or "")[:254],
                password=str(form.get("password") or "")[:1000],
                now=now,
            )
        except AuthenticationRequiredError as err:
            return _page(
                "oauth_sign_in.html", 401, client_name="The application", next=next_query, message=err.detail
            )
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=token,
            httponly=True,
            secure=services.settings.cookie_secure,
            samesite="lax",
            max_age=int(SESSION_TTL.total_seconds()),
            path="/",
        )
        return Redirect(f"/oauth/authorize?{next_query}", status_code=303, cookies=[cookie])

    @post("/authorize", opt=public(), summary="The learner's decision on the consent page", status_code=303)
    async def decide(self, request: Request[Any, Any, Any], db: Db, now: Now) -> Response[Any]:
        """Approve: a code goes back to the client's redirect URI; deny: ``error=access_denied``."""
        form = await request.form()
        signed_in = await _signed_in(request, db, now)
        if signed_in is None:
            return _page(
                "oauth_error.html", 401, message="Your session has ended: start again from the application."
            )
        person, csrf_token, restricted = signed_in
        sent = str(form.get("csrf_token") or "")
        if restricted or not hmac.compare_digest(sent.encode(), csrf_token.encode()):
            return _page("oauth_error.html", 403, message="This form did not come from your session here.")
        params = await _params(request)
        try:
            checked = await check_authorization_request(db, params)
        except NoRedirectError as err:
            return _page("oauth_error.html", 400, message=err.detail)
        except RedirectableError as err:
            return _redirect(
                err.redirect_uri, {"error": err.error, "error_description": err.detail, "state": err.state}
            )
        if form.get("decision") != "approve":
            return _redirect(
                checked.redirect_uri,
                {
                    "error": "access_denied",
                    "error_description": "the learner said no",
                    "state": checked.state,
                },
            )
        code = await issue_code(db, checked, person, now=now)
        return _redirect(checked.redirect_uri, {"code": code, "state": checked.state})

    @post(
        "/token",
        opt=public(),
        summary="Tokens for a code or a refresh token (client_secret_basic)",
        status_code=200,
    )
    async def token(self, request: Request[Any, Any, Any], db: Db, now: Now) -> Response[dict[str, Any]]:
        """``grant_type=authorization_code`` (``code``, ``redirect_uri``, ``code_verifier``) or
        ``refresh_token``. Errors are RFC 6749 §5.2 JSON."""
        client = await authenticate_client(db, request.headers.get("authorization"))
        form = await request.form()
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            issued = await exchange_code(
                db,
                client,
                code=str(form.get("code") or ""),
                redirect_uri=form.get("redirect_uri"),
                code_verifier=str(form.get("code_verifier") or ""),
                now=now,
            )
        elif grant_type == "refresh_token":
            issued = await refresh_tokens(
                db,
                client,
                refresh_token=str(form.get("refresh_token") or ""),
                scope=form.get("scope"),
                now=now,
            )
        else:
            raise OAuthError("unsupported_grant_type", "grant_type: authorization_code or refresh_token")
        return Response(issued.to_json(), headers=_NO_STORE)

    @post("/revoke", opt=public(), summary="Revoke an access or refresh token (RFC 7009)", status_code=200)
    async def revoke(self, request: Request[Any, Any, Any], db: Db, now: Now) -> Response[None]:
        """200 whether or not the token was known (RFC 7009 §2.2)."""
        client = await authenticate_client(db, request.headers.get("authorization"))
        form = await request.form()
        token = form.get("token")
        if not token:
            raise OAuthError("invalid_request", "token: the token to revoke")
        await revoke_token(db, client, str(token), now=now)
        return Response(None, status_code=200, headers=_NO_STORE)
