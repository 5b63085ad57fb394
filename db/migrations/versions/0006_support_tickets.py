"""Support tickets: a customer's conversation with the shop, and its messages with where
each stands in the operators' chat (a reply to any of them there answers the ticket).

Revision ID: 0006
Revises: 0005
Created: 2026-12-02

Portable types, no application imports (as 0001).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "support_tickets",
        sa.Column("id", _id(), nullable=False),
        sa.Column("user_id", _id(), nullable=False),
        sa.Column("order_id", _id(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("assignee_name", sa.String(64), nullable=True),
        sa.Column("thread_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_message_id", sa.BigInteger(), nullable=True),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("answered_at"),
        _when("closed_at"),
        sa.CheckConstraint(
            "state IN ('open', 'answered', 'closed')", name="ck_support_tickets_state_known"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_support_tickets_user_id_users", ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name="fk_support_tickets_order_id_orders",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_support_tickets"),
    )
    op.create_index("ix_support_tickets_user_id_id", "support_tickets", ["user_id", "id"])
    op.create_index(
        "ix_support_tickets_state_answered_at", "support_tickets", ["state", "answered_at"]
    )
    op.create_table(
        "support_messages",
        sa.Column("id", _id(), nullable=False),
        sa.Column("ticket_id", _id(), nullable=False),
        sa.Column("user_id", _id(), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("photo", sa.String(256), nullable=True),
        sa.Column("operator_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("operator_message_id", sa.BigInteger(), nullable=True),
        _when("created_at", nullable=False),
        sa.CheckConstraint(
            "author IN ('customer', 'operator', 'note')", name="ck_support_messages_author_known"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["support_tickets.id"],
            name="fk_support_messages_ticket_id_support_tickets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_support_messages_user_id_users", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_support_messages"),
        sa.UniqueConstraint(
            "operator_chat_id",
            "operator_message_id",
            name="uq_support_messages_operator_chat_id_operator_message_id",
        ),
    )
    op.create_index("ix_support_messages_ticket_id_id", "support_messages", ["ticket_id", "id"])
    op.create_index(
        "ix_support_messages_user_id_created_at", "support_messages", ["user_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_support_messages_user_id_created_at", table_name="support_messages")
    op.drop_index("ix_support_messages_ticket_id_id", table_name="support_messages")
    op.drop_table("support_messages")
    op.drop_index("ix_support_tickets_state_answered_at", table_name="support_tickets")
    op.drop_index("ix_support_tickets_user_id_id", table_name="support_tickets")
    op.drop_table("support_tickets")
