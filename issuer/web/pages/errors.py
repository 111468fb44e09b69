"""Errors on pages: the problem the API would answer, shown as a page in the visitor's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from litestar import Request, Response
from litestar.response import Redirect

from issuer.web.pages.render import render_html, translator

__all__ = ["error_page"]


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional marker: extracted now, translated when shown
    return message


_TITLES: Final = {
    400: N_("This request could not be read"),
    401: N_("Please sign in"),
    403: N_("You may not do this"),
    404: N_("Not found"),
    409: N_("This changed in the meantime"),
    410: N_("This link is no longer valid"),
    413: N_("The upload is too large"),
    415: N_("This kind of file is not accepted"),
    422: N_("Please check what you entered"),
    429: N_("Too many attempts"),
}
_DEFAULT_TITLE: Final = N_("Something went wrong")


def error_page(
    request: Request[Any, Any, Any], status: int, problem: Any, headers: Mapping[str, str]
) -> Response[Any]:
    """401 → the sign-in page (coming back here after); anything else → an error page with the problem's
    detail and field messages."""
    if status == 401 and request.method == "GET":
        return Redirect(f"/sign-in?next={quote(request.url.path)}", status_code=303)
    t = translator(request)
    detail = problem.get("detail", "") if isinstance(problem, dict) else ""
    errors = (
        [str(item.get("message", "")) for item in (problem.get("errors") or []) if isinstance(item, dict)]
        if isinstance(problem, dict)
        else []
    )
    if status == 401:
        detail = t.gettext("Your session has ended: sign in again.")
    kept = {name: value for name, value in headers.items() if name.lower().startswith("ratelimit")}
    return render_html(
        request,
        "error.html",
        {"title": t.gettext(_TITLES.get(status, _DEFAULT_TITLE)), "detail": detail, "errors": errors},
        viewer=request.state.get("viewer"),
        status=status,
        headers=kept,
    )
