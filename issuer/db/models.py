"""The database tables (SQLModel). Every schema change comes with an alembic revision in migrations/."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer.organisations import KINDS

__all__ = ["Organisation"]


class Organisation(SQLModel, table=True):
    """A district, school, employer, college or CTE program: an OB 3.0 issuer ``Profile``.

    Its keys live in its own key store (``Settings.org_keys_dir(slug)``), never in the database.
    """

    __tablename__ = "organisation"
    # Named as in migrations/versions, so autogenerate sees no difference.
    __table_args__ = (
        sa.UniqueConstraint("slug", name="uq_organisation_slug"),
        sa.UniqueConstraint("did", name="uq_organisation_did"),
        sa.CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="ck_organisation_kind"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(sa_column=sa.Column(sa.String(63), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    did: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
