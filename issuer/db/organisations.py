"""Reading and writing organisations; database errors become :mod:`issuer.errors` here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from issuer.db.models import Organisation
from issuer.errors import OrganisationExistsError, OrganisationNotFoundError
from issuer.organisations import check_organisation

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["create_organisation", "get_organisation", "list_organisations"]


async def get_organisation(session: AsyncSession, slug: str) -> Organisation:
    """The organisation with that slug.

    Raises:
        OrganisationNotFoundError: none has it.
    """
    result = await session.execute(select(Organisation).where(Organisation.slug == slug))
    organisation = result.scalar_one_or_none()
    if organisation is None:
        raise OrganisationNotFoundError(f"no organisation {slug[:80]!r}")
    return organisation


async def list_organisations(session: AsyncSession) -> list[Organisation]:
    """Every organisation, by slug."""
    result = await session.execute(select(Organisation).order_by(Organisation.slug))
    return list(result.scalars())


async def create_organisation(
    session: AsyncSession, *, slug: str, name: str, kind: str, did: str, now: datetime
) -> Organisation:
    """Insert an organisation and commit.

    Raises:
        InvalidOrganisationError: a malformed slug, an empty name or an unknown kind.
        OrganisationExistsError: the slug (or the DID) is taken.
    """
    check_organisation(slug=slug, name=name, kind=kind)
    organisation = Organisation(slug=slug, name=name.strip(), kind=kind, did=did, created_at=now)
    session.add(organisation)
    try:
        await session.commit()
    except IntegrityError as err:
        await session.rollback()
        raise OrganisationExistsError(f"an organisation {slug!r} exists already") from err
    return organisation
