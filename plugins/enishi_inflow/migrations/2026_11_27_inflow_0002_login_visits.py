"""Inflow plugin: the LINE user of a visit made through LINE Login before the person was a friend.

A plain nullable ALTER (no batch copy of inflow_visits on SQLite).

Revision ID: inflow_0002
Revises: inflow_0001
Create Date: 2026-11-27 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "inflow_0002"
down_revision: str | Sequence[str] | None = "inflow_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inflow_visits", sa.Column("line_user_id", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_inflow_visits_workspace_line_user", "inflow_visits", ["workspace_id", "line_user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_inflow_visits_workspace_line_user", table_name="inflow_visits")
    op.execute("ALTER TABLE inflow_visits DROP COLUMN line_user_id")  # native on both (SQLite 3.35+)
