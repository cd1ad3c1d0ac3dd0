"""Broadcast counts in shards: ``broadcast_counts`` (sent and failed, COUNT_SHARDS rows a broadcast, so concurrent
senders do not queue on one row lock) replaces ``broadcasts.sent`` / ``failed``; ``broadcasts.skipped`` counts the
recipients left out when their batch was written.

Existing counts move to shard 0. The columns are dropped with plain ALTERs (native on SQLite 3.35+): a batch copy
of ``broadcasts`` would drop and recreate a table that others reference with ON DELETE CASCADE.

Revision ID: core_0008
Revises: core_0007
Create Date: 2026-11-28 11:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0008"
down_revision: str | Sequence[str] | None = "core_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "broadcast_counts",
        sa.Column("broadcast_id", ID, nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_counts_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_broadcast_counts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("broadcast_id", "shard", name=op.f("pk_broadcast_counts")),
    )
    op.execute(
        "INSERT INTO broadcast_counts (broadcast_id, shard, sent, failed, workspace_id) "
        "SELECT id, 0, sent, failed, workspace_id FROM broadcasts"
    )
    op.add_column("broadcasts", sa.Column("skipped", sa.Integer(), nullable=False, server_default="0"))
    op.execute("ALTER TABLE broadcasts DROP COLUMN sent")
    op.execute("ALTER TABLE broadcasts DROP COLUMN failed")


def downgrade() -> None:
    op.add_column("broadcasts", sa.Column("sent", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("broadcasts", sa.Column("failed", sa.Integer(), nullable=False, server_default="0"))
    # Skipped recipients were counted as failed before the shards.
    op.execute(
        "UPDATE broadcasts SET"
        " sent = COALESCE((SELECT SUM(c.sent) FROM broadcast_counts c WHERE c.broadcast_id = broadcasts.id), 0),"
        " failed = skipped"
        " + COALESCE((SELECT SUM(c.failed) FROM broadcast_counts c WHERE c.broadcast_id = broadcasts.id), 0)"
    )
    op.execute("ALTER TABLE broadcasts DROP COLUMN skipped")
    op.drop_table("broadcast_counts")
