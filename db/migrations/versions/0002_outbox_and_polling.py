"""Notification outbox; status polling bookkeeping on orders.

The `outbox` table holds every message to customers and operators, written in the same
transaction as the change it reports (bot/outbox/). Orders get the per-item error count
of status polling, its last error, and when they were flagged for operators.

Revision ID: 0002
Revises: 0001
Created: 2026-01-15

Portable types, no application imports (as 0001).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", _id(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", _id(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo", sa.String(256), nullable=True),
        sa.Column("reply_markup", sa.JSON(), nullable=True),
        sa.Column("dedupe_key", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", _at(), nullable=False),
        sa.Column("claimed_until", _at(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _at(), nullable=False),
        sa.Column("updated_at", _at(), nullable=False),
        sa.Column("sent_at", _at(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'skipped', 'dead')",
            name="ck_outbox_status_known",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_outbox_user_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )
    op.create_index("ix_outbox_status_priority_id", "outbox", ["status", "priority", "id"])
    op.create_index("ix_outbox_chat_id_status", "outbox", ["chat_id", "status"])
    op.create_index("ix_outbox_user_id", "outbox", ["user_id"])

    # ADD COLUMN works on SQLite as it is; no table rewrite needed.
    op.add_column(
        "orders",
        sa.Column("poll_errors", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.add_column("orders", sa.Column("poll_error", sa.Text(), nullable=True))
    op.add_column("orders", sa.Column("flagged_at", _at(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("flagged_at")
        batch.drop_column("poll_error")
        batch.drop_column("poll_errors")
    op.drop_table("outbox")
