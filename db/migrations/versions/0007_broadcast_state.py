"""Broadcasts at scale: a `broadcasts` row per broadcast (state, audience, feeding cursor,
the admin's progress message) and `outbox.broadcast_id`, so a paused broadcast's rows are
left alone by the sender and its progress is counted through an index; `outbox.handed_at`,
when a broadcast row's send began (such a row is not sent again after a crash).

Broadcasts recorded before this revision (settings rows `broadcast:<id>`, every row queued
at once) keep going out; they are not reported when done.

Revision ID: 0007
Revises: 0006
Created: 2026-12-02

Portable types, no application imports (as 0001).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "'sending', 'paused', 'cancelled', 'done'"


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("cursor", _id(), nullable=False),
        sa.Column("last_user_id", _id(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("progress_message_id", sa.BigInteger(), nullable=True),
        sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_sent", sa.JSON(), nullable=True),
        sa.Column("reported", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint(f"state IN ({STATES})", name=op.f("ck_broadcasts_state_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    # ADD COLUMN (nullable, no default) is instant on both, however big the outbox is.
    op.add_column("outbox", sa.Column("broadcast_id", sa.String(32), nullable=True))
    op.add_column("outbox", sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        op.f("ix_outbox_broadcast_id_status"), "outbox", ["broadcast_id", "status"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_broadcast_id_status"), table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("handed_at")
        batch.drop_column("broadcast_id")
    op.drop_table("broadcasts")
