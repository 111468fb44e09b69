"""Rendering a page: one autoescaping Jinja environment per language, the page context, redirects.

Every template extends ``base.html`` and receives ``viewer`` (who is signed in, or None), ``csrf_token``
(put it in every form as ``{{ csrf_field() }}``), ``lang`` and the ``_``/``ngettext`` gettext functions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, Final
from urllib.parse import quote, unquote, urlencode, urlsplit

from babel.dates import format_date, format_datetime
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect
from markupsafe import Markup
from sqlmodel import select

from issuer.db import Organisation
from issuer.db.models import Membership, Person
from issuer.services.context import Services
from issuer.services.people import resolve_session
from issuer.web.auth import SESSION_COOKIE
from issuer.web.pages.i18n import LANGUAGES, negotiate, translations
from issuer.web.pages.markdown import render_markdown
from issuer.web.pages.qr import qr_svg

__all__ = [
    "FLASH_COOKIE",
    "LANGUAGE_COOKIE",
    "Membership_",
    "Viewer",
    "language_of",
    "page",
    "redirect",
    "render_html",
    "safe_next",
    "translator",
    "viewer_of",
]

LANGUAGE_COOKIE: Final = "mb_lang"
FLASH_COOKIE: Final = "mb_flash"
HTML: Final = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Membership_:  # noqa: N801 - the trailing underscore keeps it apart from the database model
    organisation: str
    name: str
    role: str


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as pages show them."""

    person_id: uuid.UUID
    display_name: str
    email: str
    csrf_token: str
    memberships: list[Membership_] = field(default_factory=list)
    restricted_to: str | None = None

    def roles_in(self, slug: str) -> set[str]:
        return {m.role for m in self.memberships if m.organisation == slug}

    def has_any(self, slug: str, *roles: str) -> bool:
        """Whether the viewer holds one of ``roles`` in that organisation (templates have no set algebra)."""
        return bool(self.roles_in(slug) & set(roles))

    @property
    def organisations(self) -> list[tuple[str, str]]:
        """(slug, name) of every organisation the viewer holds a role in, once each."""
        seen: dict[str, str] = {}
        for membership in self.memberships:
            seen.setdefault(membership.organisation, membership.name)
        return list(seen.items())


async def viewer_of(request: Request[Any, Any, Any]) -> Viewer | None:
    """Who is signed in: from the guard's work on protected pages, else from the cookie if it is valid
    (public pages show the visitor's name but never refuse an expired cookie)."""
    cached = request.state.get("viewer")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    services: Services = request.app.state.services
    async with services.sessions() as session:
        found = await resolve_session(session, token, now=services.clock())
        if found is None:
            return None
        principal, web_session = found
        person = await session.get(Person, principal.person_id)
        if person is None:
            return None
        statement = (
            select(Organisation.slug, Organisation.name, Membership.role, Organisation.id)
            .join(Membership, Membership.organisation_id == Organisation.id)  # type: ignore[arg-type]
            .where(Membership.person_id == person.id)
            .order_by(Organisation.name, Membership.role)
        )
        rows = (await session.execute(statement)).all()
        restricted = web_session.organisation_id
        memberships = [
            Membership_(slug, name, role)
            for slug, name, role, org_id in rows
            if restricted is None or org_id == restricted
        ]
        restricted_slug = next((slug for slug, _, _, org_id in rows if org_id == restricted), None)
    viewer = Viewer(
        person_id=person.id,
        display_name=person.display_name,
        email=person.email,
        csrf_token=web_session.csrf_token,
        memberships=memberships,
        restricted_to=restricted_slug if restricted is not None else None,
    )
    request.state.viewer = viewer
    return viewer


def language_of(request: Request[Any, Any, Any]) -> str:
    """The page language: ``?lang=``, then the language cookie, then Accept-Language."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return negotiate(chosen, request.headers.get("accept-language"))


def translator(request: Request[Any, Any, Any]) -> Any:
    """The gettext catalogue of the request's language (``.gettext``, ``.ngettext``)."""
    return translations(language_of(request))


@cache
def _environment(language: str) -> Environment:
    environment = Environment(
        loader=PackageLoader("issuer.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    environment.filters["markdown"] = render_markdown
    environment.filters["qr_svg"] = qr_svg
    environment.filters["date"] = lambda value: format_date(value, format="medium", locale=language)
    environment.filters["datetime"] = lambda value: format_datetime(value, format="medium", locale=language)
    environment.globals["languages"] = LANGUAGES
    environment.globals["lang"] = language
    return environment


def _with_language(query: list[tuple[str, str]], code: str) -> str:
    """This page's address in another language, its other query parameters kept (an OAuth consent page
    carries its whole authorization request there)."""
    return "?" + urlencode([*query, ("lang", code)])


def _flash(request: Request[Any, Any, Any]) -> str | None:
    text = request.cookies.get(FLASH_COOKIE)
    return unquote(text)[:300] if text else None


async def page(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """Render ``template`` for this request as an HTML response."""
    viewer = await viewer_of(request)
    return render_html(request, template, context, viewer=viewer, status=status, headers=headers)


def render_html(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    viewer: Viewer | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """:func:`page` without looking the viewer up (exception handlers cannot wait for the database)."""
    language = language_of(request)
    csrf_token = viewer.csrf_token if viewer else ""
    flash = _flash(request)
    values = {
        "viewer": viewer,
        "csrf_token": csrf_token,
        "csrf_field": lambda: Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token),
        "flash": flash,
        "path": request.url.path,
        "lang_url": partial(
            _with_language, [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        ),
        "now": request.app.state.services.clock(),
        **(context or {}),
    }
    body = _environment(language).get_template(template).render(values)
    cookies = []
    if flash:
        cookies.append(Cookie(key=FLASH_COOKIE, value="", max_age=0, path="/"))
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES and chosen != request.cookies.get(LANGUAGE_COOKIE):
        cookies.append(
            Cookie(key=LANGUAGE_COOKIE, value=chosen, max_age=365 * 24 * 3600, path="/", samesite="lax")
        )
    return Response(body, status_code=status, media_type=HTML, headers=headers or {}, cookies=cookies)


def redirect(url: str, *, flash: str | None = None, cookies: list[Cookie] | None = None) -> Redirect:
    """A 303 See Other to ``url`` (after a form), with an optional one-time message for the next page.

    ``flash`` is plain text, shown escaped once on the next page.
    """
    all_cookies = list(cookies or [])
    if flash:
        all_cookies.append(
            Cookie(key=FLASH_COOKIE, value=quote(flash[:300]), path="/", httponly=True, samesite="lax")
        )
    return Redirect(url, status_code=303, cookies=all_cookies)


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target only within this site: a path, never ``//host`` or ``https://host``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
