"""Broadcast drafts: a broadcast saved without sending, to be finished, sent or deleted later; and the broadcasts
a friend received found by friend (their talk history shows them).

Revision ID: core_0017
Revises: core_0016
Create Date: 2026-12-07 21:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "core_0017"
down_revision: str | Sequence[str] | None = "core_0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "broadcast_drafts",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("messages", JSON, nullable=False),
        sa.Column("target", JSON, nullable=False),
        sa.Column("scheduled_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("allow_partial", sa.Boolean(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_broadcast_drafts_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_broadcast_drafts_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_drafts")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_broadcast_drafts_workspace_id", "broadcast_drafts", ["workspace_id", "id"])
    op.create_index("ix_broadcast_recipients_friend", "broadcast_recipients", ["friend_id", "broadcast_id"])


def downgrade() -> None:
    op.drop_index("ix_broadcast_recipients_friend", table_name="broadcast_recipients")
    op.drop_index("ix_broadcast_drafts_workspace_id", table_name="broadcast_drafts")
    op.drop_table("broadcast_drafts")
