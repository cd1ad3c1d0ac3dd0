"""Member cards plugin: card designs, cards and their history of point and stamp changes.

The first revision of the plugin's own branch "member_cards"; it needs the core's friends and workspaces
(core_0001). Names follow the core's naming convention.

Revision ID: member_cards_0001
Revises:
Create Date: 2026-11-27 12:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "member_cards_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("member_cards",)
depends_on: str | Sequence[str] | None = "core_0001"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _workspace(table: str) -> list[Any]:
    return [
        sa.Column("workspace_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f(f"fk_{table}_workspace_id_workspaces"), ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "member_cards_designs",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("background_color", sa.String(length=7), nullable=False),
        sa.Column("text_color", sa.String(length=7), nullable=False),
        sa.Column("logo_url", sa.String(length=500), nullable=True),
        sa.Column("number_prefix", sa.String(length=10), nullable=False),
        sa.Column("number_digits", sa.Integer(), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.Column("issue_on_follow", sa.Boolean(), nullable=False),
        sa.Column("allow_negative", sa.Boolean(), nullable=False),
        sa.Column("stamp_goal", sa.Integer(), nullable=False),
        sa.Column("ranks", JSON, nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        *_workspace("member_cards_designs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_cards_designs")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_member_cards_designs_workspace_id")),
    )
    op.create_table(
        "member_cards_cards",
        sa.Column("friend_id", ID, nullable=False),
        sa.Column("member_number", sa.String(length=32), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("stamps", sa.Integer(), nullable=False),
        sa.Column("rank", sa.String(length=50), nullable=True),
        sa.Column("issued_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        *_workspace("member_cards_cards"),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_member_cards_cards_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("friend_id", name=op.f("pk_member_cards_cards")),
        sa.UniqueConstraint(
            "workspace_id", "member_number", name=op.f("uq_member_cards_cards_workspace_id_member_number")
        ),
    )
    op.create_index(
        "ix_member_cards_cards_workspace_points", "member_cards_cards", ["workspace_id", "points"], unique=False
    )
    op.create_table(
        "member_cards_history",
        sa.Column("id", ID, nullable=False),
        sa.Column("friend_id", ID, nullable=False),
        sa.Column("points_delta", sa.BigInteger(), nullable=False),
        sa.Column("stamps_delta", sa.Integer(), nullable=False),
        sa.Column("points_after", sa.BigInteger(), nullable=False),
        sa.Column("stamps_after", sa.Integer(), nullable=False),
        sa.Column("rank_after", sa.String(length=50), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        *_workspace("member_cards_history"),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_member_cards_history_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_cards_history")),
        sa.UniqueConstraint(
            "workspace_id", "idempotency_key", name=op.f("uq_member_cards_history_workspace_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_member_cards_history_workspace_friend",
        "member_cards_history",
        ["workspace_id", "friend_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_member_cards_history_workspace_friend", table_name="member_cards_history")
    op.drop_table("member_cards_history")
    op.drop_index("ix_member_cards_cards_workspace_points", table_name="member_cards_cards")
    op.drop_table("member_cards_cards")
    op.drop_table("member_cards_designs")
