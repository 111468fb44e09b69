"""Wallet pickup: one-time wallet offers (OpenID4VCI pre-authorized code, DCC VC-API exchange), the
OpenID4VCI nonces, and the deliveries of wallet-bound copies.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_offer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.String(length=60), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("offer_token_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("tx_code_hash", sa.String(length=64), nullable=True),
        sa.Column("tx_code_failures", sa.Integer(), nullable=False),
        sa.Column("exchange_token_hash", sa.String(length=64), nullable=False),
        sa.Column("challenge", sa.String(length=64), nullable=True),
        sa.Column("access_token_hash", sa.String(length=64), nullable=True),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('offered', 'token_issued', 'delivered', 'failed')", name="ck_wallet_offer_state"
        ),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offer_token_hash", name="uq_wallet_offer_offer_token"),
        sa.UniqueConstraint("code_hash", name="uq_wallet_offer_code"),
        sa.UniqueConstraint("exchange_token_hash", name="uq_wallet_offer_exchange_token"),
        sa.UniqueConstraint("access_token_hash", name="uq_wallet_offer_access_token"),
    )
    op.create_index("ix_wallet_offer_credential", "wallet_offer", ["credential_id"], unique=False)
    op.create_table(
        "wallet_nonce",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("nonce_hash", name="uq_wallet_nonce_hash"),
    )
    op.create_index("ix_wallet_nonce_expires", "wallet_nonce", ["expires_at"], unique=False)
    op.create_table(
        "wallet_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.String(length=60), nullable=False),
        sa.Column("delivered_id", sa.String(length=60), nullable=False),
        sa.Column("holder_did", sa.String(length=500), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("format", sa.String(length=12), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("protocol IN ('oid4vci', 'vcapi')", name="ck_wallet_delivery_protocol"),
        sa.CheckConstraint("format IN ('ldp_vc', 'jwt_vc_json')", name="ck_wallet_delivery_format"),
        sa.ForeignKeyConstraint(["offer_id"], ["wallet_offer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["credential_id"], ["credential.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("offer_id", name="uq_wallet_delivery_offer"),
    )
    op.create_index("ix_wallet_delivery_credential", "wallet_delivery", ["credential_id"], unique=False)


def downgrade() -> None:
    op.drop_table("wallet_delivery")
    op.drop_table("wallet_nonce")
    op.drop_table("wallet_offer")
