"""The usual completion time of a service: the panel's own figure, and an index for ours.

`services.average_minutes` keeps the "average time" some panels send in their services
list. The index on orders (service_id, state, finished_at) lets the order card read a
service's latest completed orders without a scan.

Revision ID: 0004
Revises: 0003
Created: 2026-12-02

Portable types, no application imports (as 0001).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_orders_service_id_state_finished_at"


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("average_minutes", sa.Integer(), nullable=True))
    op.create_index(INDEX, "orders", ["service_id", "state", "finished_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="orders")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("average_minutes")
