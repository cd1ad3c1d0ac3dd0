"""The earliest due run of a scenario is found from an index (``ix_scenario_runs_scenario_due``) instead of by
sorting all its live runs: the stepper asks it before every batch, and with 100,000 runs the sort made stepping
quadratic. A request's conversation messages are found from an index (``ix_messages_request``) when LINE's answer
gives them their ids: without it every accepted push scanned the messages table.

Revision ID: core_0013
Revises: core_0012
Create Date: 2026-12-07 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0013"
down_revision: str | Sequence[str] | None = "core_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("status IN ('active', 'waiting')")
WITH_REQUEST = sa.text("request_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_scenario_runs_scenario_due",
        "scenario_runs",
        ["scenario_id", "resume_at"],
        postgresql_where=LIVE,
        sqlite_where=LIVE,
    )
    op.create_index(
        "ix_messages_request", "messages", ["request_id"], postgresql_where=WITH_REQUEST, sqlite_where=WITH_REQUEST
    )


def downgrade() -> None:
    op.drop_index("ix_messages_request", table_name="messages")
    op.drop_index("ix_scenario_runs_scenario_due", table_name="scenario_runs")
