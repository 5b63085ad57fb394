"""Indexes for a big shop (100,000 customers, 1,000,000 orders): /stats reads each of its
figures from an index that holds the columns it sums (the orders' in one pass, grouped in
the index's own order), and the status poller's due orders of a panel come from an index
alone. A customer's order list, the admin's /user card and the ledger pages had theirs
already (ix_orders_user_id_id, ix_ledger_user_id_id).

Building them reads the tables once (on PostgreSQL a plain CREATE INDEX holds writes to
the table meanwhile: seconds for a million orders).

Revision ID: 0008
Revises: 0007
Created: 2026-12-03

Portable types, no application imports (as 0001).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (name, table, columns), in the order they are created.
INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    ("ix_users_stats", "users", ["created_at", "banned", "unreachable_since", "balance"]),
    ("ix_ledger_stats", "ledger", ["kind", "created_at", "amount"]),
    (
        "ix_orders_stats",
        "orders",
        [
            "state",
            "provider_id",
            "service_id",
            "created_at",
            "charge",
            "refunded",
            "provider_charge",
            "cost",
        ],
    ),
    ("ix_orders_created_at_user_id", "orders", ["created_at", "user_id"]),
    (
        "ix_orders_poll_due",
        "orders",
        ["state", "provider_id", "last_checked_at", "provider_order_id"],
    ),
    ("ix_payments_state_refunded_at", "payments", ["state", "refunded_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
