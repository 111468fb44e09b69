"""The invitation link's page: who invites the person to what, and accepting it (issue #6).

The token in the link is the credential, so both routes are public; accepting is rate-limited per client
address like signing in, and opens a session restricted to the inviting organisation (see
:mod:`issuer.services.invitations`). The person then lands on the review queue, which shows a supervisor
exactly what their grants cover.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath

from issuer.errors import InvalidRequestError
from issuer.services.invitations import accept_invitation, show_invitation
from issuer.services.people import SESSION_TTL, check_password_rules
from issuer.web.auth import SESSION_COOKIE, public, sign_in_rate_limit
from issuer.web.deps import Db, Now, Svc
from issuer.web.pages.forms import read_form
from issuer.web.pages.render import page, redirect, translator

__all__ = ["InvitationPages"]


def N_(message: str) -> str:  # noqa: N802 - gettext's marker: extracted now, translated when shown
    return message


_ROLE_WORDS = {"supervisor": N_("supervisor"), "teacher": N_("teacher")}


class InvitationPages(Controller):
    path = "/invitations/{token:str}"
    include_in_schema = False

    async def _show(
        self,
        request: Request[Any, Any, Any],
        token: str,
        db: Db,
        services: Svc,
        now: Now,
        *,
        name: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response[str]:
        view = await show_invitation(db, services.catalog, token, now=now)
        t = translator(request)
        context = {
            "invitation": view,
            "token": token,
            "role_words": t.gettext(_ROLE_WORDS.get(view.role, view.role)),
            "name": view.display_name if name is None else name,
            "error": error,
        }
        return await page(request, "staff/invitation.html", context, status=status)

    @get("/", opt=public(page=True))
    async def invitation(
        self, request: Request[Any, Any, Any], token: FromPath[str], db: Db, services: Svc, now: Now
    ) -> Response[str]:
        """Unknown, withdrawn or expired links: the 410 page, with one message for all three."""
        return await self._show(request, token, db, services, now)

    @post("/accept", opt=public(page=True), middleware=[sign_in_rate_limit("invitation_rate")])
    async def accept(
        self, request: Request[Any, Any, Any], token: FromPath[str], db: Db, services: Svc, now: Now
    ) -> Response[Any]:
        """A name and an optional password apply to a new account only (an existing one keeps its own);
        the password then signs in to this organisation only, as the link does."""
        form = await read_form(request)
        t = translator(request)
        name = form.text("name")
        password = form.get("password", "")
        error = None
        if not name or len(name) > 200:
            error = t.gettext("Give your name (at most 200 characters).")
        elif password:
            try:
                check_password_rules(password)
            except InvalidRequestError:
                error = t.gettext("Use a password of 12 to 1,000 characters, or leave it empty.")
        if error:
            return await self._show(request, token, db, services, now, name=name, error=error, status=422)
        accepted = await accept_invitation(
            db, services.catalog, token, now=now, display_name=name, password=password or None
        )
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=accepted.token,
            httponly=True,
            secure=services.settings.cookie_secure,
            samesite="lax",
            max_age=int(SESSION_TTL.total_seconds()),
            path="/",
        )
        if accepted.created or accepted.grants:
            message = t.gettext("Welcome, %(name)s. Here is what you may attest for %(org)s.") % {
                "name": accepted.person.display_name,
                "org": accepted.organisation.name,
            }
        else:
            message = t.gettext("Welcome back, %(name)s.") % {"name": accepted.person.display_name}
        return redirect(f"/orgs/{accepted.organisation.slug}/queue", flash=message, cookies=[cookie])
