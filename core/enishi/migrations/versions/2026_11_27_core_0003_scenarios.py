"""Scenarios: drafts, published versions, trigger index, runs and steps.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-27 05:18:19.258945
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import enishi.db.base

revision: str = "core_0003"
down_revision: str | Sequence[str] | None = "core_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scenarios",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("folder", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "draft", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "draft_layout",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("draft_changed", sa.Boolean(), nullable=False),
        sa.Column("current_version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'active', 'stopped')", name=op.f("ck_scenarios_status")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_scenarios_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_scenarios_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
    )
    with op.batch_alter_table("scenarios", schema=None) as batch_op:
        batch_op.create_index("ix_scenarios_workspace_name", ["workspace_id", "name"], unique=False)

    op.create_table(
        "scenario_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scenario_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "document", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "layout", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("published_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("published_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_scenario_versions_published_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_scenario_versions_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_scenario_versions_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_versions")),
        sa.UniqueConstraint("scenario_id", "number", name=op.f("uq_scenario_versions_scenario_id_number")),
    )
    op.create_table(
        "scenario_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scenario_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("friend_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("resume_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resume_port", sa.String(length=40), nullable=True),
        sa.Column("wait_event", sa.String(length=100), nullable=True),
        sa.Column("wait_reason", sa.String(length=20), nullable=True),
        sa.Column("paused_from", sa.String(length=16), nullable=True),
        sa.Column("entry_node_id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", enishi.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'waiting', 'paused', 'completed', 'exited', 'stopped', 'failed')",
            name=op.f("ck_scenario_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["friend_id"], ["friends.id"], name=op.f("fk_scenario_runs_friend_id_friends"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["scenario_id"], ["scenarios.id"], name=op.f("fk_scenario_runs_scenario_id_scenarios"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["scenario_versions.id"],
            name=op.f("fk_scenario_runs_version_id_scenario_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_scenario_runs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_runs")),
    )
    with op.batch_alter_table("scenario_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scenario_runs_due",
            ["resume_at"],
            unique=False,
            postgresql_where=sa.text("status IN ('active', 'waiting')"),
            sqlite_where=sa.text("status IN ('active', 'waiting')"),
        )
        batch_op.create_index("ix_scenario_runs_friend", ["workspace_id", "friend_id", "status"], unique=False)
        batch_op.create_index("ix_scenario_runs_scenario", ["scenario_id", "status"], unique=False)
        batch_op.create_index(
            "uq_scenario_runs_live",
            ["scenario_id", "friend_id"],
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "scenario_triggers",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("scenario_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("event_name", sa.String(length=100), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["scenarios.id"],
            name=op.f("fk_scenario_triggers_scenario_id_scenarios"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["scenario_versions.id"],
            name=op.f("fk_scenario_triggers_version_id_scenario_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_scenario_triggers_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_triggers")),
    )
    with op.batch_alter_table("scenario_triggers", schema=None) as batch_op:
        batch_op.create_index("ix_scenario_triggers_event", ["workspace_id", "event_name"], unique=False)

    op.create_table(
        "scenario_steps",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("node_id", sa.String(length=36), nullable=False),
        sa.Column("visit", sa.Integer(), nullable=False),
        sa.Column("node_type", sa.String(length=120), nullable=False),
        sa.Column("port", sa.String(length=40), nullable=True),
        sa.Column(
            "result", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("started_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", enishi.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["scenario_runs.id"], name=op.f("fk_scenario_steps_run_id_scenario_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_scenario_steps_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_steps")),
        sa.UniqueConstraint("run_id", "node_id", "visit", name=op.f("uq_scenario_steps_run_id_node_id_visit")),
    )
    with op.batch_alter_table("scenario_steps", schema=None) as batch_op:
        batch_op.create_index("ix_scenario_steps_run", ["run_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scenario_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_scenario_steps_run")

    op.drop_table("scenario_steps")
    with op.batch_alter_table("scenario_triggers", schema=None) as batch_op:
        batch_op.drop_index("ix_scenario_triggers_event")

    op.drop_table("scenario_triggers")
    with op.batch_alter_table("scenario_runs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_scenario_runs_live",
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )
        batch_op.drop_index("ix_scenario_runs_scenario")
        batch_op.drop_index("ix_scenario_runs_friend")
        batch_op.drop_index(
            "ix_scenario_runs_due",
            postgresql_where=sa.text("status IN ('active', 'waiting')"),
            sqlite_where=sa.text("status IN ('active', 'waiting')"),
        )

    op.drop_table("scenario_runs")
    op.drop_table("scenario_versions")
    with op.batch_alter_table("scenarios", schema=None) as batch_op:
        batch_op.drop_index("ix_scenarios_workspace_name")

    op.drop_table("scenarios")
