"""Scenario runs advance in batches: an index finds one version's due runs at one node, another a friend's runs of
a scenario (ended ones too, for re-entry); workspaces get their own
default quiet hours (``workspaces.quiet_hours``, None meaning 22:00–08:00).

Revision ID: core_0010
Revises: core_0009
Create Date: 2026-12-06 20:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "core_0010"
down_revision: str | Sequence[str] | None = "core_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status IN ('active', 'waiting')")


def upgrade() -> None:
    op.add_column("workspaces", sa.Column("quiet_hours", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=True))
    # "Was this friend ever in it?" (re-entry off), asked for every friend a trigger starts: without it each
    # question scans the scenario's runs, and a set of thousands goes quadratic.
    op.create_index("ix_scenario_runs_scenario_friend", "scenario_runs", ["scenario_id", "friend_id"])
    op.create_index(
        "ix_scenario_runs_node_due",
        "scenario_runs",
        ["version_id", "node_id", "resume_at"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_scenario_runs_node_due", table_name="scenario_runs")
    op.drop_index("ix_scenario_runs_scenario_friend", table_name="scenario_runs")
    op.drop_column("workspaces", "quiet_hours")
