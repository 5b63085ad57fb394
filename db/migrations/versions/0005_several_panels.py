"""Several panels: backups of a storefront service, and each panel's state under its name.

`service_backups` maps a storefront service to other panels' services, in order, that
take its orders when its own panel refuses for a reason about the panel. The settings
kept by a one-panel shop ("panel.<what>", "catalog.refused_since") move under the panel
`main` ("panel.main.<what>"), and orders that lost their panel row belong to `main` when
the database has one: everything of a one-panel shop becomes panel `main`.

Revision ID: 0005
Revises: 0004
Created: 2026-12-02

Portable types, no application imports (as 0001).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The one-panel keys and where they live now.
MOVED = {
    **{
        f"panel.{what}": f"panel.main.{what}"
        for what in (
            "paused_since",
            "paused_reason",
            "paused_cause",
            "paused_need",
            "paused_announced",
            "down_since",
            "down_answering",
            "balance_low",
            "refill_status_missing",
        )
    },
    "catalog.refused_since": "panel.main.catalog_refused_since",
}


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _move_keys(pairs: dict[str, str]) -> None:
    settings = sa.table("settings", sa.column("key", sa.String))
    for old, new in pairs.items():
        op.execute(settings.delete().where(settings.c.key == new))
        op.execute(settings.update().where(settings.c.key == old).values(key=new))


def upgrade() -> None:
    op.create_table(
        "service_backups",
        sa.Column("id", _id(), nullable=False),
        sa.Column("service_id", _id(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("backup_service_id", _id(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["backup_service_id"], ["services.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_id", "backup_service_id"),
    )
    op.create_index(
        "ix_service_backups_service_id_position", "service_backups", ["service_id", "position"]
    )
    _move_keys(MOVED)
    op.execute(
        "UPDATE orders SET provider_id = (SELECT id FROM providers WHERE name = 'main') "
        "WHERE provider_id IS NULL AND EXISTS (SELECT 1 FROM providers WHERE name = 'main')"
    )


def downgrade() -> None:
    _move_keys({new: old for old, new in MOVED.items()})
    op.drop_index("ix_service_backups_service_id_position", table_name="service_backups")
    op.drop_table("service_backups")
