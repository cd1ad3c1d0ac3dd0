"""The plugin's one table. Prefix table names with the plugin name so plugins never collide."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from enishi import Base, BigId, WorkspaceOwned


class Birthday(WorkspaceOwned, Base):
    """A friend's birthday. WorkspaceOwned makes workspace-scoped sessions filter and stamp it automatically."""

    __tablename__ = "birthday_birthdays"
    __table_args__ = (UniqueConstraint("workspace_id", "friend_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Indexed on its own so deleting a friend (or a whole workspace) does not scan this table per friend.
    friend_id: Mapped[int] = mapped_column(BigId, ForeignKey("friends.id", ondelete="CASCADE"), index=True)
    birthday: Mapped[date]
