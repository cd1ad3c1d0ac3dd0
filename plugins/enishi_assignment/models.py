"""Assignees (担当者), their history, round-robin pools and staff notifications.

Staff are referred to by user id without a foreign key, on purpose: who counts as staff is decided by the
workspace's memberships at the time of asking (see ``enishi_assignment.staff``), not by the row. A staff member
who leaves the workspace keeps their rows, which then read as "unassigned"; adding them back restores them. A
foreign key would also make deleting a user account scan these tables of every workspace.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi import Base, BigId, WorkspaceOwned, utcnow


class Assignee(WorkspaceOwned, Base):
    """A friend's one assignee. No row means nobody; unassigning deletes the row (the history keeps it)."""

    __tablename__ = "assignment_assignees"
    __table_args__ = (
        # "My friends" pages by friend id within one staff member; counts group by user.
        Index("ix_assignment_assignees_workspace_user_friend", "workspace_id", "user_id", "friend_id"),
    )

    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)  # None: automation
    source: Mapped[str] = mapped_column(String(32), default="manual")  # manual, bulk, scenario, pool, …


class AssignmentChange(WorkspaceOwned, Base):
    """One change of a friend's assignee: from whom to whom, by whom or what, when. Never updated."""

    __tablename__ = "assignment_history"
    __table_args__ = (Index("ix_assignment_history_friend_id", "friend_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"))
    from_user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    to_user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    changed_by_user_id: Mapped[int | None] = mapped_column(BigId, default=None)
    source: Mapped[str] = mapped_column(String(32), default="manual")
    pool_id: Mapped[int | None] = mapped_column(BigId, default=None)  # the pool that picked the assignee
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Pool(WorkspaceOwned, Base):
    """A named rotation of staff (振り分けグループ). ``turns`` counts picks: the counter row of the rotation."""

    __tablename__ = "assignment_pools"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # Incremented by one atomic UPDATE … RETURNING per pick, so concurrent picks each get their own turn.
    turns: Mapped[int] = mapped_column(BigId, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PoolMember(WorkspaceOwned, Base):
    """A staff member in a pool; ``weight`` is their share of the turns (2 gets twice as many as 1)."""

    __tablename__ = "assignment_pool_members"

    pool_id: Mapped[int] = mapped_column(BigId, ForeignKey("assignment_pools.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order in the rotation


class Notification(WorkspaceOwned, Base):
    """A note for one staff member (スタッフ通知), e.g. "山田さんから問い合わせ". Read when ``read_at`` is set.

    ``idempotency_key`` is the scenario step's: a step that runs again after a crash finds its notification
    already there (one per recipient) and writes nothing.
    """

    __tablename__ = "assignment_notifications"
    __table_args__ = (
        UniqueConstraint("workspace_id", "user_id", "idempotency_key"),
        Index("ix_assignment_notifications_workspace_user_read_id", "workspace_id", "user_id", "read_at", "id"),
        Index("ix_assignment_notifications_friend_id", "friend_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId)
    friend_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), default=None)
    text: Mapped[str] = mapped_column(String(2000))
    source: Mapped[str] = mapped_column(String(32), default="scenario")
    idempotency_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
