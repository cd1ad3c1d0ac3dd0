"""Two indexes of ``scenario_runs`` go: every step a run takes rewrites its row, and on PostgreSQL a row whose
indexed columns change gets a new entry in every index of the table, so each index is paid for at every step.
``ix_scenario_runs_due`` (``resume_at`` of live runs) served only the sweeper, which finds the scenarios with due
runs as well from ``ix_scenario_runs_scenario_due``; ``ix_scenario_runs_scenario`` (``scenario_id, status``)
served counts per scenario, which ``ix_scenario_runs_scenario_friend`` and ``uq_scenario_runs_live`` answer.

Revision ID: core_0014
Revises: core_0013
Create Date: 2026-12-07 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0014"
down_revision: str | Sequence[str] | None = "core_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status IN ('active', 'waiting')")


def upgrade() -> None:
    op.drop_index("ix_scenario_runs_due", table_name="scenario_runs")
    op.drop_index("ix_scenario_runs_scenario", table_name="scenario_runs")


def downgrade() -> None:
    op.create_index("ix_scenario_runs_scenario", "scenario_runs", ["scenario_id", "status"])
    op.create_index("ix_scenario_runs_due", "scenario_runs", ["resume_at"], postgresql_where=LIVE, sqlite_where=LIVE)
