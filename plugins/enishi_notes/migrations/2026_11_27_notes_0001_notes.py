"""Notes plugin: notes on friends and their edit history.

The first revision of the plugin's own branch "notes"; it needs the core's friends and workspaces (core_0001).
Generated with Alembic autogenerate from enishi_notes.models and reviewed; names follow the core's naming
convention, so a later model change can be diffed against it.

Revision ID: notes_0001
Revises:
Create Date: 2026-11-27 05:47:25.342085
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import enishi.db.base

revision: str = "notes_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("notes",)
depends_on: str | Sequence[str] | None = "core_0001"


def upgrade() -> None:
    op.create_table(
        "notes_notes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_folded", sa.Text(), nullable=False),
        sa.Column("author_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("pinned_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_notes_notes_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_notes_notes_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes_notes")),
        sa.UniqueConstraint(
            "workspace_id", "idempotency_key", name=op.f("uq_notes_notes_workspace_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("notes_notes", schema=None) as batch_op:
        batch_op.create_index("ix_notes_notes_friend_pinned_id", ["friend_id", "pinned", "id"], unique=False)
        batch_op.create_index("ix_notes_notes_workspace_id_id", ["workspace_id", "id"], unique=False)

    op.create_table(
        "notes_revisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("note_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("editor_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["note_id"], ["notes_notes.id"], name=op.f("fk_notes_revisions_note_id_notes_notes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_notes_revisions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes_revisions")),
    )
    with op.batch_alter_table("notes_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notes_revisions_note_id"), ["note_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notes_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_revisions_note_id"))

    op.drop_table("notes_revisions")
    with op.batch_alter_table("notes_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_notes_notes_workspace_id_id")
        batch_op.drop_index("ix_notes_notes_friend_pinned_id")

    op.drop_table("notes_notes")
