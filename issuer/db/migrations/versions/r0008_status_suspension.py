"""One status entry per badge by default (Open Badges 3.0 allows one): suspension becomes an
organisation's choice, and each credential records whether it carries a suspension entry.

Badges issued before this revision carry both entries (revocation and suspension), so they stay
suspendable; the organisations that issued them keep issuing both until an admin turns it off.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation") as table:
        table.add_column(sa.Column("suspension", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("credential") as table:
        table.add_column(sa.Column("suspendable", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE credential SET suspendable = TRUE"))
    # An organisation that has issued badges (all with both entries) goes on as before.
    op.execute(
        sa.text(
            "UPDATE organisation SET suspension = TRUE WHERE id IN (SELECT organisation_id FROM credential)"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("credential") as table:
        table.drop_column("suspendable")
    with op.batch_alter_table("organisation") as table:
        table.drop_column("suspension")
