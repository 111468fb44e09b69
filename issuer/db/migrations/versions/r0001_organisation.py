"""The organisation table.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(63), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("did", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_organisation"),
        sa.UniqueConstraint("slug", name="uq_organisation_slug"),
        sa.UniqueConstraint("did", name="uq_organisation_did"),
        sa.CheckConstraint(
            "kind IN ('district', 'school', 'employer', 'college', 'cte_program')",
            name="ck_organisation_kind",
        ),
    )


def downgrade() -> None:
    op.drop_table("organisation")
