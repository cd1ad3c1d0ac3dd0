"""Broadcasts: broadcasts, their frozen recipients, the LINE quota cache, and line_requests.broadcast_id.

line_requests only gains a nullable column and an index, both plain ALTERs: on SQLite a batch copy of that table
would drop and recreate it, and dropping it fires the ON DELETE SET NULL of messages.request_id.

Revision ID: core_0006
Revises: core_0005
Create Date: 2026-11-27 06:10:01.474260
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "core_0006"
down_revision: str | Sequence[str] | None = "core_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcast_recipients",
        sa.Column("broadcast_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("broadcast_id", "position", name=op.f("pk_broadcast_recipients")),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "messages", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "target", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("allow_partial", sa.Boolean(), nullable=False),
        sa.Column("scheduled_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("send_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("estimated_recipients", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("limited_to", sa.Integer(), nullable=True),
        sa.Column("written", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Integer(), nullable=False),
        sa.Column("lease_until", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dispatch_runs", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("delivery IN ('multicast', 'push')", name=op.f("ck_broadcasts_delivery")),
        sa.CheckConstraint(
            "status IN ('scheduled', 'sending', 'paused', 'completed', 'cancelled', 'failed')",
            name=op.f("ck_broadcasts_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_broadcasts_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_broadcasts_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
        sa.UniqueConstraint("workspace_id", "idempotency_key", name=op.f("uq_broadcasts_workspace_id_idempotency_key")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_broadcasts_live",
            ["send_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('scheduled', 'sending')"),
            sqlite_where=sa.text("status IN ('scheduled', 'sending')"),
        )
        batch_op.create_index("ix_broadcasts_workspace_id", ["workspace_id", "id"], unique=False)

    op.create_table(
        "line_quotas",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quota_type", sa.String(length=16), nullable=True),
        sa.Column("monthly_limit", sa.Integer(), nullable=True),
        sa.Column("consumption", sa.Integer(), nullable=True),
        sa.Column("fetched_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("requested_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_line_quotas_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_quotas")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_line_quotas_workspace_id")),
    )
    op.add_column(
        "line_requests", sa.Column("broadcast_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
    )
    op.create_index(
        "ix_line_requests_broadcast",
        "line_requests",
        ["broadcast_id", "status"],
        unique=False,
        postgresql_where=sa.text("broadcast_id IS NOT NULL"),
        sqlite_where=sa.text("broadcast_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_line_requests_broadcast", table_name="line_requests")
    op.execute("ALTER TABLE line_requests DROP COLUMN broadcast_id")  # native on both (SQLite 3.35+): no copy

    op.drop_table("line_quotas")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcasts_workspace_id")
        batch_op.drop_index(
            "ix_broadcasts_live",
            postgresql_where=sa.text("status IN ('scheduled', 'sending')"),
            sqlite_where=sa.text("status IN ('scheduled', 'sending')"),
        )

    op.drop_table("broadcasts")
    op.drop_table("broadcast_recipients")
