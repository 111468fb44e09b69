"""OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow, one credential issuer per
organisation (``<base_url>/orgs/<slug>``).

https://openid.net/specs/openid-4-verifiable-credential-issuance-1_0.html

The well-known documents are "inserted before any path" of the issuer identifier (OpenID4VCI §12.2.2,
RFC 8414 §3.1): the metadata of ``https://host/orgs/<slug>`` is at
``https://host/.well-known/openid-credential-issuer/orgs/<slug>``. The form wallets used before 1.0
(appended: ``…/orgs/<slug>/.well-known/openid-credential-issuer``) is served too.

These endpoints are public (the offer's secrets are the credentials) and answer errors as OAuth error
JSON (``issuer.web.errors``), which wallets read.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, Final
from urllib.parse import parse_qs

from litestar import Request, Response, get, post
from litestar.params import FromPath

from issuer.db import get_organisation
from issuer.errors import WalletProtocolError
from issuer.services.wallet_offers import (
    authorization_server_metadata,
    credential_offer,
    deliver_by_oid4vci,
    issue_access_token,
    issue_nonce,
    issuer_metadata,
)
from issuer.web.auth import public, rate_limit
from issuer.web.deps import Db, Now, Svc

__all__ = ["OID4VCI_HANDLERS"]

_NO_STORE: Final = {"Cache-Control": "no-store"}
_CACHEABLE: Final = {"Cache-Control": "public, max-age=300"}
# Each of these writes a row (a nonce, a token, a delivery): a flood from one address is cut off.
_WALLET_RATE: Final = rate_limit("wallet_rate", "wallet_rate_per_minute")
_MAX_BODY: Final = 64 * 1024  # a token request or a credential request with one proof is far smaller
_TAGS: Final = ["wallets"]
_ISSUER: Final = "/orgs/{slug:str}"


def _json(body: Any, headers: dict[str, str]) -> Response[Any]:
    return Response(body, media_type="application/json", headers=headers)


@get(
    "/.well-known/openid-credential-issuer/orgs/{slug:str}",
    opt=public(),
    tags=_TAGS,
    summary="OpenID4VCI Credential Issuer Metadata of an organisation",
)
async def credential_issuer_metadata(slug: FromPath[str], db: Db, services: Svc) -> Response[Any]:
    """The OB 3.0 credential as ``ldp_vc`` (eddsa-rdfc-2022) and as ``jwt_vc_json``."""
    organisation = await get_organisation(db, slug)
    return _json(issuer_metadata(services, organisation), _CACHEABLE)


@get(
    f"{_ISSUER}/.well-known/openid-credential-issuer",
    opt=public(),
    tags=_TAGS,
    summary="The same metadata at the appended path some wallets still use",
)
async def credential_issuer_metadata_appended(slug: FromPath[str], db: Db, services: Svc) -> Response[Any]:
    organisation = await get_organisation(db, slug)
    return _json(issuer_metadata(services, organisation), _CACHEABLE)


@get(
    "/.well-known/oauth-authorization-server/orgs/{slug:str}",
    opt=public(),
    tags=_TAGS,
    summary="OAuth 2.0 Authorization Server Metadata of an organisation's credential issuer",
)
async def oauth_server_metadata(slug: FromPath[str], db: Db, services: Svc) -> Response[Any]:
    """The token endpoint of the pre-authorized code grant (RFC 8414)."""
    organisation = await get_organisation(db, slug)
    return _json(authorization_server_metadata(services, organisation), _CACHEABLE)


@get(
    f"{_ISSUER}/oid4vci/offers/{{offer_token:str}}",
    opt=public(),
    tags=_TAGS,
    summary="A Credential Offer by reference (credential_offer_uri)",
)
async def offer_by_reference(
    slug: FromPath[str], offer_token: FromPath[str], db: Db, services: Svc, now: Now
) -> Response[Any]:
    """410 ``WALLET_OFFER_INVALID`` once the code was redeemed or the offer expired."""
    organisation = await get_organisation(db, slug)
    return _json(await credential_offer(db, services, organisation, offer_token, now=now), _NO_STORE)


def _form(request: Request[Any, Any, Any], body: bytes) -> dict[str, str]:
    media_type, _ = request.content_type
    if media_type != "application/x-www-form-urlencoded":
        raise WalletProtocolError(
            "invalid_request", "send the token request as application/x-www-form-urlencoded"
        )
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError) as err:
        raise WalletProtocolError("invalid_request", "the form body cannot be read") from err
    repeated = sorted(name for name, values in fields.items() if len(values) > 1)
    if repeated:  # RFC 6749 §3.2: parameters must not be repeated
        raise WalletProtocolError("invalid_request", f"parameters given twice: {', '.join(repeated)}")
    return {name: values[0] for name, values in fields.items()}


@post(
    f"{_ISSUER}/oid4vci/token",
    opt=public(any_origin=True),
    middleware=[_WALLET_RATE],
    tags=_TAGS,
    summary="Token endpoint: the pre-authorized code (and transaction code) for an access token",
    status_code=200,
    request_max_body_size=_MAX_BODY,
)
async def token(slug: FromPath[str], request: Request[Any, Any, Any], db: Db, now: Now) -> Response[Any]:
    """Form body ``grant_type``, ``pre-authorized_code``, ``tx_code``; errors per RFC 6749 §5.2."""
    organisation = await get_organisation(db, slug)
    form = _form(request, await request.body())
    return _json(await issue_access_token(db, organisation, form, now=now), _NO_STORE)


@post(
    f"{_ISSUER}/oid4vci/nonce",
    opt=public(any_origin=True),
    middleware=[_WALLET_RATE],
    tags=_TAGS,
    summary="Nonce endpoint: a fresh c_nonce for a proof of possession",
    status_code=200,
    request_max_body_size=_MAX_BODY,
)
async def nonce(slug: FromPath[str], db: Db, now: Now) -> Response[Any]:
    """Good for one proof, for five minutes."""
    organisation = await get_organisation(db, slug)
    return _json({"c_nonce": await issue_nonce(db, organisation, now=now)}, _NO_STORE)


def _bearer(request: Request[Any, Any, Any]) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


@post(
    f"{_ISSUER}/oid4vci/credential",
    opt=public(any_origin=True),
    middleware=[_WALLET_RATE],
    tags=_TAGS,
    summary="Credential endpoint: the badge bound to the wallet's key",
    status_code=200,
    request_max_body_size=_MAX_BODY,
)
async def credential(
    slug: FromPath[str], request: Request[Any, Any, Any], db: Db, services: Svc, now: Now
) -> Response[Any]:
    """``{"credential_configuration_id", "proofs": {"jwt": [proof]}}`` with the access token ->
    ``{"credentials": [{"credential": …}]}``."""
    organisation = await get_organisation(db, slug)
    access_token = _bearer(request)
    raw = await request.body()
    body: object = None  # not JSON: refused as "not a JSON object", after the access token is checked
    with contextlib.suppress(UnicodeDecodeError, ValueError):
        body = json.loads(raw) if raw else None
    issued = await deliver_by_oid4vci(
        db, services, organisation, access_token=access_token, body=body, now=now
    )
    return _json(issued, _NO_STORE)


OID4VCI_HANDLERS: Final[list[Any]] = [
    credential_issuer_metadata,
    credential_issuer_metadata_appended,
    oauth_server_metadata,
    offer_by_reference,
    token,
    nonce,
    credential,
]
"""The OpenID4VCI route handlers, for ``issuer.web.app.ROUTE_HANDLERS``."""
