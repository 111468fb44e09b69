"""Signing in and out on pages, the start page, and the account page (password change)."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.response import Redirect

from issuer.accounts import hash_password, verify_password
from issuer.db.models import Person
from issuer.errors import AuthenticationRequiredError, InvalidRequestError
from issuer.services.audit import record_event
from issuer.services.people import SESSION_TTL, check_password_rules, login, logout
from issuer.web.auth import SESSION_COOKIE, public, sign_in_rate_limit, signed_in
from issuer.web.deps import Db, Now, Svc, User
from issuer.web.pages.forms import read_form
from issuer.web.pages.render import page, redirect, safe_next, translator

__all__ = ["AccountPages"]


class AccountPages(Controller):
    include_in_schema = False

    @get("/", opt=public(page=True))
    async def home(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await page(request, "home.html")

    @get("/sign-in", opt=public(page=True))
    async def sign_in_form(self, request: Request[Any, Any, Any]) -> Response[str]:
        target = safe_next(request.query_params.get("next"))
        return await page(request, "sign_in.html", {"next": target, "email": "", "error": None})

    @post("/sign-in", opt=public(page=True), middleware=[sign_in_rate_limit("sign_in_rate")])
    async def sign_in(
        self, request: Request[Any, Any, Any], db: Db, services: Svc, now: Now
    ) -> Response[Any]:
        """Wrong e-mail or password: the form again with one message for both (no account probing)."""
        form = await read_form(request)
        target = safe_next(form.text("next"))
        email = form.text("email")
        try:
            token, _, _ = await login(db, email=email, password=form.get("password", ""), now=now)
        except AuthenticationRequiredError:
            t = translator(request)
            context = {"next": target, "email": email, "error": t.gettext("Wrong e-mail or password.")}
            return await page(request, "sign_in.html", context, status=401)
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=token,
            httponly=True,
            secure=services.settings.cookie_secure,
            samesite="lax",
            max_age=int(SESSION_TTL.total_seconds()),
            path="/",
        )
        return Redirect(target, status_code=303, cookies=[cookie])

    @post("/sign-out", opt=signed_in(page=True))
    async def sign_out(self, request: Request[Any, Any, Any], db: Db) -> Redirect:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await logout(db, token)
        return redirect("/", cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")])

    @get("/account", opt=signed_in(page=True))
    async def account(self, request: Request[Any, Any, Any]) -> Response[str]:
        return await page(request, "account.html", {"error": None})

    @post("/account/password", opt=signed_in(page=True), middleware=[sign_in_rate_limit("password_rate")])
    async def change_password(
        self, request: Request[Any, Any, Any], principal: User, db: Db, now: Now
    ) -> Response[Any]:
        """The current password proves it is the owner at the keyboard (not someone at an open laptop).
        Other sessions stay open; an organisation-restricted account stays restricted (no e-mail proof)."""
        form = await read_form(request)
        t = translator(request)
        person = await db.get(Person, principal.person_id)
        if person is None:
            raise AuthenticationRequiredError("this account no longer exists")
        current_ok = await asyncio.to_thread(verify_password, person.password_hash, form.get("current", ""))
        error = None
        if not current_ok:
            error = t.gettext("The current password is not right.")
        else:
            try:
                check_password_rules(form.get("new", ""))
            except InvalidRequestError:
                error = t.gettext("Use a new password of 12 to 1,000 characters.")
        if error:
            return await page(request, "account.html", {"error": error}, status=422)
        person.password_hash = await asyncio.to_thread(hash_password, form.get("new", ""))
        record_event(
            db,
            actor=principal,
            action="auth.password_changed",
            subject_type="person",
            subject_id=person.id,
            organisation_id=None,
            detail={},
            at=now,
        )
        await db.commit()
        return redirect("/account", flash=t.gettext("Your password was changed."))
