"""The DCC Learner Credential Wallet's VC-API exchange: ``POST /orgs/<slug>/exchanges/<token>``.

https://w3c-ccg.github.io/vc-api/#exchanges (as the DCC wallet speaks it, ../shared/spec/README.md §8)

The wallet opens ``dccrequest://request?request={"credentialRequestOrigin", "protocols": {"vcapi": <this
URL>}}``, POSTs ``{}`` and gets a DIDAuthentication request (challenge, domain); it POSTs
``{"verifiablePresentation": …}`` signed by its did:key and gets
``{"verifiablePresentation": {"verifiableCredential": [the badge bound to that DID]}}``.
"""

from __future__ import annotations

import json
from typing import Any, Final

from litestar import Request, Response, post
from litestar.params import FromPath

from issuer.db import get_organisation
from issuer.errors import InvalidRequestError
from issuer.services.wallet_offers import deliver_by_exchange, start_exchange
from issuer.web.auth import public, rate_limit
from issuer.web.deps import Db, Now, Svc

__all__ = ["exchange"]

_MAX_BODY: Final = 256 * 1024  # a DID authentication presentation is a few kilobytes


@post(
    "/orgs/{slug:str}/exchanges/{exchange_token:str}",
    opt=public(any_origin=True),
    middleware=[rate_limit("wallet_rate", "wallet_rate_per_minute")],
    tags=["wallets"],
    summary="VC-API exchange for the DCC Learner Credential Wallet (DID authentication, then the badge)",
    status_code=200,
    request_max_body_size=_MAX_BODY,
)
async def exchange(
    slug: FromPath[str],
    exchange_token: FromPath[str],
    request: Request[Any, Any, Any],
    db: Db,
    services: Svc,
    now: Now,
) -> Response[Any]:
    """``{}`` starts (a fresh challenge); ``{"verifiablePresentation"}`` finishes. 410
    ``WALLET_OFFER_INVALID`` for an unknown, used or expired exchange, 422 ``INVALID_PRESENTATION``
    for a presentation that does not verify."""
    organisation = await get_organisation(db, slug)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (UnicodeDecodeError, ValueError) as err:
        raise InvalidRequestError("the exchange body is not JSON") from err
    if not isinstance(body, dict) or set(body) - {"verifiablePresentation"}:
        raise InvalidRequestError('send {} to start, then {"verifiablePresentation": …}')
    if "verifiablePresentation" not in body:
        answer = await start_exchange(db, services, organisation, exchange_token, now=now)
    else:
        answer = await deliver_by_exchange(
            db, services, organisation, exchange_token, body["verifiablePresentation"], now=now
        )
    return Response(answer, media_type="application/json", headers={"Cache-Control": "no-store"})
