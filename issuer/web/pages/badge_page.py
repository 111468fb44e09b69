"""The public page of a share link (``/s/<token>``): the badge, checked live, for whoever holds the link.

The page names the learner only as they chose to be named, shows their evidence only if they chose to,
and a withdrawn or expired link answers 410 without telling whose badge it was. Each view of the page is
logged with its time only (``share_opening``); the credential file and the QR image are not counted.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from markupsafe import Markup

from issuer.errors import NotFoundError, ShareLinkGoneError
from issuer.services.record import badge_svg
from issuer.services.sharing import open_share_link
from issuer.services.verification import verify_issued
from issuer.web.auth import public
from issuer.web.deps import Db, Now, Svc
from issuer.web.pages.learner import share_url
from issuer.web.pages.qr import qr_png, qr_svg
from issuer.web.pages.render import page, translator
from issuer.web.pages.verification import explain

__all__ = ["BadgePages"]

# A share link is a secret for its audience: no caching on the way, no search engine.
_PRIVATE: Final = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow"}


def _inline_svg(svg: str) -> Markup:
    """The badge image inline (the strict CSP allows no image host); our own escaped markup from ``badge_svg``."""
    body = svg.split("?>", 1)[-1].strip()
    return Markup(body.replace("<svg ", '<svg class="badge-image" role="img" focusable="false" ', 1))  # noqa: S704 - badge_svg escapes its texts


class BadgePages(Controller):
    include_in_schema = False

    @get("/s/{token:str}", opt=public(page=True))
    async def shared(
        self, request: Request[Any, Any, Any], token: FromPath[str], db: Db, services: Svc, now: Now
    ) -> Response[str]:
        t = translator(request)
        try:
            shared = await open_share_link(db, token, now=now, count=True)
        except ShareLinkGoneError as gone:
            return await page(
                request, "public/gone.html", {"withdrawn": gone.withdrawn}, status=410, headers=_PRIVATE
            )
        credential = shared.credential
        report = await verify_issued(services, credential, now=now)
        verdict_words, checks = explain(report, t)
        url = share_url(services, token)
        level = shared.definition.rubric_level(credential.level)
        names = {
            "name": shared.link.display_name,
            "badge": shared.definition.name,
            "level": level.name,
            "issuer": shared.issuer.name,
        }
        context = {
            "title": t.gettext("%(badge)s — %(name)s") % names,
            "description": t.gettext(
                "%(name)s holds the badge %(badge)s at level %(level)s, issued by %(issuer)s."
            )
            % names,
            "shared": shared,
            "level": level,
            "url": url,
            "image": _inline_svg(badge_svg(shared.definition.name, level.name)),
            "qr": qr_svg(url, label=t.gettext("QR code of this page")),
            "verdict": report.verdict,
            "verdict_words": verdict_words,
            "checks": checks,
            "token": token,
        }
        return await page(request, "public/badge.html", context, headers=_PRIVATE)

    @get("/s/{token:str}/credential.json", opt=public())
    async def credential(self, token: FromPath[str], db: Db, now: Now) -> Response[bytes]:
        """The signed JSON-LD exactly as issued (what the page's ``<link rel="alternate">`` points to)."""
        shared = await open_share_link(db, token, now=now)
        if not shared.credential.ldp:
            raise NotFoundError("this badge was issued as a VC-JWT only: it has no JSON-LD form")
        return Response(
            shared.credential.ldp.encode("utf-8"),
            media_type="application/vc+ld+json",
            headers={**_PRIVATE, "X-Content-Type-Options": "nosniff"},
        )

    @get("/s/{token:str}/qr.png", opt=public())
    async def qr(self, token: FromPath[str], db: Db, services: Svc, now: Now) -> Response[bytes]:
        """The page's QR code as a PNG, for printing (a CV, a portfolio)."""
        await open_share_link(db, token, now=now)
        return Response(qr_png(share_url(services, token)), media_type="image/png", headers=_PRIVATE)
