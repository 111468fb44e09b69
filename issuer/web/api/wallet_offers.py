"""Wallet offers: a learner (for a badge of theirs) or a teacher or admin of the issuing organisation (for
a student without a phone at hand) makes a one-time QR code and links that put the badge into a wallet.

See :mod:`issuer.services.wallet_offers` and docs/wallets.md.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, post
from litestar.params import FromPath, JSONBody
from pydantic import Field

from issuer.errors import AuthenticationRequiredError
from issuer.services.wallet_offers import create_wallet_offer, offerable_credential
from issuer.web.auth import org_roles, signed_in
from issuer.web.deps import Db, Now, Org, Svc, User
from issuer.web.schemas import Strict

__all__ = ["MyWalletOfferController", "OrgWalletOfferController"]

_PATH = "/{credential_id:str}/wallet-offers"


class WalletOfferRequest(Strict):
    tx_code: bool = Field(
        default=False,
        alias="txCode",
        description="Protect the offer with a 6-digit code (shown once) the wallet asks for.",
    )


def _created(offer_json: dict[str, Any]) -> Response[dict[str, Any]]:
    # The links are bearer secrets until used: no cache may keep them.
    return Response(offer_json, status_code=201, headers={"Cache-Control": "no-store"})


class MyWalletOfferController(Controller):
    path = "/api/me/credentials"
    tags = ["wallets"]  # noqa: RUF012 - litestar's own attribute type

    @post(_PATH, opt=signed_in(scope="record:read"), summary="Put one of my badges into a wallet")
    async def create(
        self,
        credential_id: FromPath[str],
        db: Db,
        services: Svc,
        principal: User,
        now: Now,
        data: JSONBody[WalletOfferRequest | None] = None,
    ) -> Response[dict[str, Any]]:
        """An OpenID4VCI offer (QR code), a DCC wallet link, and the PIN when ``txCode`` is true."""
        if principal.person_id is None:
            raise AuthenticationRequiredError("sign in as a person")
        credential = await offerable_credential(db, principal, credential_id)
        offer = await create_wallet_offer(
            db, services, credential, created_by=principal, want_tx_code=bool(data and data.tx_code), now=now
        )
        return _created(offer.to_json())


class OrgWalletOfferController(Controller):
    path = "/api/orgs/{slug:str}/credentials"
    tags = ["wallets"]  # noqa: RUF012 - litestar's own attribute type

    @post(
        _PATH,
        opt=org_roles("admin", "teacher", scope="credentials:read"),
        summary="Put a student's badge into their wallet (staff of the issuing organisation)",
    )
    async def create(
        self,
        credential_id: FromPath[str],
        db: Db,
        services: Svc,
        principal: User,
        organisation: Org,
        now: Now,
        data: JSONBody[WalletOfferRequest | None] = None,
    ) -> Response[dict[str, Any]]:
        """The same offer as the learner's own, for a badge this organisation issued."""
        credential = await offerable_credential(db, principal, credential_id, organisation=organisation)
        offer = await create_wallet_offer(
            db, services, credential, created_by=principal, want_tx_code=bool(data and data.tx_code), now=now
        )
        return _created(offer.to_json())
