"""Inflow plugin: routes, visits and each friend's first route.

The first revision of the plugin's own branch "inflow"; it needs the core's friends and workspaces.

Revision ID: inflow_0001
Revises:
Create Date: 2026-11-27 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "inflow_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("inflow",)
depends_on: str | Sequence[str] | None = "core_0002"

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _workspace_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["workspace_id"], ["workspaces.id"], name=op.f(f"fk_{table}_workspace_id_workspaces"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "inflow_routes",
        sa.Column("id", BigId, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("folder", sa.String(length=100), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column(
            "actions", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", BigId, nullable=False),
        sa.CheckConstraint("mode IN ('every', 'first_time')", name=op.f("ck_inflow_routes_mode")),
        _workspace_fk("inflow_routes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inflow_routes")),
        sa.UniqueConstraint("code", name=op.f("uq_inflow_routes_code")),
    )
    op.create_table(
        "inflow_visits",
        sa.Column("id", BigId, nullable=False),
        sa.Column("route_id", BigId, nullable=False),
        sa.Column("friend_id", BigId, nullable=True),
        sa.Column("ref", sa.String(length=16), nullable=False),
        sa.Column("visited_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attributed_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_inflow_visits_friend_id_friends"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["inflow_routes.id"], name=op.f("fk_inflow_visits_route_id_inflow_routes"), ondelete="CASCADE"
        ),
        _workspace_fk("inflow_visits"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inflow_visits")),
        sa.UniqueConstraint("workspace_id", "ref", name=op.f("uq_inflow_visits_workspace_id_ref")),
    )
    op.create_index("ix_inflow_visits_workspace_route_at", "inflow_visits", ["workspace_id", "route_id", "visited_at"])
    op.create_index("ix_inflow_visits_friend_route", "inflow_visits", ["friend_id", "route_id"])
    op.create_table(
        "inflow_first_routes",
        sa.Column("friend_id", BigId, nullable=False),
        sa.Column("route_id", BigId, nullable=False),
        sa.Column("at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", BigId, nullable=False),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_inflow_first_routes_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["inflow_routes.id"],
            name=op.f("fk_inflow_first_routes_route_id_inflow_routes"),
            ondelete="CASCADE",
        ),
        _workspace_fk("inflow_first_routes"),
        sa.PrimaryKeyConstraint("friend_id", name=op.f("pk_inflow_first_routes")),
    )
    op.create_index("ix_inflow_first_routes_workspace_route", "inflow_first_routes", ["workspace_id", "route_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_inflow_first_routes_workspace_route", table_name="inflow_first_routes")
    op.drop_table("inflow_first_routes")
    op.drop_index("ix_inflow_visits_friend_route", table_name="inflow_visits")
    op.drop_index("ix_inflow_visits_workspace_route_at", table_name="inflow_visits")
    op.drop_table("inflow_visits")
    op.drop_table("inflow_routes")
