"""The one mapping from errors to HTTP (STYLE.md §3.6): RFC 9457 problem+json, never a traceback.

https://www.rfc-editor.org/rfc/rfc9457#section-3

Every response body has ``type`` (``urn:mastery-badges:error:<CODE>``), ``title``, ``status``, ``detail``
and ``code``; validation problems add ``errors``, one entry per field at fault.

Two families of routes speak the error format of their own standard instead:

- the Open Badges 3.0 API (``/ims/ob/v3p0/…``) answers with an ``Imsx_StatusInfo`` object
  (https://www.imsglobal.org/spec/ob/v3p0/#imsx_statusinfo);
- OAuth 2.0 errors are ``{"error", "error_description"}`` (RFC 6749 §5.2, RFC 7591 §3.2.2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, Final

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
)
from litestar.types import ExceptionHandlersMap

from issuer.errors import ClientRegistrationError, IssuerError, OAuthError, WalletProtocolError
from issuer.web.pages.errors import error_page
from keys.errors import KeysError

__all__ = ["OB_API_PATH", "PROBLEM_JSON", "STATUS_BY_CODE", "exception_handlers", "imsx_status", "problem"]

PROBLEM_JSON: Final = "application/problem+json"
_TYPE_PREFIX: Final = "urn:mastery-badges:error:"

STATUS_BY_CODE: Final[Mapping[str, int]] = {
    "BADGE_DEFINITION_INVALID": 422,
    "BADGE_NOT_FOUND": 404,
    "NOT_ELIGIBLE": 422,
    "ALREADY_ISSUED": 409,
    "SIGNING_UNAVAILABLE": 503,
    "TRANSCRIPT_UNAVAILABLE": 503,
    "INVALID_AWARD": 422,
    "ORGANISATION_NOT_FOUND": 404,
    "ORGANISATION_EXISTS": 409,
    "INVALID_ORGANISATION": 422,
    "AUTHENTICATION_REQUIRED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "INVALID_STATE": 409,
    "INVALID_REQUEST": 422,
    "INVALID_UPLOAD": 415,
    "UPLOAD_TOO_LARGE": 413,
    "INVALID_CSV": 422,
    "INVITATION_INVALID": 410,
    "IMPORT_REFUSED": 422,
    "OAUTH_ERROR": 400,
    "INVALID_CLIENT_METADATA": 400,
    "SHARE_LINK_GONE": 410,
    "WALLET_OFFER_INVALID": 410,
    "INVALID_PRESENTATION": 422,
}
"""HTTP status per :mod:`issuer.errors` code; a code not listed is a 500."""

_log = logging.getLogger(__name__)

OB_API_PATH: Final = "/ims/ob/v3p0"
# Imsx_CodeMinorFieldValue per HTTP status, for the OB 3.0 API's error bodies.
_IMSX_MINOR: Final[Mapping[int, str]] = {
    400: "invalid_data",
    401: "unauthorizedrequest",
    403: "forbidden",
    404: "not_found",
    405: "not_allowed",
    406: "not_acceptable",
    409: "invalid_data",
    413: "invalid_data",
    415: "not_acceptable",
    429: "server_busy",
    503: "server_busy",
}
# The OB 3.0 API answers a well-formed but wrong request with 400 (its only client-error status).
_IMSX_STATUS: Final[Mapping[int, int]] = {422: 400, 409: 400}


def imsx_status(
    status: int, description: str, *, headers: Mapping[str, str] | None = None
) -> Response[dict[str, Any]]:
    """An OB 3.0 ``Imsx_StatusInfo`` error response (``imsx_codeMajor`` failure, severity error)."""
    status = _IMSX_STATUS.get(status, status)
    minor = _IMSX_MINOR.get(status, "internal_server_error" if status >= 500 else "unknown")
    body = {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_codeMinor": {
            "imsx_codeMinorField": [
                {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": minor}
            ]
        },
    }
    return Response(body, status_code=status, media_type="application/json", headers=dict(headers or {}))


def _on_ob_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith(OB_API_PATH + "/")


def _oauth_error(error: str, description: str, *, status: int) -> Response[dict[str, Any]]:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if error == "invalid_client":  # RFC 6749 §5.2: 401 with the scheme the client should use
        status = 401
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    return Response(
        {"error": error, "error_description": description},
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def problem(
    status: int,
    *,
    code: str,
    title: str,
    detail: str,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": _TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    body.update(extra or {})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def _issuer_error(request: Request[Any, Any, Any], exc: IssuerError) -> Response[dict[str, Any]]:
    status = STATUS_BY_CODE.get(exc.code, HTTP_500_INTERNAL_SERVER_ERROR)
    if status >= HTTP_500_INTERNAL_SERVER_ERROR:
        _log.error("issuer error %s: %s", exc.code, exc.detail)
    if isinstance(exc, OAuthError | ClientRegistrationError):
        return _oauth_error(exc.error, exc.detail, status=status)
    if _on_ob_api(request):
        detail = "; ".join([exc.detail, *getattr(exc, "problems", ())])
        # RFC 6750 §3: tell the client which scheme, and that its token is the problem.
        headers = {"WWW-Authenticate": 'Bearer realm="ob", error="invalid_token"'} if status == 401 else None
        return imsx_status(status, detail, headers=headers)
    problems = getattr(exc, "problems", ())  # BadgeDefinitionError: one line per file and field at fault
    return problem(
        status,
        code=exc.code,
        title=exc.code.replace("_", " ").capitalize(),
        detail=exc.detail,
        extra={"errors": [{"message": line} for line in problems]} if problems else None,
    )


# RFC 6749 §5.2 and RFC 6750 §3.1: a bad token is 401 (with WWW-Authenticate), everything else 400.
_OAUTH_STATUS: Final[Mapping[str, int]] = {
    "invalid_token": 401,
    "invalid_client": 401,
    "insufficient_scope": 403,
}


def _wallet_protocol_error(_: Request[Any, Any, Any], exc: WalletProtocolError) -> Response[dict[str, Any]]:
    # Wallets read OAuth's error JSON here, not problem+json (OpenID4VCI 1.0 §6.3, §8.3.1.2).
    status = _OAUTH_STATUS.get(exc.error, 400)
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = f'Bearer error="{exc.error}"'
    return Response(
        {"error": exc.error, "error_description": exc.detail},
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _keys_error(_: Request[Any, Any, Any], exc: KeysError) -> Response[dict[str, Any]]:
    # A key store problem is the operator's to fix; its message names paths, so it goes to the log only.
    _log.error("key store error: %s", exc)
    return problem(
        503,
        code="SIGNING_UNAVAILABLE",
        title="Keys unavailable",
        detail="the organisation's keys are unavailable",
    )


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors = [
        {key: item[key] for key in ("key", "message", "source") if key in item}
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    if _on_ob_api(request):
        named = "; ".join(f"{item.get('key', '')}: {item.get('message', '')}" for item in errors)
        return imsx_status(400, f"{exc.detail}: {named}" if named else exc.detail)
    return problem(
        exc.status_code,
        code="VALIDATION_ERROR",
        title="Invalid request",
        detail=exc.detail,
        extra={"errors": errors},
    )


def _http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if _on_ob_api(_) and exc.status_code < HTTP_500_INTERNAL_SERVER_ERROR:
        return imsx_status(exc.status_code, exc.detail, headers=exc.headers)
    if exc.status_code == HTTP_413_REQUEST_ENTITY_TOO_LARGE:
        # litestar's request_max_body_size: the same code as the evidence store's own size limits.
        return problem(
            exc.status_code,
            code="UPLOAD_TOO_LARGE",
            title="Upload too large",
            detail="the request body is larger than the service accepts",
        )
    if exc.status_code == HTTP_429_TOO_MANY_REQUESTS:
        # litestar's rate limiter (sign-in, invitation links); its RateLimit-* headers say when to retry.
        return problem(
            exc.status_code,
            code="TOO_MANY_REQUESTS",
            title="Too many requests",
            detail="too many attempts from this address: wait a minute and try again",
            headers=exc.headers,
        )
    if exc.status_code >= HTTP_500_INTERNAL_SERVER_ERROR:
        return _internal_error(_, exc)
    try:
        status = HTTPStatus(exc.status_code)
    except ValueError:  # a status the stdlib does not name
        return problem(exc.status_code, code="HTTP_ERROR", title="HTTP error", detail=exc.detail)
    return problem(exc.status_code, code=status.name, title=status.phrase, detail=exc.detail)


def _internal_error(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # The only catch-all, at the outermost boundary: log the traceback, show nothing of it.
    _log.error("unhandled error", exc_info=exc)
    if _on_ob_api(_):
        return imsx_status(HTTP_500_INTERNAL_SERVER_ERROR, "an unexpected error")
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        code="INTERNAL_ERROR",
        title="Internal error",
        detail="an unexpected error",
    )


def _is_page(request: Request[Any, Any, Any]) -> bool:
    """A route that renders pages, or (no route matched) a browser asking for HTML."""
    try:
        return bool(request.route_handler.opt.get("page"))
    except (KeyError, AttributeError):  # no route matched: litestar has no handler for the request
        return "text/html" in request.headers.get("accept", "")


def _for_pages(handler: Callable[[Request[Any, Any, Any], Any], Response[dict[str, Any]]]) -> Any:
    """The same mapping, shown as an HTML page (or a sign-in redirect) to a person using the pages."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        response = handler(request, exc)
        if not _is_page(request):
            return response
        return error_page(request, response.status_code or 500, response.content, response.headers)

    return handle


def exception_handlers() -> ExceptionHandlersMap:
    """The handlers to give ``Litestar(exception_handlers=...)``."""
    return {
        WalletProtocolError: _wallet_protocol_error,  # wallets only: never a page
        IssuerError: _for_pages(_issuer_error),
        KeysError: _for_pages(_keys_error),
        ValidationException: _for_pages(_validation_error),
        HTTPException: _for_pages(_http_error),
        Exception: _for_pages(_internal_error),
    }
