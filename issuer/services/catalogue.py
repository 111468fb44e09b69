"""The badge catalogue in the database: every definition version the service has offered, kept for ever.

The YAML files under ``badge_defs/`` are the source for consortium badges; at start-up each published
``slug@version`` is recorded (by content hash) in ``badge_version``. A credential points at the row it
was issued under, so the meaning of an old badge stays readable after the file moves on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import select

from issuer.db.models import BadgeVersion
from issuer.definitions import BadgeDefinition, parse_definition
from issuer.errors import BadgeDefinitionError, BadgeNotFoundError

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.definitions import BadgeCatalog

__all__ = ["definition_of", "offered_badge", "record_catalogue"]

_PARSED: dict[str, BadgeDefinition] = {}  # by content hash: a stored definition never changes


def definition_of(row: BadgeVersion) -> BadgeDefinition:
    """The definition stored in a ``badge_version`` row (parsed once per process)."""
    parsed = _PARSED.get(row.content_hash)
    if parsed is None:
        parsed = parse_definition(
            row.definition, slug=row.slug, source=f"badge_version {row.slug}@{row.version}"
        )
        _PARSED[row.content_hash] = parsed
    return parsed


def stored_form(definition: BadgeDefinition) -> dict[str, object]:
    """The JSON a ``badge_version`` row keeps (what :func:`parse_definition` reads back, hash unchanged)."""
    return definition.model_dump(mode="json", by_alias=True, exclude={"slug"})


async def record_catalogue(session: AsyncSession, catalog: BadgeCatalog, *, now: datetime) -> int:
    """Record each published definition of the file catalogue that the database has not seen; commit.

    Returns:
        How many versions were added.

    Raises:
        BadgeDefinitionError: the database knows ``slug@version`` with another content hash (the files
            were changed under a version that was already in use).
    """
    rows = (await session.execute(select(BadgeVersion))).scalars()
    known = {(row.slug, row.version): row.content_hash for row in rows}
    added = 0
    problems = []
    for definition in catalog:
        if definition.lock_key in catalog.unpublished:
            continue  # drafts are not offered
        stored = known.get((definition.slug, definition.version))
        if stored is None:
            session.add(
                BadgeVersion(
                    slug=definition.slug,
                    version=definition.version,
                    content_hash=definition.content_hash,
                    definition=stored_form(definition),
                    source=str(catalog.source(definition.slug) or "badge_defs"),
                    created_at=now,
                )
            )
            added += 1
        elif stored != definition.content_hash:
            problems.append(
                f"{catalog.source(definition.slug)}: {definition.lock_key} is in use in the database with "
                f"content {stored}; the file now hashes to {definition.content_hash}: raise its version"
            )
    if problems:
        await session.rollback()
        raise BadgeDefinitionError("badge definitions disagree with the database", problems=problems)
    await session.commit()
    return added


async def offered_badge(
    session: AsyncSession, catalog: BadgeCatalog, slug: str, *, organisation_id: uuid.UUID
) -> tuple[BadgeDefinition, BadgeVersion]:
    """The version of ``slug`` an organisation issues today, with its database row.

    A consortium badge (from the files) comes first; otherwise the newest version the organisation added
    through the API.

    Raises:
        BadgeNotFoundError: no published badge with that slug for this organisation.
    """
    if slug in catalog:
        definition = catalog.get(slug)
        if definition.lock_key not in catalog.unpublished:
            row = (
                await session.execute(
                    select(BadgeVersion).where(BadgeVersion.content_hash == definition.content_hash)
                )
            ).scalar_one_or_none()
            if row is not None:
                return definition, row
    result = await session.execute(
        select(BadgeVersion)
        .where(BadgeVersion.slug == slug, BadgeVersion.organisation_id == organisation_id)
        .order_by(BadgeVersion.version.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    row = result.scalar_one_or_none()
    if row is None:
        raise BadgeNotFoundError(f"no badge {slug[:100]!r} is offered here")
    return definition_of(row), row
