"""The badge catalogue: what each organisation offers, and definitions an organisation adds itself."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody
from pydantic import ConfigDict, Field
from sqlmodel import col, select

from issuer.db import get_organisation
from issuer.db.models import BadgeVersion
from issuer.definitions import BadgeDefinition
from issuer.errors import BadgeNotFoundError
from issuer.services.catalogue import add_definition, definition_of, offered_badge, offered_badges
from issuer.services.endorsements import active_endorsements
from issuer.web.auth import org_roles, public
from issuer.web.deps import Db, Now, Org, Svc, User
from issuer.web.schemas import Strict

__all__ = ["BadgeController"]


class NewDefinition(Strict):
    # Stored and hashed as sent: a slug or key with stray spaces is refused, not trimmed.
    model_config = ConfigDict(str_strip_whitespace=False)

    slug: str = Field(min_length=1, max_length=100, description="The badge's slug (lower-case, hyphens).")
    definition: dict[str, Any] = Field(
        description="The fields of a badge definition, as in badge_defs/badges/*.yaml (see badge_defs/README.md)."
    )


def _summary(definition: BadgeDefinition, row: BadgeVersion) -> dict[str, Any]:
    return {
        "slug": definition.slug,
        "version": definition.version,
        "name": definition.name,
        "description": definition.description,
        "achievementType": definition.achievement_type,
        "requiredLevel": definition.required_level,
        "attesterRoles": list(definition.attester_roles),
        "rubric": [
            {"level": r.level, "name": r.name, "description": r.description} for r in definition.rubric
        ],
        "contentHash": definition.content_hash,
        "source": "organisation" if row.organisation_id else "consortium",
    }


class BadgeController(Controller):
    path = "/api"
    tags = ["badges"]  # noqa: RUF012 - litestar's own attribute type

    @get("/badges", opt=public(), summary="The consortium's badge definitions")
    async def consortium(self, db: Db, services: Svc) -> list[dict[str, Any]]:
        return [
            _summary(definition, row)
            for definition, row in await offered_badges(db, services.catalog, organisation_id=None)
        ]

    @get("/orgs/{slug:str}/badges", opt=public(), summary="The badges an organisation issues")
    async def offered(self, slug: FromPath[str], db: Db, services: Svc) -> list[dict[str, Any]]:
        organisation = await get_organisation(db, slug)
        return [
            _summary(definition, row)
            for definition, row in await offered_badges(db, services.catalog, organisation_id=organisation.id)
        ]

    @get(
        "/orgs/{slug:str}/badges/{badge:str}",
        opt=public(),
        summary="One badge: today's definition and past versions",
    )
    async def badge(self, slug: FromPath[str], badge: FromPath[str], db: Db, services: Svc) -> dict[str, Any]:
        organisation = await get_organisation(db, slug)
        definition, row = await offered_badge(db, services.catalog, badge, organisation_id=organisation.id)
        versions = (
            await db.execute(
                select(BadgeVersion.version, BadgeVersion.content_hash)
                .where(BadgeVersion.slug == badge)
                .order_by(col(BadgeVersion.version))
            )
        ).all()
        if not versions:
            raise BadgeNotFoundError(f"no badge {badge[:100]!r} is offered here")
        return {
            **_summary(definition, row),
            "definition": row.definition,
            "versions": [{"version": v, "contentHash": h} for v, h in versions],
            # Signed EndorsementCredentials of today's version: embedded in the badges issued under it.
            "endorsements": await active_endorsements(db, row.id),
        }

    @post(
        "/orgs/{slug:str}/badges",
        opt=org_roles("admin", scope="org:admin"),
        summary="Add an organisation's own badge definition (or a new version of it)",
    )
    async def add(
        self,
        data: JSONBody[NewDefinition],
        organisation: Org,
        principal: User,
        db: Db,
        services: Svc,
        now: Now,
    ) -> Response[dict[str, Any]]:
        """201 with the definition's summary; 200 when the same content was offered already."""
        row, created = await add_definition(
            db,
            services.catalog,
            organisation_id=organisation.id,
            slug=data.slug,
            data=data.definition,
            actor=principal,
            now=now,
        )
        body = _summary(definition_of(row), row)
        return Response(body, status_code=201 if created else 200)
