"""Response marks, the current mark of each friend with its history, marks on inbound messages and the auto rule.

Table names carry the plugin name so plugins never collide.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi import Base, BigId, WorkspaceOwned, utcnow

LABEL_MAX = 50
SOURCES = ("manual", "bulk", "scenario", "auto")
MODES = ("if_none", "always")


class Mark(WorkspaceOwned, Base):
    """A response mark such as 要対応, with the colour the chat list and profile show it in."""

    __tablename__ = "response_marks_marks"
    __table_args__ = (UniqueConstraint("workspace_id", "label"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    label: Mapped[str] = mapped_column(String(LABEL_MAX))
    color: Mapped[str] = mapped_column(String(7))  # "#rrggbb", lower case
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FriendMark(WorkspaceOwned, Base):
    """A friend's current mark: at most one row per friend; a friend without a row has no mark."""

    __tablename__ = "response_marks_friend_marks"
    __table_args__ = (
        # Counts per mark and "friends marked X" segments, within a workspace.
        Index("ix_response_marks_friend_marks_workspace_mark", "workspace_id", "mark_id", "friend_id"),
    )

    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), primary_key=True)
    # No ON DELETE: a mark in use is only deleted after its friends were moved or cleared (with history), so a
    # delete racing a new assignment fails instead of silently dropping that friend's mark.
    mark_id: Mapped[int] = mapped_column(BigId, ForeignKey("response_marks_marks.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who set it; no foreign key, like tags: it only records who did it (staff are deactivated, not deleted).
    set_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    source: Mapped[str] = mapped_column(String(32), default="manual")


class MarkChange(WorkspaceOwned, Base):
    """One real change of a friend's mark (never a repeat of the same mark): from → to, who, how and when.

    Marks are referenced without a foreign key and their labels are copied, so the history stays readable after a
    mark is renamed or deleted.
    """

    __tablename__ = "response_marks_history"
    __table_args__ = (Index("ix_response_marks_history_workspace_friend", "workspace_id", "friend_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"))
    from_mark_id: Mapped[int | None] = mapped_column(BigId, default=None)
    from_label: Mapped[str | None] = mapped_column(String(LABEL_MAX), default=None)
    to_mark_id: Mapped[int | None] = mapped_column(BigId, default=None)
    to_label: Mapped[str | None] = mapped_column(String(LABEL_MAX), default=None)
    source: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageMark(WorkspaceOwned, Base):
    """A mark on one inbound message (e.g. 要対応 on the question still to answer); one per message."""

    __tablename__ = "response_marks_message_marks"
    __table_args__ = (Index("ix_response_marks_message_marks_workspace_mark", "workspace_id", "mark_id", "message_id"),)

    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    mark_id: Mapped[int] = mapped_column(BigId, ForeignKey("response_marks_marks.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    set_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)


class AutoRule(WorkspaceOwned, Base):
    """What to do when a friend sends a message: one row per workspace, created (switched off) by the seed."""

    __tablename__ = "response_marks_auto_rules"
    __table_args__ = (
        UniqueConstraint("workspace_id"),
        CheckConstraint("mode IN ('if_none', 'always')", name="mode"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The mark to set. Deleting it moves the rule to the replacement mark, or switches the rule off.
    mark_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("response_marks_marks.id", ondelete="SET NULL"), default=None
    )
    mode: Mapped[str] = mapped_column(String(16), default="if_none")  # if_none: only friends without a mark
    mark_message: Mapped[bool] = mapped_column(Boolean, default=False)  # also put the mark on the message
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
