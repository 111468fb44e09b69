"""Response headers every answer carries: a strict Content-Security-Policy and its companions.

Pages load only this site's stylesheet and script (no inline script or style, so an injected
``<script>`` or ``style=`` does nothing), images from here or ``data:``; forms post only here; no site
may frame a page. ``Referrer-Policy: same-origin`` keeps share-link tokens out of other sites' logs (``no-referrer``
would also blank the Origin of our own forms, which sign-in checks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from litestar.datastructures import MutableScopeHeaders

if TYPE_CHECKING:
    from litestar.types import Message, Scope

__all__ = ["CONTENT_SECURITY_POLICY", "security_headers"]

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


def security_headers(hsts: bool) -> Any:
    """A ``before_send`` hook adding the headers to every answer: pages, the API, and the error pages
    the exception handlers make (an ``after_request`` hook never sees those: a 404 page had no CSP).
    HSTS only when the service is served over https."""
    defaults = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if hsts:
        defaults.append(("strict-transport-security", "max-age=31536000"))

    async def add(message: Message, _scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        message.setdefault("headers", [])  # ASGI allows a start message without them
        headers = MutableScopeHeaders.from_message(message)
        for name, value in defaults:
            if name not in headers:  # a route's own (the consent page's form-action) wins
                headers[name] = value

    return add
