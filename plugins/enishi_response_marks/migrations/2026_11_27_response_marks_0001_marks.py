"""Response marks plugin: marks, friends' current marks with their history, message marks and the auto rule.

The first revision of the plugin's own branch "response_marks"; it needs the core's friends and workspaces
(core_0001) and the conversation's messages (core_0002). Generated with Alembic autogenerate from
enishi_response_marks.models and reviewed; names follow the core's naming convention.

Revision ID: response_marks_0001
Revises:
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import enishi.db.base

revision: str = "response_marks_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("response_marks",)
depends_on: str | Sequence[str] | None = "core_0002"


def upgrade() -> None:
    op.create_table(
        "response_marks_marks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("label", sa.String(length=50), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_response_marks_marks_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_marks_marks")),
        sa.UniqueConstraint("workspace_id", "label", name=op.f("uq_response_marks_marks_workspace_id_label")),
    )
    op.create_table(
        "response_marks_auto_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("mark_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("mark_message", sa.Boolean(), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("mode IN ('if_none', 'always')", name=op.f("ck_response_marks_auto_rules_mode")),
        sa.ForeignKeyConstraint(
            ["mark_id"],
            ["response_marks_marks.id"],
            name=op.f("fk_response_marks_auto_rules_mark_id_response_marks_marks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_response_marks_auto_rules_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_marks_auto_rules")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_response_marks_auto_rules_workspace_id")),
    )
    op.create_table(
        "response_marks_friend_marks",
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("mark_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("set_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"],
            ["friends.id"],
            name=op.f("fk_response_marks_friend_marks_friend_id_friends"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mark_id"],
            ["response_marks_marks.id"],
            name=op.f("fk_response_marks_friend_marks_mark_id_response_marks_marks"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_response_marks_friend_marks_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("friend_id", name=op.f("pk_response_marks_friend_marks")),
    )
    op.create_index(
        "ix_response_marks_friend_marks_workspace_mark",
        "response_marks_friend_marks",
        ["workspace_id", "mark_id", "friend_id"],
        unique=False,
    )
    op.create_table(
        "response_marks_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("from_mark_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("from_label", sa.String(length=50), nullable=True),
        sa.Column("to_mark_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("to_label", sa.String(length=50), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("changed_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_response_marks_history_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_response_marks_history_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_response_marks_history")),
    )
    op.create_index(
        "ix_response_marks_history_workspace_friend",
        "response_marks_history",
        ["workspace_id", "friend_id", "id"],
        unique=False,
    )
    op.create_table(
        "response_marks_message_marks",
        sa.Column("message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("mark_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("set_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["mark_id"],
            ["response_marks_marks.id"],
            name=op.f("fk_response_marks_message_marks_mark_id_response_marks_marks"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_response_marks_message_marks_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_response_marks_message_marks_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_response_marks_message_marks")),
    )
    op.create_index(
        "ix_response_marks_message_marks_workspace_mark",
        "response_marks_message_marks",
        ["workspace_id", "mark_id", "message_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_response_marks_message_marks_workspace_mark", table_name="response_marks_message_marks")
    op.drop_table("response_marks_message_marks")
    op.drop_index("ix_response_marks_history_workspace_friend", table_name="response_marks_history")
    op.drop_table("response_marks_history")
    op.drop_index("ix_response_marks_friend_marks_workspace_mark", table_name="response_marks_friend_marks")
    op.drop_table("response_marks_friend_marks")
    op.drop_table("response_marks_auto_rules")
    op.drop_table("response_marks_marks")
