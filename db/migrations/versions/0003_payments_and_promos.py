"""Stars payments, promo codes and their redemptions.

`payments` holds one row per Stars invoice (payload = a random token), paid once under a
unique `telegram_payment_charge_id`. `promo_codes` keeps the uses left, taken by one
conditional UPDATE; `promo_redemptions` is unique per (code, customer).

Revision ID: 0003
Revises: 0002
Created: 2026-01-20

Portable types, no application imports (as 0001).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", _id(), nullable=False),
        sa.Column("payload", sa.String(64), nullable=False),
        sa.Column("user_id", _id(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("stars", sa.BigInteger(), nullable=False),
        sa.Column("credit", sa.BigInteger(), nullable=False),
        sa.Column("order_token", sa.String(64), nullable=True),
        sa.Column("charge_id", sa.String(255), nullable=True),
        sa.Column("refund_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("clawback", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("refund_actor_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _at(), nullable=False),
        sa.Column("paid_at", _at(), nullable=True),
        sa.Column("refunded_at", _at(), nullable=True),
        sa.CheckConstraint("stars > 0", name="ck_payments_stars_positive"),
        sa.CheckConstraint("credit > 0", name="ck_payments_credit_positive"),
        sa.CheckConstraint("clawback >= 0", name="ck_payments_clawback_not_negative"),
        sa.CheckConstraint("purpose IN ('topup', 'shortfall')", name="ck_payments_purpose_known"),
        sa.CheckConstraint(
            "state IN ('issued', 'paid', 'refunding', 'refunded')", name="ck_payments_state_known"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_payments_user_id_users", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("payload", name="uq_payments_payload"),
        sa.UniqueConstraint("charge_id", name="uq_payments_charge_id"),
    )
    op.create_index("ix_payments_user_id_id", "payments", ["user_id", "id"])

    op.create_table(
        "promo_codes",
        sa.Column("id", _id(), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("uses_total", sa.Integer(), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("expires_at", _at(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _at(), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_promo_codes_amount_positive"),
        sa.CheckConstraint(
            "uses_left >= 0 AND uses_left <= uses_total", name="ck_promo_codes_uses_within_total"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_promo_codes"),
        sa.UniqueConstraint("code", name="uq_promo_codes_code"),
    )

    op.create_table(
        "promo_redemptions",
        sa.Column("id", _id(), nullable=False),
        sa.Column("promo_id", _id(), nullable=False),
        sa.Column("user_id", _id(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _at(), nullable=False),
        sa.ForeignKeyConstraint(
            ["promo_id"],
            ["promo_codes.id"],
            name="fk_promo_redemptions_promo_id_promo_codes",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_promo_redemptions_user_id_users",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_promo_redemptions"),
        sa.UniqueConstraint("promo_id", "user_id", name="uq_promo_redemptions_promo_id_user_id"),
    )
    op.create_index("ix_promo_redemptions_user_id", "promo_redemptions", ["user_id"])


def downgrade() -> None:
    op.drop_table("promo_redemptions")
    op.drop_table("promo_codes")
    op.drop_table("payments")
