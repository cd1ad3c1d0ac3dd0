"""Bulk operations: one action applied to a fixed set of friends, chunk by chunk, with progress.

The set is frozen into ``bulk_operation_friends`` when the work starts, so the audience cannot change under it
and progress has a denominator. Each chunk's rows are deleted in the transaction that applies the action to
them, so what is left in that table is exactly what is still to do: a worker killed mid-operation resumes with
the next chunk, and no chunk is ever applied twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, JsonDoc, WorkspaceOwned, utcnow

BULK_STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINAL_BULK_STATUSES = ("done", "failed", "cancelled")


class BulkOperation(WorkspaceOwned, Base):
    __tablename__ = "bulk_operations"
    __table_args__ = (
        CheckConstraint(f"status IN {BULK_STATUSES!r}", name="status"),
        Index("ix_bulk_operations_workspace_id_id", "workspace_id", "id"),
        # A repeated request with the same Idempotency-Key finds the operation it made (NULLs never collide).
        Index("uq_bulk_operations_idempotency_key", "workspace_id", "idempotency_key", unique=True),
        # The sweeper looks for operations that are not finished.
        Index(
            "ix_bulk_operations_unfinished",
            "updated_at",
            postgresql_where=text("status IN ('queued', 'running')"),
            sqlite_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    action_type: Mapped[str] = mapped_column(String(120))  # e.g. "tags.add_tag"
    action_version: Mapped[int] = mapped_column(Integer)  # pinned when the operation is made
    config: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    # {"segment", "exclude", "include_blocked"} or {"friend_ids", "exclude"}, as validated from the request.
    target: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int | None] = mapped_column(Integer, default=None)  # friends frozen; None until started
    done: Mapped[int] = mapped_column(Integer, default=0)  # friends in chunks that were applied
    failed: Mapped[int] = mapped_column(Integer, default=0)  # friends in chunks whose action raised
    changed: Mapped[int] = mapped_column(Integer, default=0)  # the sum of what the action reported
    chunks_done: Mapped[int] = mapped_column(Integer, default=0)
    chunks_failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)  # the first failed chunks
    error: Mapped[str | None] = mapped_column(Text, default=None)  # why the whole operation failed
    idempotency_key: Mapped[str | None] = mapped_column(String(200), default=None)
    request_hash: Mapped[str] = mapped_column(String(64))  # tells a replay from a different request
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # a heartbeat while running


class BulkOperationFriend(Base):
    """A friend an operation still has to do. Not workspace-owned: always reached through its operation, which
    is; keeping these rows narrow keeps freezing a million friends one quick INSERT … SELECT."""

    __tablename__ = "bulk_operation_friends"

    operation_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("bulk_operations.id", ondelete="CASCADE"), primary_key=True
    )
    friend_id: Mapped[int] = mapped_column(BigId, primary_key=True)
