"""Saved segments: the friend list's tabs (検索条件の保存), shared with the workspace or private to one staff member."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, JsonDoc, WorkspaceOwned, utcnow


class SavedSegment(WorkspaceOwned, Base):
    """A tab of the friend list: which friends (segment, exclude, follow state), which columns, in which order.

    The segment is kept as written even when what it names is deleted later: the tab still opens and reports
    its problems, so nobody loses a carefully built filter to a deleted tag.
    """

    __tablename__ = "saved_segments"
    __table_args__ = (
        CheckConstraint("status IN ('following', 'blocked', 'all')", name="status"),
        Index("ix_saved_segments_workspace_position", "workspace_id", "position"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    segment: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    exclude: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, default=None)
    status: Mapped[str] = mapped_column(String(16), default="following")
    # Friend field columns ("<source>.<key>"); NULL shows the default columns (pinned tags).
    columns: Mapped[list[str] | None] = mapped_column(JsonDoc, default=None)
    sort: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # {"by": ..., "direction": "asc" | "desc"}
    # NULL: shared with the workspace's staff; otherwise only its owner sees it. Gone with its owner's account.
    owner_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True, default=None
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
