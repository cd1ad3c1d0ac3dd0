"""Messages plugin: message templates (定型文), tappable buttons' actions and their taps.

The first revision of the plugin's own branch "messages"; it needs the core's friends and workspaces (core_0001).
Names follow the core's naming convention, so a later model change can be diffed against it.

Revision ID: messages_0001
Revises:
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "messages_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("messages",)
depends_on: str | Sequence[str] | None = "core_0001"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"], ["workspaces.id"], name=op.f(f"fk_{table}_workspace_id_workspaces"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "messages_templates",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("messages", JSON, nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_user_id", ID, nullable=True),
        sa.Column("updated_by_user_id", ID, nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        _workspace_fk("messages_templates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages_templates")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_messages_templates_workspace_id_name")),
    )
    op.create_table(
        "messages_postbacks",
        sa.Column("id", ID, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("friend_id", ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("reply", JSON, nullable=True),
        sa.Column("once", sa.Boolean(), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_messages_postbacks_friend_id_friends"), ondelete="CASCADE"
        ),
        _workspace_fk("messages_postbacks"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages_postbacks")),
        sa.UniqueConstraint(
            "workspace_id",
            "idempotency_key",
            "position",
            name=op.f("uq_messages_postbacks_workspace_id_idempotency_key_position"),
        ),
        sa.UniqueConstraint("workspace_id", "token", name=op.f("uq_messages_postbacks_workspace_id_token")),
    )
    with op.batch_alter_table("messages_postbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_postbacks_friend_id"), ["friend_id"], unique=False)

    op.create_table(
        "messages_postback_taps",
        sa.Column("id", ID, nullable=False),
        sa.Column("postback_id", ID, nullable=False),
        sa.Column("friend_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("results", JSON, nullable=False),
        sa.Column("tapped_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_messages_postback_taps_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["postback_id"],
            ["messages_postbacks.id"],
            name=op.f("fk_messages_postback_taps_postback_id_messages_postbacks"),
            ondelete="CASCADE",
        ),
        _workspace_fk("messages_postback_taps"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages_postback_taps")),
        sa.UniqueConstraint(
            "workspace_id", "message_id", name=op.f("uq_messages_postback_taps_workspace_id_message_id")
        ),
    )
    with op.batch_alter_table("messages_postback_taps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_postback_taps_friend_id"), ["friend_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_messages_postback_taps_postback_id"), ["postback_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages_postback_taps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_postback_taps_postback_id"))
        batch_op.drop_index(batch_op.f("ix_messages_postback_taps_friend_id"))

    op.drop_table("messages_postback_taps")
    with op.batch_alter_table("messages_postbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_postbacks_friend_id"))

    op.drop_table("messages_postbacks")
    op.drop_table("messages_templates")
