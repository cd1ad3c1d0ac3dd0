"""Tags plugin: tag folders, tags and friend↔tag links.

The first revision of the plugin's own branch "tags"; it needs the core's friends and workspaces (core_0001).
Generated with Alembic autogenerate from enishi_tags.models and reviewed; names follow the core's naming
convention, so a later model change can be diffed against it.

Revision ID: tags_0001
Revises:
Create Date: 2026-11-22 12:32:56.777583
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import enishi.db.base

revision: str = "tags_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("tags",)
depends_on: str | Sequence[str] | None = "core_0001"


def upgrade() -> None:
    op.create_table(
        "tags_folders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_tags_folders_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags_folders")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_tags_folders_workspace_id_name")),
    )
    op.create_table(
        "tags_tags",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("folder_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"], ["tags_folders.id"], name=op.f("fk_tags_tags_folder_id_tags_folders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_tags_tags_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags_tags")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_tags_tags_workspace_id_name")),
    )
    with op.batch_alter_table("tags_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tags_tags_folder_id"), ["folder_id"], unique=False)

    op.create_table(
        "tags_friend_tags",
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("added_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_tags_friend_tags_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags_tags.id"], name=op.f("fk_tags_friend_tags_tag_id_tags_tags"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_tags_friend_tags_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("friend_id", "tag_id", name=op.f("pk_tags_friend_tags")),
    )
    with op.batch_alter_table("tags_friend_tags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tags_friend_tags_workspace_tag_friend", ["workspace_id", "tag_id", "friend_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tags_friend_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_tags_friend_tags_workspace_tag_friend")

    op.drop_table("tags_friend_tags")
    with op.batch_alter_table("tags_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tags_tags_folder_id"))

    op.drop_table("tags_tags")
    op.drop_table("tags_folders")
