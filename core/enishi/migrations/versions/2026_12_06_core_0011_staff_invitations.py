"""Staff are invited and accept, instead of being attached to a workspace unasked; optional two-factor sign-in.

The user columns are plain nullable ALTERs (no batch copy of the users table on SQLite).

Revision ID: core_0011
Revises: core_0010
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import enishi.db.base

revision: str = "core_0011"
down_revision: str | Sequence[str] | None = "core_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("users", sa.Column("totp_secret", sa.LargeBinary(), nullable=True))
    op.add_column("users", sa.Column("totp_pending_secret", sa.LargeBinary(), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.create_table(
        "staff_invitations",
        sa.Column("id", ID, nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("invited_by", ID, nullable=True),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", ID, nullable=False),
        sa.CheckConstraint("role IN ('owner', 'admin', 'operator', 'viewer')", name=op.f("ck_staff_invitations_role")),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'revoked')", name=op.f("ck_staff_invitations_status")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"], ["users.id"], name=op.f("fk_staff_invitations_invited_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_staff_invitations_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invitations")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_staff_invitations_email", "staff_invitations", ["email"])
    op.create_index(
        "uq_staff_invitations_pending",
        "staff_invitations",
        ["workspace_id", "email"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("uq_staff_invitations_pending", table_name="staff_invitations")
    op.drop_index("ix_staff_invitations_email", table_name="staff_invitations")
    op.drop_table("staff_invitations")
    # Native on both (SQLite 3.35+): a batch copy would drop the users table and cascade to everything.
    op.execute("ALTER TABLE users DROP COLUMN totp_last_step")
    op.execute("ALTER TABLE users DROP COLUMN totp_pending_secret")
    op.execute("ALTER TABLE users DROP COLUMN totp_secret")
