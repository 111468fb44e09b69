"""OAuth 2.0 for the Open Badges 3.0 API: ``/oauth/register``, ``/oauth/authorize`` (the consent page),
``/oauth/token`` and ``/oauth/revoke``. The rules are in ``issuer.services.oauth``.

The consent page is a page of the site (``issuer/web/pages``): not signed in, the learner signs in first
and comes back; the decision is a form carrying the session's CSRF token (checked by the guard). A session
restricted to one organisation (a password set by its staff, an invitation link) cannot consent: a
backpack would reach the learner's whole record.
"""

from __future__ import annotations

import json
from typing import Any, Final
from urllib.parse import quote, urlencode, urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from issuer.db.models import Person
from issuer.errors import AuthenticationRequiredError, ClientRegistrationError, OAuthError
from issuer.services.oauth import (
    OB_SCOPES,
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
from issuer.web.auth import public, sign_in_rate_limit, signed_in
from issuer.web.deps import Db, Now, User
from issuer.web.pages.forms import read_form
from issuer.web.pages.render import page, translator, viewer_of
from issuer.web.pages.security import CONTENT_SECURITY_POLICY

__all__ = ["OAuthController"]

_NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: The authorization request's parameters, carried through the consent form.
_REQUEST_FIELDS: Final = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def N_(message: str) -> str:  # noqa: N802 - gettext's marker: extracted now, translated when shown
    return message


#: What each scope lets the application do, in the words the consent page shows the learner.
_SCOPE_WORDS: Final = {
    OB_SCOPES[0]: N_("See your badges, including those you added from elsewhere"),
    OB_SCOPES[1]: N_("Add badges you earned elsewhere to your record (each is verified before it is kept)"),
    OB_SCOPES[2]: N_("See your name and e-mail address"),
    OB_SCOPES[3]: N_("Change the name on your profile"),
}
_RESTRICTED: Final = N_(
    "You signed in with a link or a password an organisation gave you: sign in with your own password "
    "to let an application use your badges."
)


def _redirect(uri: str, params: dict[str, str | None]) -> Redirect:
    """Back to the client's (registered, checked) redirect URI with the answer in the query (RFC 6749 §4.1.2)."""
    query = urlencode({key: value for key, value in params.items() if value is not None})
    return Redirect(uri + ("&" if urlsplit(uri).query else "?") + query, status_code=303)


def _params(source: Any) -> dict[str, str]:
    return {name: str(source.get(name))[:2000] for name in _REQUEST_FIELDS if source.get(name) is not None}


async def _refusal(request: Request[Any, Any, Any], status: int, detail: str) -> Response[str]:
    """An error page: the request cannot go back to the application (or the learner may not consent)."""
    t = translator(request)
    title = t.gettext("This application's request cannot go on")
    return await page(request, "error.html", {"title": title, "detail": detail, "errors": []}, status=status)


async def _consent(request: Request[Any, Any, Any], checked: AuthorizationRequest) -> Response[str]:
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
    t = translator(request)
    redirect = urlsplit(checked.redirect_uri)
    # The decision's answer is a redirect to the application: the form may lead there (CSP form-action
    # also governs where a form's response redirects).
    policy = CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {redirect.scheme}://{redirect.netloc}"
    )
    context = {
        "client_name": client.client_name,
        "client_host": urlsplit(client.details.get("client_uri", "")).hostname,
        "redirect_host": redirect.hostname,
        "scope_words": [t.gettext(_SCOPE_WORDS[scope]) for scope in checked.scopes],
        "fields": fields,
    }
    return await page(request, "oauth_consent.html", context, headers={"Content-Security-Policy": policy})


class OAuthController(Controller):
    path = "/oauth"
    tags = ["OAuth 2.0 (Open Badges 3.0 API)"]  # noqa: RUF012 - litestar's own attribute type

    @post(
        "/register",
        opt=public(),
        # Each registration is kept: as many a minute per address as sign-ins.
        middleware=[sign_in_rate_limit("register_rate")],
        summary="Register a client (RFC 7591, no initial token)",
        status_code=201,
    )
    async def register(self, request: Request[Any, Any, Any], db: Db, now: Now) -> Response[dict[str, Any]]:
        """Client metadata in, ``client_id`` and ``client_secret`` (shown once) out. Malformed metadata is
        400 with ``invalid_redirect_uri`` or ``invalid_client_metadata`` (RFC 7591 §3.2.2)."""
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

    @get(
        "/authorize",
        opt=public(page=True),
        summary="Ask the learner's consent (authorization code with PKCE S256)",
        include_in_schema=False,
    )
    async def authorize(self, request: Request[Any, Any, Any], db: Db) -> Response[Any]:
        """Signed in: the consent page naming the client and the scopes in plain words. Not signed in: the
        sign-in page first, coming back here. A bad client or redirect URI is shown to the learner, never
        redirected to."""
        viewer = await viewer_of(request)
        if viewer is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return Redirect(f"/sign-in?next={quote(here, safe='')}", status_code=303)
        try:
            checked = await check_authorization_request(db, _params(request.query_params))
        except NoRedirectError as err:
            return await _refusal(request, 400, err.detail)
        except RedirectableError as err:
            return _redirect(
                err.redirect_uri, {"error": err.error, "error_description": err.detail, "state": err.state}
            )
        if viewer.restricted_to is not None:
            return await _refusal(request, 403, translator(request).gettext(_RESTRICTED))
        return await _consent(request, checked)

    @post(
        "/authorize",
        opt=signed_in(page=True),
        summary="The learner's decision on the consent page",
        status_code=303,
        include_in_schema=False,
    )
    async def decide(
        self, request: Request[Any, Any, Any], db: Db, principal: User, now: Now
    ) -> Response[Any]:
        """Approve: a code goes back to the client's redirect URI; deny: ``error=access_denied``. The guard
        checked the form's CSRF token."""
        form = await read_form(request)
        if principal.token_organisation is not None:
            return await _refusal(request, 403, translator(request).gettext(_RESTRICTED))
        try:
            checked = await check_authorization_request(db, _params(form))
        except NoRedirectError as err:
            return await _refusal(request, 400, err.detail)
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
        person = await db.get(Person, principal.person_id)
        if person is None:
            raise AuthenticationRequiredError("this account no longer exists")
        code = await issue_code(db, checked, person, principal=principal, now=now)
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
