"""Step scenarios: editable drafts, immutable published versions, and durable runs (one per friend and version).

Everything a run still has to do is in these rows: the node it is at, when it resumes and what it waits for.
The job queue only wakes workers up; the sweeper finds any run that is due and not being worked on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, JsonDoc, WorkspaceOwned, utcnow

LIVE_RUN_STATUSES = ("active", "waiting", "paused")
RUN_STATUSES = (*LIVE_RUN_STATUSES, "completed", "exited", "stopped", "failed")


class Scenario(WorkspaceOwned, Base):
    __tablename__ = "scenarios"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'active', 'stopped')", name="status"),
        Index("ix_scenarios_workspace_name", "workspace_id", "name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    folder: Mapped[str | None] = mapped_column(String(100), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    # draft: never published; active: new enrolments start on current_version; stopped: none start.
    status: Mapped[str] = mapped_column(String(16), default="draft")
    draft: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # the document being edited
    draft_layout: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)  # node positions, apart from config
    draft_changed: Mapped[bool] = mapped_column(default=True)  # the draft differs from the current version
    # No foreign key: versions are only ever deleted together with their scenario (and it would be circular).
    current_version_id: Mapped[int | None] = mapped_column(BigId, default=None)
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ScenarioVersion(WorkspaceOwned, Base):
    """A published document; never changed afterwards, so runs that started on it keep their meaning."""

    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(BigId, ForeignKey("scenarios.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    layout: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    published_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScenarioTrigger(WorkspaceOwned, Base):
    """Which domain event starts which published version at which node: the lookup done on every event."""

    __tablename__ = "scenario_triggers"
    __table_args__ = (Index("ix_scenario_triggers_event", "workspace_id", "event_name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(BigId, ForeignKey("scenarios.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(BigId, ForeignKey("scenario_versions.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(String(36))
    event_name: Mapped[str] = mapped_column(String(100))


class ScenarioRun(WorkspaceOwned, Base):
    """One friend going through one published version."""

    __tablename__ = "scenario_runs"
    __table_args__ = (
        CheckConstraint(f"status IN {RUN_STATUSES!r}", name="status"),
        # A friend is in a scenario at most once at a time, whatever the version.
        Index(
            "uq_scenario_runs_live",
            "scenario_id",
            "friend_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
        Index("ix_scenario_runs_friend", "workspace_id", "friend_id", "status"),
        # Every index here is paid for at every step (see core_0014): the sweeper finds scenarios with due runs
        # from this one too, and counts per scenario come from the (scenario, friend) ones.
        # A scenario's earliest due run: what the stepper asks before each batch.
        Index(
            "ix_scenario_runs_scenario_due",
            "scenario_id",
            "resume_at",
            postgresql_where=text("status IN ('active', 'waiting')"),
            sqlite_where=text("status IN ('active', 'waiting')"),
        ),
        Index("ix_scenario_runs_scenario_friend", "scenario_id", "friend_id"),
        # A batch: one version's due runs at one node.
        Index(
            "ix_scenario_runs_node_due",
            "version_id",
            "node_id",
            "resume_at",
            postgresql_where=text("status IN ('active', 'waiting')"),
            sqlite_where=text("status IN ('active', 'waiting')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(BigId, ForeignKey("scenarios.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(BigId, ForeignKey("scenario_versions.id", ondelete="CASCADE"))
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    # active: ``node_id`` runs when resume_at comes; waiting: the wait at ``node_id`` ends at resume_at (through
    # ``resume_port``) or earlier on ``wait_event``; paused: the friend blocked us, ``paused_from`` says what to
    # go back to on unblocking.
    node_id: Mapped[str] = mapped_column(String(36))
    resume_at: Mapped[datetime | None] = mapped_column(default=None)
    resume_port: Mapped[str | None] = mapped_column(String(40), default=None)
    wait_event: Mapped[str | None] = mapped_column(String(100), default=None)
    wait_reason: Mapped[str | None] = mapped_column(String(20), default=None)  # "node" or "quiet_hours"
    paused_from: Mapped[str | None] = mapped_column(String(16), default=None)
    entry_node_id: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(40), default="trigger")  # trigger, manual, bulk, scenario, …
    failures: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)


class ScenarioStep(WorkspaceOwned, Base):
    """One execution of one node in a run, written in the same transaction as the step's effects.

    ``visit`` counts the times the run reached the node (a loop through a wait visits it again), so the key
    (run, node, visit) names one step exactly once, and it is also the idempotency key of what the step sends.
    """

    __tablename__ = "scenario_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "node_id", "visit"),
        Index("ix_scenario_steps_run", "run_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("scenario_runs.id", ondelete="CASCADE"))
    node_id: Mapped[str] = mapped_column(String(36))
    visit: Mapped[int] = mapped_column(Integer)
    node_type: Mapped[str] = mapped_column(String(120))
    port: Mapped[str | None] = mapped_column(String(40), default=None)
    result: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
