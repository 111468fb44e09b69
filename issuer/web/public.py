"""The public documents a verifier fetches: each organisation's DID document, JWKS and Profile.

did:web resolution maps ``did:web:<host>:orgs:<slug>`` to ``https://<host>/orgs/<slug>/did.json``
(https://w3c-ccg.github.io/did-method-web/#read-resolve), so these paths are part of the contract.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from issuer.db import Organisation, get_organisation
from issuer.organisations import profile_document
from issuer.settings import Settings
from issuer.web.auth import public
from keys.publish import did_document, jwks
from keys.store import KeyRecord, read_index

__all__ = ["PublicController"]

# A short max-age: a rotated or revoked key reaches verifiers within five minutes.
CACHE_CONTROL: Final = "public, max-age=300"
DID_JSON: Final = "application/did+json"


async def _organisation(state: State, slug: str) -> Organisation:
    sessions: async_sessionmaker[AsyncSession] = state.sessions
    async with sessions() as session:
        return await get_organisation(session, slug)


def _published(settings: Settings, slug: str) -> list[KeyRecord]:
    return [record for record in read_index(settings.org_keys_dir(slug)) if record.is_published]


def _document(body: dict[str, Any], media_type: str) -> Response[dict[str, Any]]:
    return Response(body, media_type=media_type, headers={"Cache-Control": CACHE_CONTROL})


class PublicController(Controller):
    """``/orgs/{slug}/…``: no authentication, cacheable."""

    path = "/orgs/{slug:str}"
    tags = ["public"]  # noqa: RUF012 - litestar's own attribute type

    @get("/did.json", opt=public(), summary="The organisation's DID document (did:web)")
    async def did_json(self, state: State, slug: FromPath[str]) -> Response[dict[str, Any]]:
        """The DID document listing the organisation's published keys under ``assertionMethod``."""
        organisation = await _organisation(state, slug)
        records = _published(state.settings, organisation.slug)
        return _document(did_document(organisation.did, records), DID_JSON)

    @get("/jwks.json", opt=public(), summary="The organisation's public keys as a JWKS")
    async def jwks_json(self, state: State, slug: FromPath[str]) -> Response[dict[str, Any]]:
        """The JSON Web Key Set, each ``kid`` the DID URL of the key."""
        organisation = await _organisation(state, slug)
        records = _published(state.settings, organisation.slug)
        return _document(dict(jwks(records, did=organisation.did)), "application/jwk-set+json")

    @get("/profile", opt=public(), summary="The organisation's Open Badges 3.0 Profile")
    async def profile(self, state: State, slug: FromPath[str]) -> Response[dict[str, Any]]:
        """The issuer ``Profile`` (JSON-LD): its id is the organisation's DID."""
        organisation = await _organisation(state, slug)
        return _document(
            profile_document(did=organisation.did, name=organisation.name), "application/ld+json"
        )
