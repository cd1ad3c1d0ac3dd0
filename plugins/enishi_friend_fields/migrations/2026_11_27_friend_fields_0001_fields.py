"""Friend fields plugin: field definitions, friends' values with typed columns, uploaded files.

The first revision of the plugin's own branch "friend_fields"; it needs the core's friends and workspaces
(core_0001). Generated with Alembic autogenerate from enishi_friend_fields.models and reviewed; names follow the
core's naming convention, so a later model change can be diffed against it.

Revision ID: friend_fields_0001
Revises:
Create Date: 2026-11-27 05:26:33.606619
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "friend_fields_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("friend_fields",)
depends_on: str | Sequence[str] | None = "core_0001"


def upgrade() -> None:
    op.create_table(
        "friend_fields_definitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("label_en", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("accept", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("group_label", sa.String(length=50), nullable=True),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_friend_fields_definitions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_friend_fields_definitions")),
        sa.UniqueConstraint("workspace_id", "key", name=op.f("uq_friend_fields_definitions_workspace_id_key")),
    )
    op.create_table(
        "friend_fields_files",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("field_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["friend_fields_definitions.id"],
            name=op.f("fk_friend_fields_files_field_id_friend_fields_definitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_friend_fields_files_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_friend_fields_files_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_friend_fields_files")),
    )
    with op.batch_alter_table("friend_fields_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_friend_fields_files_field_id"), ["field_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_friend_fields_files_friend_id"), ["friend_id"], unique=False)

    op.create_table(
        "friend_fields_values",
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("field_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "value", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("value_text", sa.String(length=500), nullable=True),
        sa.Column("value_number", sa.Double(), nullable=True),
        sa.Column("value_date", sa.Date(), nullable=True),
        sa.Column("value_datetime", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("value_key", sa.Text(), nullable=True),
        sa.Column("value_sort", sa.String(length=100), nullable=True),
        sa.Column("value_file_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["friend_fields_definitions.id"],
            name=op.f("fk_friend_fields_values_field_id_friend_fields_definitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_friend_fields_values_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["value_file_id"],
            ["friend_fields_files.id"],
            name=op.f("fk_friend_fields_values_value_file_id_friend_fields_files"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_friend_fields_values_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("friend_id", "field_id", name=op.f("pk_friend_fields_values")),
    )
    with op.batch_alter_table("friend_fields_values", schema=None) as batch_op:
        batch_op.create_index("ix_friend_fields_values_field_date", ["field_id", "value_date"], unique=False)
        batch_op.create_index("ix_friend_fields_values_field_datetime", ["field_id", "value_datetime"], unique=False)
        batch_op.create_index("ix_friend_fields_values_field_number", ["field_id", "value_number"], unique=False)
        batch_op.create_index("ix_friend_fields_values_field_text", ["field_id", "value_text"], unique=False)
        batch_op.create_index(batch_op.f("ix_friend_fields_values_value_file_id"), ["value_file_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("friend_fields_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_friend_fields_values_value_file_id"))
        batch_op.drop_index("ix_friend_fields_values_field_text")
        batch_op.drop_index("ix_friend_fields_values_field_number")
        batch_op.drop_index("ix_friend_fields_values_field_datetime")
        batch_op.drop_index("ix_friend_fields_values_field_date")

    op.drop_table("friend_fields_values")
    with op.batch_alter_table("friend_fields_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_friend_fields_files_friend_id"))
        batch_op.drop_index(batch_op.f("ix_friend_fields_files_field_id"))

    op.drop_table("friend_fields_files")
    op.drop_table("friend_fields_definitions")
