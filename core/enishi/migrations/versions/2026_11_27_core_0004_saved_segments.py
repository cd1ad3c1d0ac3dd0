"""Saved segments (the friend list's tabs) and the friends indexes that segment queries and sorted lists need.

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-11-27 06:01:26.865887
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "core_0004"
down_revision: str | Sequence[str] | None = "core_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_segments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "segment", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "exclude", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "columns", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column(
            "sort", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("owner_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("status IN ('following', 'blocked', 'all')", name=op.f("ck_saved_segments_status")),
        sa.ForeignKeyConstraint(
            ["created_by_user_id"],
            ["users.id"],
            name=op.f("fk_saved_segments_created_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["users.id"], name=op.f("fk_saved_segments_owner_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_saved_segments_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_segments")),
    )
    with op.batch_alter_table("saved_segments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_segments_owner_user_id"), ["owner_user_id"], unique=False)
        batch_op.create_index("ix_saved_segments_workspace_position", ["workspace_id", "position"], unique=False)

    with op.batch_alter_table("friends", schema=None) as batch_op:
        batch_op.create_index("ix_friends_workspace_display_name", ["workspace_id", "display_name"], unique=False)
        batch_op.create_index("ix_friends_workspace_last_inbound_at", ["workspace_id", "last_inbound_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("friends", schema=None) as batch_op:
        batch_op.drop_index("ix_friends_workspace_last_inbound_at")
        batch_op.drop_index("ix_friends_workspace_display_name")

    with op.batch_alter_table("saved_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_segments_workspace_position")
        batch_op.drop_index(batch_op.f("ix_saved_segments_owner_user_id"))

    op.drop_table("saved_segments")
