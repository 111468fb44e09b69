"""CLR 2.0 transcripts a learner asked for, and organisations' endorsements of badge definitions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transcript",
        sa.Column("id", sa.String(60), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credential_ids", sa.JSON(), nullable=False),
        sa.Column("ldp", sa.Text(), nullable=False),
        sa.Column("list_number", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["learner_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "organisation_id", "list_number", "status_index", name="uq_transcript_status_slot"
        ),
    )
    op.create_index("ix_transcript_learner", "transcript", ["learner_id"])
    op.create_table(
        "endorsement",
        sa.Column("id", sa.String(60), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("badge_version_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_organisation_id", sa.Uuid(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("ldp", sa.Text(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("list_number", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('active', 'withdrawn')", name="ck_endorsement_state"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["badge_version_id"], ["badge_version.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["issuer_organisation_id"], ["organisation.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "organisation_id", "list_number", "status_index", name="uq_endorsement_status_slot"
        ),
    )
    op.create_index("ix_endorsement_badge_version", "endorsement", ["badge_version_id"])


def downgrade() -> None:
    op.drop_index("ix_endorsement_badge_version", table_name="endorsement")
    op.drop_table("endorsement")
    op.drop_index("ix_transcript_learner", table_name="transcript")
    op.drop_table("transcript")
