"""Assignment plugin: assignees, their history, round-robin pools and staff notifications.

The first revision of the plugin's own branch "assignment"; it needs the core's friends and workspaces
(core_0001). Generated with Alembic autogenerate from enishi_assignment.models and reviewed; names follow the
core's naming convention, so a later model change can be diffed against it.

Revision ID: assignment_0001
Revises:
Create Date: 2026-11-27 05:22:39.631426
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import enishi.db.base

revision: str = "assignment_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("assignment",)
depends_on: str | Sequence[str] | None = "core_0001"


def upgrade() -> None:
    op.create_table(
        "assignment_pools",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("turns", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_assignment_pools_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_pools")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_assignment_pools_workspace_id_name")),
    )
    op.create_table(
        "assignment_assignees",
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("assigned_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_assignment_assignees_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_assignment_assignees_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("friend_id", name=op.f("pk_assignment_assignees")),
    )
    with op.batch_alter_table("assignment_assignees", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignment_assignees_workspace_user_friend", ["workspace_id", "user_id", "friend_id"], unique=False
        )

    op.create_table(
        "assignment_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("from_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("to_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("changed_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("pool_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("changed_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_assignment_history_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_assignment_history_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_history")),
    )
    with op.batch_alter_table("assignment_history", schema=None) as batch_op:
        batch_op.create_index("ix_assignment_history_friend_id", ["friend_id", "id"], unique=False)

    op.create_table(
        "assignment_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"],
            ["friends.id"],
            name=op.f("fk_assignment_notifications_friend_id_friends"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_assignment_notifications_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_notifications")),
        sa.UniqueConstraint(
            "workspace_id",
            "user_id",
            "idempotency_key",
            name=op.f("uq_assignment_notifications_workspace_id_user_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("assignment_notifications", schema=None) as batch_op:
        batch_op.create_index("ix_assignment_notifications_friend_id", ["friend_id"], unique=False)
        batch_op.create_index(
            "ix_assignment_notifications_workspace_user_read_id",
            ["workspace_id", "user_id", "read_at", "id"],
            unique=False,
        )

    op.create_table(
        "assignment_pool_members",
        sa.Column("pool_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["assignment_pools.id"],
            name=op.f("fk_assignment_pool_members_pool_id_assignment_pools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_assignment_pool_members_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pool_id", "user_id", name=op.f("pk_assignment_pool_members")),
    )


def downgrade() -> None:
    op.drop_table("assignment_pool_members")
    with op.batch_alter_table("assignment_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_notifications_workspace_user_read_id")
        batch_op.drop_index("ix_assignment_notifications_friend_id")

    op.drop_table("assignment_notifications")
    with op.batch_alter_table("assignment_history", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_history_friend_id")

    op.drop_table("assignment_history")
    with op.batch_alter_table("assignment_assignees", schema=None) as batch_op:
        batch_op.drop_index("ix_assignment_assignees_workspace_user_friend")

    op.drop_table("assignment_assignees")
    op.drop_table("assignment_pools")
