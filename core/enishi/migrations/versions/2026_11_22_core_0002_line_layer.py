"""LINE layer: webhook events, conversations, sending requests, read markers; reply tokens on friends.

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-22 13:09:04.160610
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "core_0002"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "line_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("webhook_event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=True),
        sa.Column("line_user_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_redelivery", sa.Boolean(), nullable=False),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("received_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_line_events_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_events")),
        sa.UniqueConstraint(
            "workspace_id", "webhook_event_id", name=op.f("uq_line_events_workspace_id_webhook_event_id")
        ),
    )
    with op.batch_alter_table("line_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_line_events_unprocessed",
            ["workspace_id", "id"],
            unique=False,
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        )

    op.create_table(
        "line_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("retry_key", sa.String(length=36), nullable=True),
        sa.Column("reply_token", sa.String(length=64), nullable=True),
        sa.Column(
            "recipients", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "friend_ids", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "messages", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("line_request_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("kind IN ('reply', 'push', 'multicast')", name=op.f("ck_line_requests_kind")),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'accepted', 'failed', 'held')", name=op.f("ck_line_requests_status")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_user_id"], ["users.id"], name=op.f("fk_line_requests_sent_by_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_line_requests_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_requests")),
        sa.UniqueConstraint("retry_key", name=op.f("uq_line_requests_retry_key")),
        sa.UniqueConstraint(
            "workspace_id", "idempotency_key", name=op.f("uq_line_requests_workspace_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("line_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_line_requests_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('pending', 'sending')"),
            sqlite_where=sa.text("status IN ('pending', 'sending')"),
        )

    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column(
            "body", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("line_message_id", sa.String(length=64), nullable=True),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("sent_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("occurred_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("direction IN ('in', 'out')", name=op.f("ck_messages_direction")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["line_events.id"], name=op.f("fk_messages_event_id_line_events"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_messages_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"], ["line_requests.id"], name=op.f("fk_messages_request_id_line_requests"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_user_id"], ["users.id"], name=op.f("fk_messages_sent_by_user_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_messages_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
        sa.UniqueConstraint("workspace_id", "line_message_id", name=op.f("uq_messages_workspace_id_line_message_id")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_workspace_friend_id", ["workspace_id", "friend_id", "id"], unique=False)

    op.create_table(
        "read_markers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_read_message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_read_markers_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_read_markers_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_read_markers_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_read_markers")),
        sa.UniqueConstraint(
            "workspace_id", "user_id", "friend_id", name=op.f("uq_read_markers_workspace_id_user_id_friend_id")
        ),
    )
    with op.batch_alter_table("friends", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reply_token_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("state_changed_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("profile_fetched_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_bot_user_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("quota_exhausted_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("quota_exhausted_at")
        batch_op.drop_column("line_bot_user_id")

    with op.batch_alter_table("friends", schema=None) as batch_op:
        batch_op.drop_column("profile_fetched_at")
        batch_op.drop_column("state_changed_at")
        batch_op.drop_column("reply_token_at")
        batch_op.drop_column("reply_token")

    op.drop_table("read_markers")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_workspace_friend_id")

    op.drop_table("messages")
    with op.batch_alter_table("line_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_line_requests_due",
            postgresql_where=sa.text("status IN ('pending', 'sending')"),
            sqlite_where=sa.text("status IN ('pending', 'sending')"),
        )

    op.drop_table("line_requests")
    with op.batch_alter_table("line_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_line_events_unprocessed",
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        )

    op.drop_table("line_events")
