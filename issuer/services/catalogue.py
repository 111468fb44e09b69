"""The badge catalogue in the database: every definition version the service has offered, kept for ever.

The YAML files under ``badge_defs/`` are the source for consortium badges; at start-up each published
``slug@version`` is recorded (by content hash) in ``badge_version``. A credential points at the row it
was issued under, so the meaning of an old badge stays readable after the file moves on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import func, select

from issuer.db.models import BadgeVersion, Credential
from issuer.definitions import BadgeDefinition, parse_definition
from issuer.errors import BadgeDefinitionError, BadgeNotFoundError
from issuer.services.audit import record_event

if TYPE_CHECKING:
    import uuid
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from issuer.definitions import BadgeCatalog
    from issuer.roles import Principal

__all__ = [
    "add_definition",
    "definition_of",
    "issued_counts",
    "offered_badge",
    "offered_badges",
    "record_catalogue",
    "stored_form",
]

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


async def add_definition(
    session: AsyncSession,
    catalog: BadgeCatalog,
    *,
    organisation_id: uuid.UUID,
    slug: str,
    data: object,
    actor: Principal,
    now: datetime,
) -> tuple[BadgeVersion, bool]:
    """Offer an organisation's own badge definition (validated like a file); commit.

    The same content again is accepted and changes nothing (returns ``created=False``). A new version
    must have a higher number than the organisation's last one; a consortium slug cannot be taken.

    Raises:
        BadgeDefinitionError: invalid definition (one problem per field), a consortium slug, a version
            not above the last one, or another content under an existing version.
    """
    source = f"definition {slug[:100]!r}"
    definition = parse_definition(data, slug=slug, source=source)
    if slug in catalog:
        raise BadgeDefinitionError(
            f"{slug!r} is a consortium badge from badge_defs/; choose another slug",
            problems=[f"{source}: slug: taken by a consortium definition"],
        )
    existing = await session.execute(
        select(BadgeVersion).where(BadgeVersion.content_hash == definition.content_hash)
    )
    same = existing.scalar_one_or_none()
    if same is not None:
        if same.organisation_id != organisation_id or same.slug != slug:
            raise BadgeDefinitionError(f"{source}: this content is offered under another badge already")
        return same, False
    result = await session.execute(
        select(BadgeVersion)
        .where(BadgeVersion.slug == slug)
        .order_by(BadgeVersion.version.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    latest = result.scalar_one_or_none()
    if latest is not None and latest.organisation_id != organisation_id:
        raise BadgeDefinitionError(f"{source}: slug: another organisation offers {slug!r}")
    if latest is not None and definition.version <= latest.version:
        raise BadgeDefinitionError(
            f"{source}: version: {slug}@{definition.version} exists (or is older than {latest.version}) "
            "with other content; a changed definition needs a higher version"
        )
    row = BadgeVersion(
        slug=slug,
        version=definition.version,
        content_hash=definition.content_hash,
        definition=stored_form(definition),
        source="api",
        organisation_id=organisation_id,
        created_at=now,
    )
    session.add(row)
    record_event(
        session,
        actor=actor,
        action="badge.add",
        subject_type="badge_version",
        subject_id=row.id,
        organisation_id=organisation_id,
        detail={"badge": definition.lock_key, "contentHash": definition.content_hash},
        at=now,
    )
    await session.commit()
    return row, True


async def offered_badges(
    session: AsyncSession, catalog: BadgeCatalog, *, organisation_id: uuid.UUID | None
) -> list[tuple[BadgeDefinition, BadgeVersion]]:
    """The consortium badges, plus (with an organisation) the newest version of each of its own."""
    rows = (await session.execute(select(BadgeVersion))).scalars().all()
    by_hash = {row.content_hash: row for row in rows}
    offered = [
        (definition, by_hash[definition.content_hash])
        for definition in catalog
        if definition.lock_key not in catalog.unpublished and definition.content_hash in by_hash
    ]
    own: dict[str, BadgeVersion] = {}
    for row in rows:
        mine = row.organisation_id is not None and row.organisation_id == organisation_id
        if mine and (row.slug not in own or own[row.slug].version < row.version):
            own[row.slug] = row
    offered += [(definition_of(row), row) for _, row in sorted(own.items())]
    return offered


async def issued_counts(session: AsyncSession, organisation_id: uuid.UUID) -> dict[str, int]:
    """How many credentials the organisation has issued per badge slug (any state)."""
    rows = await session.execute(
        select(Credential.badge_slug, func.count())
        .where(Credential.organisation_id == organisation_id)
        .group_by(Credential.badge_slug)
    )
    return {slug: int(count) for slug, count in rows.all()}
