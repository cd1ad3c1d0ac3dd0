"""LINE Login: a workspace's login channel (secret encrypted) and the single-use states of started logins.

The workspace columns are plain nullable ALTERs (no batch copy of the workspaces table on SQLite).

Revision ID: core_0007
Revises: core_0006
Create Date: 2026-11-27 09:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import enishi.db.base

revision: str = "core_0007"
down_revision: str | Sequence[str] | None = "core_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("workspaces", sa.Column("line_login_channel_id", sa.String(length=32), nullable=True))
    op.add_column("workspaces", sa.Column("line_login_channel_secret", sa.LargeBinary(), nullable=True))
    op.create_table(
        "line_login_states",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("redirect_uri", sa.String(length=1000), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_line_login_states_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_line_login_states")),
    )
    op.create_index("ix_line_login_states_expires_at", "line_login_states", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_line_login_states_expires_at", table_name="line_login_states")
    op.drop_table("line_login_states")
    # Native on both (SQLite 3.35+): a batch copy would drop the workspaces table and cascade to everything.
    op.execute("ALTER TABLE workspaces DROP COLUMN line_login_channel_secret")
    op.execute("ALTER TABLE workspaces DROP COLUMN line_login_channel_id")
