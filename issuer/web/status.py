"""The organisations' signed Bitstring Status List credentials, at the URLs their credentials name."""

from __future__ import annotations

from typing import Final

from litestar import Controller, Response, get
from litestar.params import FromPath
from sqlmodel import select

from issuer.db import get_organisation
from issuer.db.models import STATUS_PURPOSES, StatusList
from issuer.errors import NotFoundError
from issuer.web.auth import public
from issuer.web.deps import Db

__all__ = ["StatusListController"]

# Short: a revocation reaches verifiers within a minute, while a busy verifier still fetches it rarely.
CACHE_CONTROL: Final = "public, max-age=60"


class StatusListController(Controller):
    path = "/orgs/{slug:str}/status"
    tags = ["public"]  # noqa: RUF012 - litestar's own attribute type

    @get("/{purpose:str}/{number:int}", opt=public(), summary="A signed Bitstring Status List credential")
    async def status_list(
        self, slug: FromPath[str], purpose: FromPath[str], number: FromPath[int], db: Db
    ) -> Response[bytes]:
        """The list credential exactly as signed (re-signed whenever one of its bits changes)."""
        if purpose not in STATUS_PURPOSES:
            raise NotFoundError(f"status lists are {' or '.join(STATUS_PURPOSES)}, not {purpose[:40]!r}")
        organisation = await get_organisation(db, slug)
        result = await db.execute(
            select(StatusList.credential).where(
                StatusList.organisation_id == organisation.id,
                StatusList.purpose == purpose,
                StatusList.number == number,
            )
        )
        text = result.scalar_one_or_none()
        if text is None:
            raise NotFoundError(f"{slug} has no {purpose} list {number}")
        return Response(
            text.encode("utf-8"),
            media_type="application/vc+ld+json",
            headers={"Cache-Control": CACHE_CONTROL},
        )
