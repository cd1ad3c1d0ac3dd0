"""Friends: LINE users who added a workspace's account. Conditions compile to SQL over this table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi.db.base import Base, BigId, WorkspaceOwned, utcnow

NAME_OVERRIDE_MAX = 100


class Friend(WorkspaceOwned, Base):
    __tablename__ = "friends"
    __table_args__ = (
        UniqueConstraint("workspace_id", "line_user_id"),
        CheckConstraint("status IN ('following', 'blocked')", name="status"),
        Index("ix_friends_workspace_status", "workspace_id", "status"),
        Index("ix_friends_workspace_followed_at", "workspace_id", "followed_at"),
        # Segments on the last message ("no message for 30 days") and friend lists sorted by it or by name.
        Index("ix_friends_workspace_last_inbound_at", "workspace_id", "last_inbound_at"),
        Index("ix_friends_workspace_display_name", "workspace_id", "display_name"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(33))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # 管理用の名前: what staff call the friend (a real name, "田中様"), shown instead of the LINE name in the
    # console. LINE never overwrites it; NULL means none.
    name_override: Mapped[str | None] = mapped_column(String(NAME_OVERRIDE_MAX), default=None)
    picture_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    status_message: Mapped[str | None] = mapped_column(String(1000), default=None)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(16), default="following")
    followed_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_inbound_at: Mapped[datetime | None] = mapped_column(default=None)
    # The latest unused reply token: a reply is free, so a message to this friend goes by reply while it is
    # fresh. Taken (set to NULL) in the same UPDATE that uses it, so it is used once.
    reply_token: Mapped[str | None] = mapped_column(String(64), default=None)
    reply_token_at: Mapped[datetime | None] = mapped_column(default=None)
    # The newest LINE event applied to the follow state, so an older event arriving late cannot undo it.
    state_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    profile_fetched_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def shown_name(self) -> str:
        """The name staff see: the 管理用の名前 when set, else the LINE name."""
        return self.name_override or self.display_name
