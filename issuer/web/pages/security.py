"""Response headers every answer carries: a strict Content-Security-Policy and its companions.

Pages load only this site's stylesheet and script (no inline script or style, so an injected
``<script>`` or ``style=`` does nothing), images from here or ``data:``; forms post only here; no site
may frame a page. ``Referrer-Policy: same-origin`` keeps share-link tokens out of other sites' logs (``no-referrer``
would also blank the Origin of our own forms, which sign-in checks).
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Response

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
    """An ``after_request`` hook adding the headers (HSTS only when the service is served over https)."""

    async def add(response: Response[Any]) -> Response[Any]:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if hsts:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return add
